/**
 * Trailing moving average for noisy training curves.
 * @module
 */

/**
 * Mean of the last `k` values at each index (fewer at the start): out[i] = mean(v[max(0, i-k+1)..i]).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { movingAverage } from "./moving_average.ts";
 * assertEquals(movingAverage([2, 4, 6, 8], 2), [2, 3, 5, 7]);
 * ```
 */
export function movingAverage(v: readonly number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`window must be a positive integer: got ${k}`);
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    if (i >= k) s -= v[i - k];
    out.push(s / Math.min(i + 1, k));
  }
  return out;
}
