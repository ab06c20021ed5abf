/**
 * The train / validation split of the AD-NeRF family.
 * @module
 */

/**
 * Splits frames 0..numFrames-1 as AD-NeRF's preprocessing does (`train_val_split = int(n * 10 / 11)`):
 * the first `floor(10 n / 11)` frames train, the rest validate. Rounding is down, in exact integer
 * arithmetic, so n = 11 gives 10 + 1, n = 3 gives 2 + 1, n = 22 gives 20 + 2, and n = 1 gives 0 + 1
 * (as in AD-NeRF: too few frames leave the training set empty).
 * @param numFrames Number of frames, an integer >= 0.
 * @returns Frame indices of each part, in order.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { frameSplit } from "./split.ts";
 * const { train, val } = frameSplit(12);
 * assert(train.length === 10 && val[0] === 10 && val[1] === 11); // floor(120 / 11) = 10
 * ```
 */
export function frameSplit(numFrames: number): { train: number[]; val: number[] } {
  if (!Number.isInteger(numFrames) || numFrames < 0) {
    throw new Error(`frameSplit: numFrames must be an integer >= 0: got ${numFrames}`);
  }
  const cut = Math.floor((numFrames * 10) / 11);
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return { train: range(0, cut), val: range(cut, numFrames) };
}
