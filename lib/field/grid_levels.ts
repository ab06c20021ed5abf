/**
 * Where a grid vertex's features live: the resolutions of a multi-resolution 2-D feature grid and the
 * mapping of an integer vertex (i, j) to a row of its level's feature table (dense, or instant-ngp's
 * spatial hash when the level has more vertices than the table has rows).
 *
 * Levels follow instant-ngp (Müller et al. 2022, eq. 2-3): N_l = floor(N_min b^l) with
 * b = exp((ln N_max - ln N_min) / (L - 1)), so resolutions grow geometrically from N_min to N_max.
 * A level of resolution N has N cells and (N + 1) vertices per side; vertex (i, j) sits at integer
 * grid coordinates, and positions in [-1, 1] map to [0, N].
 * @module
 */

/** instant-ngp's hash primes for the first two coordinates (pi_1 = 1 keeps the first one as it is). */
export const HASH_PRIMES: readonly [number, number] = [1, 2654435761];

/** Geometry of one level of a 2-D feature grid. */
export interface GridLevel {
  /** Cells per side N (vertices per side N + 1). */
  readonly resolution: number;
  /** Rows of the level's feature table: (N + 1)^2 when dense, 2^log2HashSize when hashed. */
  readonly tableSize: number;
  /** Whether vertex indices are hashed (the level has more vertices than 2^log2HashSize). */
  readonly hashed: boolean;
}

/** What defines the levels of a grid (the grid fields of `TriplaneFieldConfig`). */
export interface GridLevelSpec {
  /** Number of levels L >= 1. */
  readonly levels: number;
  /** Resolution of the coarsest level, N_min >= 1. */
  readonly baseResolution: number;
  /** Resolution of the finest level, N_max >= N_min. */
  readonly maxResolution: number;
  /** log2 of the largest table; 0 = every level dense whatever its size. */
  readonly log2HashSize: number;
}

/**
 * Resolutions N_l = floor(N_min b^l), b = (N_max / N_min)^(1 / (L - 1)), l = 0..L-1 (instant-ngp eq. 2-3).
 * A tolerance of 1e-6 in the floor keeps the last level at exactly N_max despite rounding in b^l.
 * @param levels L >= 1 (a single level has N_min).
 * @param base N_min >= 1.
 * @param max N_max >= N_min.
 * @returns L non-decreasing integer resolutions from N_min to N_max.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { levelResolutions } from "./grid_levels.ts";
 * assertEquals(levelResolutions(3, 4, 16), [4, 8, 16]); // b = 2
 * ```
 */
export function levelResolutions(levels: number, base: number, max: number): number[] {
  if (!Number.isInteger(levels) || levels < 1) {
    throw new Error(`grid levels must be an integer >= 1: got ${levels}`);
  }
  if (!Number.isInteger(base) || base < 1) {
    throw new Error(`base resolution must be an integer >= 1: got ${base}`);
  }
  if (!Number.isInteger(max) || max < base) {
    throw new Error(`max resolution must be an integer >= the base resolution ${base}: got ${max}`);
  }
  if (levels === 1) return [base];
  const b = Math.exp((Math.log(max) - Math.log(base)) / (levels - 1));
  return Array.from({ length: levels }, (_, l) => Math.min(max, Math.floor(base * b ** l + 1e-6)));
}

/**
 * The levels of a grid: resolution, table rows and whether the level is hashed. A level is dense when its
 * (N + 1)^2 vertices fit in 2^log2HashSize rows (or log2HashSize is 0), hashed otherwise.
 * @param spec Levels, base and max resolution, log2 of the table size.
 * @returns One entry per level, coarsest first.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { gridLevels } from "./grid_levels.ts";
 * const [a, b] = gridLevels({ levels: 2, baseResolution: 3, maxResolution: 12, log2HashSize: 6 });
 * assertEquals(a, { resolution: 3, tableSize: 16, hashed: false }); // 4 x 4 vertices
 * assertEquals(b, { resolution: 12, tableSize: 64, hashed: true }); // 169 vertices > 64 rows
 * ```
 */
export function gridLevels(spec: GridLevelSpec): GridLevel[] {
  const { log2HashSize } = spec;
  if (!Number.isInteger(log2HashSize) || log2HashSize < 0 || log2HashSize > 30) {
    throw new Error(`log2HashSize must be an integer in [0, 30]: got ${log2HashSize}`);
  }
  const hashSize = 2 ** log2HashSize;
  return levelResolutions(spec.levels, spec.baseResolution, spec.maxResolution).map((resolution) => {
    const vertices = (resolution + 1) ** 2;
    const hashed = log2HashSize > 0 && vertices > hashSize;
    return { resolution, tableSize: hashed ? hashSize : vertices, hashed };
  });
}

/**
 * instant-ngp's spatial hash in 2-D: h(i, j) = (i pi_1 XOR j pi_2) mod T, in 32-bit unsigned arithmetic
 * (pi_1 = 1, pi_2 = 2654435761). T must be a power of two (mod is a mask).
 * @param i Vertex column (integer >= 0).
 * @param j Vertex row (integer >= 0).
 * @param tableSize T, a power of two.
 * @returns A row in [0, T).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { hashVertex2d } from "./grid_levels.ts";
 * assertEquals(hashVertex2d(5, 0, 16), 5); // j = 0: just i mod T
 * assertEquals(hashVertex2d(0, 1, 16), 2654435761 % 16);
 * ```
 */
export function hashVertex2d(i: number, j: number, tableSize: number): number {
  return ((i ^ Math.imul(j, HASH_PRIMES[1])) >>> 0) & (tableSize - 1);
}

/**
 * Row of vertex (i, j) in a level's table: j (N + 1) + i when dense, {@linkcode hashVertex2d} when hashed.
 * @param i Vertex column in [0, N].
 * @param j Vertex row in [0, N].
 * @param level The level.
 * @returns A row in [0, level.tableSize).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { vertexRow } from "./grid_levels.ts";
 * assertEquals(vertexRow(2, 1, { resolution: 3, tableSize: 16, hashed: false }), 6);
 * ```
 */
export function vertexRow(i: number, j: number, level: GridLevel): number {
  return level.hashed ? hashVertex2d(i, j, level.tableSize) : j * (level.resolution + 1) + i;
}
