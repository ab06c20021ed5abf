/**
 * How much a point or a ray belongs to the torso, from parsing probabilities.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { PaletteName } from "../data/types.ts";
import { matMulT } from "../nn/matmul.ts";

/** Torso-like class ids per palette: the neck and the torso/cloth (they move with the body, not the head). */
export const TORSO_CLASSES: Readonly<Record<PaletteName, readonly number[]>> = {
  sspnerf11: [8, 9], // neck, torso
  adnerf4: [2, 3], // neck, torso
};

/**
 * w = sum_{k in torsoClasses} P[:, k]: the probability mass of the torso-like classes per row.
 * Computed as P m with m the 0/1 indicator column of the classes (a matMul, so the gradient reaches P on
 * every backend; no gather).
 * @param probs Class probabilities, [n, K] (softmax of per-point parsing logits, or a rendered parsing map).
 * @param torsoClasses Class ids to sum, each in [0, K) (e.g. `TORSO_CLASSES[palette]`).
 * @returns w, [n].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { TORSO_CLASSES, torsoWeightFromParsing } from "./torso_weight.ts";
 * await initBackend({ log: null });
 * // adnerf4: background, head, neck, torso -> w = neck + torso.
 * const w = torsoWeightFromParsing(tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0, 0]]), TORSO_CLASSES.adnerf4);
 * const [w0, w1] = w.dataSync();
 * assertAlmostEquals(w0, 0.7, 1e-6);
 * assertAlmostEquals(w1, 0, 1e-6);
 * ```
 */
export function torsoWeightFromParsing(probs: tf.Tensor2D, torsoClasses: readonly number[]): tf.Tensor1D {
  if (probs.rank !== 2) throw new Error(`probs must be [n, K]: got [${probs.shape}]`);
  const [n, K] = probs.shape;
  const mask = new Float32Array(K);
  for (const k of torsoClasses) {
    if (!Number.isInteger(k) || k < 0 || k >= K) {
      throw new Error(`torso class ${k} is not a class id in [0, ${K})`);
    }
    mask[k] = 1;
  }
  return tf.tidy(() => matMulT(probs, tf.tensor2d(mask, [K, 1])).reshape([n]) as tf.Tensor1D);
}
