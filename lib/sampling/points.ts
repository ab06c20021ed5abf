/**
 * Sample points along rays and the interval lengths used by volume rendering.
 * @module
 */

/**
 * Points x = o + t d at the given depths of each ray.
 * @param origins Ray origins, [n, 3] flattened.
 * @param dirs Ray directions, [n, 3] flattened (not necessarily unit length).
 * @param tVals Depths, [n, k] flattened.
 * @param n Number of rays.
 * @param k Depths per ray.
 * @returns Points, [n * k, 3] flattened, ray-major (the k points of ray 0 first).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { samplePoints } from "./points.ts";
 * // o = (1, 0, 0), d = (0, 0, -2), t = 0.5 and 1: (1, 0, -1) and (1, 0, -2).
 * const p = samplePoints(Float32Array.of(1, 0, 0), Float32Array.of(0, 0, -2), Float32Array.of(0.5, 1), 1, 2);
 * assertEquals(Array.from(p), [1, 0, -1, 1, 0, -2]);
 * ```
 */
export function samplePoints(
  origins: Float32Array,
  dirs: Float32Array,
  tVals: Float32Array,
  n: number,
  k: number,
): Float32Array {
  if (origins.length !== n * 3) {
    throw new Error(`origins must be [${n}, 3] flattened: got length ${origins.length}`);
  }
  if (dirs.length !== n * 3) throw new Error(`dirs must be [${n}, 3] flattened: got length ${dirs.length}`);
  if (tVals.length !== n * k) {
    throw new Error(`tVals must be [${n}, ${k}] flattened: got length ${tVals.length}`);
  }
  const out = new Float32Array(n * k * 3);
  for (let r = 0; r < n; r++) {
    const ox = origins[3 * r], oy = origins[3 * r + 1], oz = origins[3 * r + 2];
    const dx = dirs[3 * r], dy = dirs[3 * r + 1], dz = dirs[3 * r + 2];
    for (let i = 0; i < k; i++) {
      const t = tVals[r * k + i], o = 3 * (r * k + i);
      out[o] = ox + t * dx, out[o + 1] = oy + t * dy, out[o + 2] = oz + t * dz;
    }
  }
  return out;
}

/**
 * Euclidean length of each direction, |d|.
 * @param dirs Directions, [n, 3] flattened.
 * @returns Lengths, [n].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { dirNorms } from "./points.ts";
 * assertEquals(Array.from(dirNorms(Float32Array.of(3, 4, 0, 0, 0, -2))), [5, 2]);
 * ```
 */
export function dirNorms(dirs: Float32Array): Float32Array {
  if (dirs.length % 3 !== 0) throw new Error(`dirs must be [n, 3] flattened: got length ${dirs.length}`);
  const out = new Float32Array(dirs.length / 3);
  for (let r = 0; r < out.length; r++) out[r] = Math.hypot(dirs[3 * r], dirs[3 * r + 1], dirs[3 * r + 2]);
  return out;
}

/** Options of {@linkcode deltasFromT}. */
export interface DeltasOptions {
  /** Length given to the last interval of each ray, which has no next sample: a number (NeRF's 1e10 makes
   * the last sample absorb whatever light is left, alpha = 1 for any density > ~1e-9), or "previous" to
   * repeat the ray's previous interval (after `maxDelta`; `maxDelta` itself, or 1e10 without it, when
   * k = 1), so the last sample weighs like the others.
   * @default {1e10} */
  readonly lastDelta?: number | "previous";
  /** Upper bound of the intervals t_{i+1} - t_i (before |d|). A renderer that skips empty samples of an
   * evenly spaced set passes the spacing here, so the sample before a skipped stretch keeps the length it
   * had in the whole set (the skipped samples held no density).
   * @default {Infinity} */
  readonly maxDelta?: number;
  /** |d| per ray, [n]: multiplies the intervals (last one included, as NeRF), turning depth differences
   * into distances when directions are not unit length. */
  readonly dirNorms?: Float32Array;
}

/**
 * Interval lengths delta_i = min(t_{i+1} - t_i, maxDelta) |d| for i < k - 1 and delta_{k-1} = lastDelta |d|
 * (NeRF's `dists` in `raw2outputs`; `maxDelta` for renderers that skip empty space).
 * @param tVals Depths, [n, k] flattened, increasing per ray.
 * @param n Number of rays.
 * @param k Depths per ray.
 * @param options See {@linkcode DeltasOptions}.
 * @returns Intervals, [n, k] flattened.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deltasFromT } from "./points.ts";
 * const d = deltasFromT(Float32Array.of(1, 1.5, 2.5), 1, 3, { lastDelta: 4, dirNorms: Float32Array.of(2) });
 * assertEquals(Array.from(d), [1, 2, 8]);
 * // Samples 1.5 and 2.5 of a set spaced 0.5 apart, with the ones between skipped:
 * const e = deltasFromT(Float32Array.of(1.5, 2.5), 1, 2, { maxDelta: 0.5, lastDelta: "previous" });
 * assertEquals(Array.from(e), [0.5, 0.5]);
 * ```
 */
export function deltasFromT(
  tVals: Float32Array,
  n: number,
  k: number,
  options: DeltasOptions = {},
): Float32Array {
  if (tVals.length !== n * k) {
    throw new Error(`tVals must be [${n}, ${k}] flattened: got length ${tVals.length}`);
  }
  const last = options.lastDelta ?? 1e10;
  const max = options.maxDelta ?? Infinity;
  if (!(max > 0)) throw new Error(`maxDelta must be > 0: got ${max}`);
  const norms = options.dirNorms;
  if (norms && norms.length !== n) throw new Error(`dirNorms must be [${n}]: got length ${norms.length}`);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    const s = norms ? norms[r] : 1;
    for (let i = 0; i < k - 1; i++) {
      const gap = tVals[r * k + i + 1] - tVals[r * k + i];
      out[r * k + i] = (gap < max ? gap : max) * s;
    }
    if (k > 0) {
      const l = last !== "previous"
        ? last
        : k > 1
        ? out[r * k + k - 2] / s
        : Number.isFinite(max)
        ? max
        : 1e10;
      out[r * k + k - 1] = l * s;
    }
  }
  return out;
}
