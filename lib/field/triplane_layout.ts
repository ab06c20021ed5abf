/**
 * The layout shared by both tri-plane lookups (the JS kernel of grid_lookup.ts and the tensor-op path of
 * grid_lookup_ops.ts): plane axes, output width, and the check of the tables against the level geometry.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { GridLevel } from "./grid_levels.ts";

/** Axes (u, v) of the three planes, in output order: xy, yz, xz. */
export const TRIPLANE_AXES: readonly (readonly [number, number])[] = [[0, 1], [1, 2], [0, 2]];

/**
 * Width of the lookup output: 3 planes x L levels x F features.
 * @param numLevels L.
 * @param featuresPerLevel F.
 * @returns 3 L F.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { triplaneFeatureDim } from "./triplane_layout.ts";
 * assertEquals(triplaneFeatureDim(8, 2), 48);
 * ```
 */
export function triplaneFeatureDim(numLevels: number, featuresPerLevel: number): number {
  return 3 * numLevels * featuresPerLevel;
}

/**
 * Checks positions ([n, 3] as `xyzLen` values) and tables (3 L, plane-major, [tableSize_l, F]) against
 * the levels; errors name the table, plane and level.
 * @returns F, the features per level.
 */
export function checkLookupArgs(
  n: number,
  xyzLen: number,
  tables: readonly tf.Tensor[],
  levels: readonly GridLevel[],
): number {
  if (xyzLen !== 3 * n) {
    throw new Error(`grid_lookup.ts: positions must be [n, 3]: got ${xyzLen} values for n ${n}`);
  }
  if (levels.length < 1) throw new Error("grid_lookup.ts: need at least one level");
  if (tables.length !== 3 * levels.length) {
    throw new Error(`grid_lookup.ts: need 3 x ${levels.length} tables (plane-major): got ${tables.length}`);
  }
  const F = tables[0].shape[1] as number;
  tables.forEach((t, k) => {
    const level = levels[k % levels.length];
    if (t.rank !== 2 || t.shape[0] !== level.tableSize || t.shape[1] !== F) {
      throw new Error(
        `grid_lookup.ts: table ${k} (plane ${Math.floor(k / levels.length)}, level ${
          k % levels.length
        }) must be ` +
          `[${level.tableSize}, ${F}]: got [${t.shape}]`,
      );
    }
  });
  return F;
}
