/**
 * Stratified sampling of ray depths (NeRF's coarse samples).
 * @module
 */
import type { Rng } from "../nn/rng.ts";

/**
 * Stratified depths along n rays: [near, far] is cut into K equal bins of width h = (far - near) / K and
 * every ray gets one depth per bin, t_i = near + (i + u_i) h, with u_i ~ U[0, 1) drawn independently per
 * ray and bin (training), or u_i = 1/2, the bin midpoints, when `rng` is null (evaluation, deterministic).
 * (NeRF instead jitters around linspace(near, far, K), whose first and last bins are half as wide; equal
 * bins keep every sample inside [near, far) with the same density.) Depths are increasing along each ray.
 * @param n Number of rays.
 * @param near Start of the interval (scene units, same t as the ray directions use).
 * @param far End of the interval, > near.
 * @param numSamples K, samples per ray.
 * @param rng Random source for the jitter; null for bin midpoints.
 * @returns t values, [n, K] flattened.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stratifiedSamples } from "./stratified.ts";
 * // Bins of width 1 on [2, 6]: midpoints 2.5, 3.5, 4.5, 5.5.
 * assertEquals(Array.from(stratifiedSamples(1, 2, 6, 4, null)), [2.5, 3.5, 4.5, 5.5]);
 * ```
 */
export function stratifiedSamples(
  n: number,
  near: number,
  far: number,
  numSamples: number,
  rng: Rng | null,
): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`n (rays) must be an integer >= 0: got ${n}`);
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new Error(`numSamples must be an integer >= 1: got ${numSamples}`);
  }
  if (!Number.isFinite(near) || !Number.isFinite(far) || !(far > near)) {
    throw new Error(`near, far must be finite with near < far: got ${near}, ${far}`);
  }
  const h = (far - near) / numSamples;
  const out = new Float32Array(n * numSamples);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < numSamples; i++) {
      out[r * numSamples + i] = near + (i + (rng ? rng.next() : 0.5)) * h;
    }
  }
  return out;
}
