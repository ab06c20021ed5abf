/**
 * Merging the coarse and fine depths of each ray.
 * @module
 */

/**
 * Per-ray merge of two sorted depth lists (NeRF sorts the concatenation of coarse and fine depths;
 * a linear merge gives the same result in O(ka + kb)).
 * @param a First depths, [n, ka] flattened, increasing per ray.
 * @param b Second depths, [n, kb] flattened, increasing per ray.
 * @param n Number of rays.
 * @param ka Depths per ray in `a`.
 * @param kb Depths per ray in `b`.
 * @returns Merged depths, [n, ka + kb] flattened, increasing per ray (ties keep a's value first).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mergeSorted } from "./merge.ts";
 * const m = mergeSorted(Float32Array.of(1, 3, 5), Float32Array.of(2, 6), 1, 3, 2);
 * assertEquals(Array.from(m), [1, 2, 3, 5, 6]);
 * ```
 */
export function mergeSorted(
  a: Float32Array,
  b: Float32Array,
  n: number,
  ka: number,
  kb: number,
): Float32Array {
  if (a.length !== n * ka) throw new Error(`a must be [${n}, ${ka}] flattened: got length ${a.length}`);
  if (b.length !== n * kb) throw new Error(`b must be [${n}, ${kb}] flattened: got length ${b.length}`);
  const k = ka + kb;
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let i = 0, j = 0, o = r * k;
    const ao = r * ka, bo = r * kb;
    while (i < ka && j < kb) out[o++] = a[ao + i] <= b[bo + j] ? a[ao + i++] : b[bo + j++];
    while (i < ka) out[o++] = a[ao + i++];
    while (j < kb) out[o++] = b[bo + j++];
  }
  return out;
}
