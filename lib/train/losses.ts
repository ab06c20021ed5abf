/**
 * Loss terms of SSP-NeRF training. Each is a scalar tensor; the trainer logs every term by its name.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { LossConfig } from "../config/config.ts";

/** Mean squared error over all elements (the photometric loss of NeRF / AD-NeRF). */
export function mseLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/**
 * Cross-entropy of a rendered class distribution against label ids: -mean_r log(S_r[y_r] + eps).
 * The rendered parsing S(r) = sum_i w_i softmax(l_i) is already a distribution (our reading: the paper leaves it open), so the
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

/** A loss term: its name (as logged), value and weight. */
export type LossTerm = readonly [name: string, value: tf.Scalar, weight: number];

/**
 * The loss terms of a step as a list by name, from the one `loss` section of the config: each term is
 * computed only when its weight is > 0. Call inside the gradient tape.
 * @param weights The config's `loss` section.
 * @param out The model's outputs (coarse, optional fine composite, optional torso penalty).
 * @param target Target colours, [n, 3].
 * @param labels Target classes per ray, when the step trains the parsing branch.
 * @returns The terms, in the order they are summed.
 */
export function lossTerms(
  weights: LossConfig,
  out: {
    readonly coarse: { readonly rgb: tf.Tensor2D; readonly semantics?: tf.Tensor2D };
    readonly fine?: { readonly rgb: tf.Tensor2D; readonly semantics?: tf.Tensor2D };
    readonly penalty?: tf.Scalar;
  },
  target: tf.Tensor2D,
  labels?: Int32Array,
): LossTerm[] {
  const terms: LossTerm[] = [];
  const main = out.fine ?? out.coarse;
  if (weights.rgb > 0) terms.push([out.fine ? "rgb_fine" : "rgb", mseLoss(main.rgb, target), weights.rgb]);
  if (out.fine && weights.rgbCoarse > 0) {
    terms.push(["rgb_coarse", mseLoss(out.coarse.rgb, target), weights.rgbCoarse]);
  }
  if (labels && main.semantics && weights.semantic > 0) {
    terms.push(["semantic", semanticLoss(main.semantics, labels), weights.semantic]);
  }
  if (labels && out.fine && out.coarse.semantics && weights.semanticCoarse > 0) {
    terms.push(["semantic_coarse", semanticLoss(out.coarse.semantics, labels), weights.semanticCoarse]);
  }
  if (out.penalty && weights.deformation > 0) terms.push(["deformation", out.penalty, weights.deformation]);
  return terms;
}
