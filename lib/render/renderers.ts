/**
 * One small renderer per output: colour, depth, accumulated opacity, semantics. Each is a weighted sum
 * over the samples of a ray with the weights of `weights.ts`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

function checkWeights(weights: tf.Tensor): void {
  if (weights.rank !== 2) throw new Error(`weights must be [nRays, nSamples]: got [${weights.shape}]`);
}

function weightedSum(weights: tf.Tensor2D, values: tf.Tensor3D, name: string): tf.Tensor2D {
  checkWeights(weights);
  if (values.rank !== 3 || values.shape[0] !== weights.shape[0] || values.shape[1] !== weights.shape[1]) {
    throw new Error(`${name} must be [${weights.shape}, C] to match weights: got [${values.shape}]`);
  }
  return tf.tidy(() => tf.sum(tf.mul(tf.expandDims(weights, 2), values), 1));
}

/**
 * Colour of each ray, C(r) = sum_i w_i c_i.
 * @param weights Rendering weights, shape [nRays, nSamples].
 * @param rgbs Colours of the samples in [0, 1], shape [nRays, nSamples, 3] (any channel count works).
 * @returns Colours, shape [nRays, 3]; not composited: add the background with `compositeOverBackground`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { renderRgb } from "./renderers.ts";
 * await initBackend({ log: null });
 * // 0.5 of red + 0.25 of white = (0.75, 0.25, 0.25).
 * const c = renderRgb(tf.tensor2d([[0.5, 0.25]]), tf.tensor3d([[[1, 0, 0], [1, 1, 1]]]));
 * const v = c.dataSync();
 * [0.75, 0.25, 0.25].forEach((want, i) => assertAlmostEquals(v[i], want, 1e-6));
 * c.dispose();
 * ```
 */
export function renderRgb(weights: tf.Tensor2D, rgbs: tf.Tensor3D): tf.Tensor2D {
  return weightedSum(weights, rgbs, "rgbs");
}

/**
 * Semantic (parsing) distribution of each ray, S(r) = sum_i w_i s_i, from per-sample class
 * PROBABILITIES s_i (softmax of the field's logits). Why probabilities: the result is then the expected
 * label distribution along the ray, each entry in [0, 1] and summing to the accumulated opacity; the light
 * that passes all samples (1 - acc) can be given to the background class with
 * `compositeOverBackground(S, acc, oneHot(background))`, after which S is a distribution and
 * cross-entropy is -log S_label. A weighted sum of logits (Semantic-NeRF renders logits, then applies a
 * softmax) has no such meaning: its scale shrinks with the opacity of the ray, so a half-transparent ray
 * gets a flatter softmax, and the empty part of the ray votes for nothing. The function itself is linear,
 * so it renders logits too if a caller wants that variant.
 * @param weights Rendering weights, shape [nRays, nSamples].
 * @param probs Class probabilities of the samples, shape [nRays, nSamples, C].
 * @returns Rendered class distribution, shape [nRays, C], entries summing to the accumulation.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { renderSemantics } from "./renderers.ts";
 * await initBackend({ log: null });
 * const s = renderSemantics(tf.tensor2d([[0.6, 0.4]]), tf.tensor3d([[[1, 0], [0.5, 0.5]]]));
 * const [p0, p1] = s.dataSync();
 * assertAlmostEquals(p0, 0.8, 1e-6); // 0.6 * 1 + 0.4 * 0.5
 * assertAlmostEquals(p1, 0.2, 1e-6);
 * s.dispose();
 * ```
 */
export function renderSemantics(weights: tf.Tensor2D, probs: tf.Tensor3D): tf.Tensor2D {
  return weightedSum(weights, probs, "probs");
}

/** Options of {@linkcode renderDepth}. */
export interface DepthOptions {
  /** Divide by the accumulation (plus `eps`), giving the depth expected given that the ray hits
   * something, instead of sum_i w_i t_i, which is pulled towards 0 where the ray is transparent.
   * @default {false} */
  readonly normalize?: boolean;
  /** Guards the division of `normalize` for empty rays.
   * @default {1e-10} */
  readonly eps?: number;
}

/**
 * Expected depth of each ray, D(r) = sum_i w_i t_i (or that divided by sum_i w_i, see options).
 * @param weights Rendering weights, shape [nRays, nSamples].
 * @param tVals Depths of the samples, shape [nRays, nSamples].
 * @param options See {@linkcode DepthOptions}.
 * @returns Depths, shape [nRays].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { renderDepth } from "./renderers.ts";
 * await initBackend({ log: null });
 * const w = tf.tensor2d([[0, 0.5, 0]]), t = tf.tensor2d([[1, 2, 3]]);
 * const d = renderDepth(w, t), dn = renderDepth(w, t, { normalize: true });
 * assertAlmostEquals(d.dataSync()[0], 1, 1e-6); // 0.5 * 2
 * assertAlmostEquals(dn.dataSync()[0], 2, 1e-6); // the surface that was hit is at t = 2
 * tf.dispose([d, dn]);
 * ```
 */
export function renderDepth(
  weights: tf.Tensor2D,
  tVals: tf.Tensor2D,
  options: DepthOptions = {},
): tf.Tensor1D {
  checkWeights(weights);
  if (tVals.rank !== 2 || tVals.shape[0] !== weights.shape[0] || tVals.shape[1] !== weights.shape[1]) {
    throw new Error(`tVals must be [${weights.shape}] like weights: got [${tVals.shape}]`);
  }
  return tf.tidy(() => {
    const d = tf.sum(tf.mul(weights, tVals), 1) as tf.Tensor1D;
    return options.normalize ? tf.div(d, tf.add(tf.sum(weights, 1), options.eps ?? 1e-10)) : d;
  });
}

/**
 * Accumulated opacity of each ray, A(r) = sum_i w_i = 1 - T_final (the share of light the field stops).
 * @param weights Rendering weights, shape [nRays, nSamples].
 * @returns Accumulation in [0, 1], shape [nRays].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { renderAccumulation } from "./renderers.ts";
 * await initBackend({ log: null });
 * const a = renderAccumulation(tf.tensor2d([[0.5, 0.25], [0, 0.1]]));
 * const [a0, a1] = a.dataSync();
 * assertAlmostEquals(a0, 0.75, 1e-6);
 * assertAlmostEquals(a1, 0.1, 1e-6);
 * a.dispose();
 * ```
 */
export function renderAccumulation(weights: tf.Tensor2D): tf.Tensor1D {
  checkWeights(weights);
  return tf.tidy(() => tf.sum(weights, 1));
}
