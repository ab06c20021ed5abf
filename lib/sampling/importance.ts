/**
 * Importance sampling of ray depths from coarse weights (NeRF's `sample_pdf`).
 * @module
 */
import type { Rng } from "../nn/rng.ts";

/** Added to every coarse weight before normalising, as NeRF does, so empty rays still sample evenly. */
export const PDF_WEIGHT_FLOOR = 1e-5;

/**
 * Inverse-CDF samples of the piecewise-constant density that the coarse weights define along each ray.
 * As in NeRF's `sample_pdf` (applied to `z_vals_mid` and `weights[..., 1:-1]`): with K coarse depths t_i,
 * the bins are the K - 2 intervals between consecutive midpoints m_i = (t_i + t_{i+1}) / 2, bin j
 * (between m_j and m_{j+1}) has mass p_j proportional to w_{j+1} + 1e-5, the CDF is
 * F(m_j) = sum_{i<j} p_i and linear inside each bin, and every sample is t = F^-1(u). With an `rng`,
 * u ~ U[0, 1) i.i.d. (sorted afterwards, so the depths increase); with `rng` null, u = (i + 1/2) / N
 * (evenly spaced and deterministic: NeRF's linspace(0, 1, N) would also include the two ends).
 * Plain JS: the depths are constants of the graph and need no gradient. Computed in float64.
 * @param tVals Coarse depths, [n, K] flattened, increasing per ray, K >= 3.
 * @param weights Coarse rendering weights, [n, K] flattened, >= 0.
 * @param n Number of rays.
 * @param numSamples N, fine samples per ray.
 * @param rng Random source, or null for the deterministic variant.
 * @returns Fine depths, [n, N] flattened, increasing per ray, within [m_0, m_{K-2}].
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { importanceSamples } from "./importance.ts";
 * // Midpoints 0.5, 1.5, 2.5; the bin [1.5, 2.5] holds (almost) all the mass (weight of t = 2).
 * const t = importanceSamples(Float32Array.of(0, 1, 2, 3), Float32Array.of(0, 0, 1, 0), 1, 2, null);
 * // u = 1/4 and 3/4 land a quarter and three quarters of the way through that bin.
 * assertAlmostEquals(t[0], 1.75, 1e-4);
 * assertAlmostEquals(t[1], 2.25, 1e-4);
 * ```
 */
export function importanceSamples(
  tVals: Float32Array,
  weights: Float32Array,
  n: number,
  numSamples: number,
  rng: Rng | null,
): Float32Array {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`n (rays) must be an integer > 0: got ${n}`);
  if (tVals.length % n !== 0) {
    throw new Error(`tVals must be [${n}, K] flattened: got length ${tVals.length}`);
  }
  const k = tVals.length / n;
  if (k < 3) throw new Error(`importanceSamples needs K >= 3 coarse samples per ray: got ${k}`);
  if (weights.length !== tVals.length) {
    throw new Error(`weights must be [${n}, ${k}] flattened like tVals: got length ${weights.length}`);
  }
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new Error(`numSamples must be an integer >= 1: got ${numSamples}`);
  }
  const nb = k - 2;
  const mids = new Float64Array(k - 1);
  const cdf = new Float64Array(nb + 1);
  const u = new Float64Array(numSamples);
  const out = new Float32Array(n * numSamples);
  for (let r = 0; r < n; r++) {
    const tr = r * k;
    for (let i = 0; i < k - 1; i++) mids[i] = 0.5 * (tVals[tr + i] + tVals[tr + i + 1]);
    let total = 0;
    for (let j = 0; j < nb; j++) {
      const w = weights[tr + j + 1];
      if (!(w >= 0)) throw new Error(`weights must be >= 0: ray ${r}, sample ${j + 1} is ${w}`);
      total += w + PDF_WEIGHT_FLOOR;
    }
    cdf[0] = 0;
    for (let j = 0; j < nb; j++) cdf[j + 1] = cdf[j] + (weights[tr + j + 1] + PDF_WEIGHT_FLOOR) / total;
    cdf[nb] = 1;
    for (let i = 0; i < numSamples; i++) u[i] = rng ? rng.next() : (i + 0.5) / numSamples;
    if (rng) u.sort();
    // u is increasing, so one sweep over the bins serves the whole ray.
    let j = 0;
    for (let i = 0; i < numSamples; i++) {
      while (j < nb - 1 && u[i] >= cdf[j + 1]) j++;
      const frac = (u[i] - cdf[j]) / (cdf[j + 1] - cdf[j]);
      out[r * numSamples + i] = mids[j] + frac * (mids[j + 1] - mids[j]);
    }
  }
  return out;
}
