/**
 * The regulariser of the torso deformation.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * L_def = (1/n) sum_i w_i |dx_i|^2: the mean, over points, of the squared offset length, weighted per
 * point (e.g. by the torso weight, so only the offsets actually applied are penalised).
 * @param dx Offsets, [n, d] (d = 3 for points, 2 for the image-space torso).
 * @param weights Per-point weights w, [n]. @default {all 1}
 * @returns The scalar penalty.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { deformationPenalty } from "./deformation_penalty.ts";
 * await initBackend({ log: null });
 * const dx = tf.tensor2d([[3, 4, 0], [0, 0, 1]]); // |dx|^2 = 25 and 1
 * assertAlmostEquals(deformationPenalty(dx).dataSync()[0], 13, 1e-6); // (25 + 1) / 2
 * assertAlmostEquals(deformationPenalty(dx, tf.tensor1d([0, 1])).dataSync()[0], 0.5, 1e-6); // (0 + 1) / 2
 * ```
 */
export function deformationPenalty(dx: tf.Tensor2D, weights?: tf.Tensor1D): tf.Scalar {
  if (dx.rank !== 2 || dx.shape[0] === 0) throw new Error(`dx must be [n, d] with n > 0: got [${dx.shape}]`);
  if (weights && (weights.rank !== 1 || weights.shape[0] !== dx.shape[0])) {
    throw new Error(`weights must be [${dx.shape[0]}] (one per point): got [${weights.shape}]`);
  }
  return tf.tidy(() => {
    const sq = tf.sum(tf.square(dx), 1);
    return tf.mean(weights ? tf.mul(sq, weights) : sq) as tf.Scalar;
  });
}
