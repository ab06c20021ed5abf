/**
 * Rays against the occupancy grid's box: the occupied interval of each ray (the types of
 * `OccupancyGrid.rayIntervals`), the ray-box clipping it starts from, stratified depths within the
 * intervals, and the rays that hit anything.
 * @module
 */
import type { Rng } from "../nn/rng.ts";

/** Per-ray occupied intervals from {@linkcode OccupancyGrid.rayIntervals}. */
export interface RayIntervals {
  /** First depth of the occupied part of each ray (minus the margin, clamped to near); far on a miss, [n]. */
  readonly tNear: Float32Array;
  /** Last depth of the occupied part (plus the margin, clamped to far); far on a miss, [n]. */
  readonly tFar: Float32Array;
  /** 1 when the ray crosses an occupied cell within [near, far], else 0, [n]. */
  readonly hit: Uint8Array;
}

/** Options of {@linkcode OccupancyGrid.rayIntervals}. */
export interface RayIntervalOptions {
  /** Margin added before the first and after the last occupied cell, in cells (converted to t along each
   * ray with the ray's speed in the box).
   * @default {1} */
  readonly marginCells?: number;
}

/** One cell crossed by a ray: its index and the depths where the ray enters and leaves it. */
export interface CellCrossing {
  readonly cell: number;
  readonly t0: number;
  readonly t1: number;
}

/**
 * Ray-box intersection with [-1, 1]^3 for p(t) = o + t d (slab method), intersected with [lo, hi].
 * @returns [t0, t1] with t0 <= t1, or null when the ray misses the box within [lo, hi].
 */
export function clipToBox(
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
  lo: number,
  hi: number,
): [number, number] | null {
  let t0 = lo, t1 = hi;
  const o = [ox, oy, oz], d = [dx, dy, dz];
  for (let a = 0; a < 3; a++) {
    if (d[a] === 0) {
      if (o[a] < -1 || o[a] > 1) return null;
      continue;
    }
    let ta = (-1 - o[a]) / d[a], tb = (1 - o[a]) / d[a];
    if (ta > tb) [ta, tb] = [tb, ta];
    if (ta > t0) t0 = ta;
    if (tb < t1) t1 = tb;
    if (t0 > t1) return null;
  }
  return [t0, t1];
}

/**
 * Stratified depths in per-ray intervals: [tNear_r, tFar_r] is cut into k equal bins and ray r gets
 * t_i = tNear_r + (i + u_i) (tFar_r - tNear_r) / k, u_i ~ U[0, 1) (or 1/2 when `rng` is null), as
 * `stratifiedSamples` does over [near, far]. A ray missed by the grid (tNear = tFar = far) gets all k
 * samples at far: zero-length intervals that the field should not be queried for: render such rays as
 * the background (their colour with the toolkit's opaque last sample would otherwise be the field's
 * colour at far).
 * @param tNear Interval starts, [n].
 * @param tFar Interval ends, [n], >= tNear.
 * @param n Number of rays.
 * @param k Samples per ray.
 * @param rng Random source for the jitter; null for bin midpoints.
 * @returns Depths, [n, k] flattened, non-decreasing per ray.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stratifiedInIntervals } from "./ray_intervals.ts";
 * assertEquals(Array.from(stratifiedInIntervals(Float32Array.of(2), Float32Array.of(6), 1, 4, null)), [2.5, 3.5, 4.5, 5.5]);
 * ```
 */
export function stratifiedInIntervals(
  tNear: Float32Array,
  tFar: Float32Array,
  n: number,
  k: number,
  rng: Rng | null,
): Float32Array {
  if (tNear.length !== n || tFar.length !== n) {
    throw new Error(`tNear and tFar must be [${n}]: got lengths ${tNear.length}, ${tFar.length}`);
  }
  if (!Number.isInteger(k) || k < 1) throw new Error(`k (samples per ray) must be an integer >= 1: got ${k}`);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    const a = tNear[r], b = tFar[r];
    if (!(b >= a)) throw new Error(`interval ${r} is reversed: tNear ${a} > tFar ${b}`);
    const w = (b - a) / k;
    for (let i = 0; i < k; i++) out[r * k + i] = a + (i + (rng ? rng.next() : 0.5)) * w;
  }
  return out;
}

/**
 * Indices of the rays with hit = 1, to render only those through the field.
 * @param hit Per-ray hit flags, [n].
 * @returns Indices of the hits, increasing.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { hitIndices } from "./ray_intervals.ts";
 * assertEquals(Array.from(hitIndices(Uint8Array.of(0, 1, 1, 0))), [1, 2]);
 * ```
 */
export function hitIndices(hit: Uint8Array): Int32Array {
  let m = 0;
  for (let i = 0; i < hit.length; i++) m += hit[i] ? 1 : 0;
  const out = new Int32Array(m);
  for (let i = 0, j = 0; i < hit.length; i++) if (hit[i]) out[j++] = i;
  return out;
}
