/**
 * Loss terms of SSP-NeRF training. Each is a scalar tensor; the trainer logs every term by its name.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Mean squared error over all elements (the photometric loss of NeRF / AD-NeRF). */
export function mseLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/**
 * Cross-entropy of a rendered class distribution against label ids: -mean_r log(S_r[y_r] + eps).
 * The rendered parsing S(r) = sum_i w_i softmax(l_i) is already a distribution (PAPER.md, [ours]), so the
 * loss takes probabilities, not logits; eps keeps log finite where a class gets no weight.
 * @param probs Rendered class probabilities, [n, K].
 * @param labels Class id per ray, n entries.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { semanticLoss } from "./losses.ts";
 * const l = semanticLoss(tf.tensor2d([[0.5, 0.5], [0.9, 0.1]]), Int32Array.of(1, 0));
 * // -(log 0.5 + log 0.9) / 2 = 0.3993
 * assert(Math.abs(l.dataSync()[0] - 0.3993) < 1e-3);
 * ```
 */
export function semanticLoss(probs: tf.Tensor2D, labels: Int32Array, eps = 1e-6): tf.Scalar {
  const [n, k] = probs.shape;
  if (labels.length !== n) throw new Error(`labels must have one id per ray (${n}): got ${labels.length}`);
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), k);
    const p = tf.sum(tf.mul(probs, onehot), 1);
    return tf.neg(tf.mean(tf.log(tf.add(p, eps)))) as tf.Scalar;
  });
}

/** PSNR in dB of a mean squared error on [0, 1] values: -10 log10(mse). */
export function psnrFromMse(mse: number): number {
  return -10 * Math.log10(mse);
}
