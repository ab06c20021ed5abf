/**
 * Integer counts from fractions that sum exactly to a total (largest-remainder, or Hamilton, rounding).
 * @module
 */

/**
 * Splits `total` into integer counts c_k proportional to `weights`: with quotas q_k = total w_k / sum(w),
 * c_k = floor(q_k), and the `total - sum floor(q)` units left go one each to the largest remainders
 * q_k - floor(q_k) (ties: lower index first). So sum c = total exactly and |c_k - q_k| < 1.
 * @param weights Non-negative weights (they need not sum to 1); at least one must be positive unless
 *   `total` is 0.
 * @param total Integer >= 0 to split.
 * @returns Counts, one per weight.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { largestRemainder } from "./largest_remainder.ts";
 * // Quotas 10 x [0.45, 0.35, 0.2] = [4.5, 3.5, 2]: floors [4, 3, 2] leave 1, which goes to the first 0.5.
 * assertEquals(Array.from(largestRemainder([0.45, 0.35, 0.2], 10)), [5, 3, 2]);
 * ```
 */
export function largestRemainder(weights: ArrayLike<number>, total: number): Int32Array {
  if (!Number.isInteger(total) || total < 0) throw new Error(`total must be an integer >= 0: got ${total}`);
  const n = weights.length;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const w = weights[k];
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new Error(`weights must be finite and >= 0: weight ${k} is ${w}`);
    }
    sum += w;
  }
  const out = new Int32Array(n);
  if (total === 0) return out;
  if (!(sum > 0)) throw new Error(`cannot split ${total} over weights that sum to ${sum}`);
  const rem = new Float64Array(n);
  let given = 0;
  for (let k = 0; k < n; k++) {
    const q = total * weights[k] / sum;
    out[k] = Math.floor(q);
    rem[k] = q - out[k];
    given += out[k];
  }
  // At most n units are left (fewer than one per weight, up to float rounding of the quotas); only
  // weights > 0 may receive them, so a zero weight always gets exactly 0.
  const order = Array.from({ length: n }, (_, k) => k).filter((k) => weights[k] > 0)
    .sort((a, b) => rem[b] - rem[a] || a - b);
  for (let i = 0; given < total; i++, given++) out[order[i % order.length]]++;
  return out;
}
