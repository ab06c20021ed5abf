/**
 * Volume-rendering weights along rays: transmittance, weights from density, weights from opacity.
 *
 * Everything differentiates on the tfjs wasm backend: the running product of transmittance is written
 * as exp of an exclusive cumulative sum (tfjs has no gradient for cumprod), and the opaque last sample
 * is a concatenation of a slice and ones (no comparison on the differentiated path).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of the weight functions. */
export interface WeightsOptions {
  /** Force the last sample of every ray to be opaque (alpha = 1), so its weight is the transmittance left
   * after the other samples and the weights of every ray sum to exactly 1 (AD-NeRF's background sample,
   * see `lastSampleBackground`). With NeRF's last interval of 1e10 this is already true for any density
   * above ~1e-9; this option makes it true for density 0 too.
   * @default {false} */
  readonly opaqueLast?: boolean;
}

function check2d(name: string, t: tf.Tensor): void {
  if (t.rank !== 2) throw new Error(`${name} must be [nRays, nSamples]: got [${t.shape}]`);
}

function checkSame(aName: string, a: tf.Tensor, bName: string, b: tf.Tensor): void {
  check2d(aName, a);
  check2d(bName, b);
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new Error(`${aName} [${a.shape}] and ${bName} [${b.shape}] must have the same shape`);
  }
}

/** alphas with the last column set to 1, as alphas m + e (m = 1 but the last, e = 0 but the last): exact,
 * and faster on wasm than a slice and a concat, whose gradients are a pad and a split. */
function lastToOne(alphas: tf.Tensor2D): tf.Tensor2D {
  const k = alphas.shape[1];
  const keep = new Float32Array(k).fill(1), last = new Float32Array(k);
  keep[k - 1] = 0;
  last[k - 1] = 1;
  return tf.add(tf.mul(alphas, tf.tensor2d(keep, [1, k])), tf.tensor2d(last, [1, k]));
}

/**
 * Transmittance at each sample, the probability that light travels from the ray start to sample i
 * unblocked: T_i = exp(-sum_{j<i} sigma_j delta_j) (so T_0 = 1).
 * @param sigmas Densities sigma_i >= 0 (per unit length), shape [nRays, nSamples].
 * @param deltas Interval lengths delta_i (same units as 1 / sigma), shape [nRays, nSamples].
 * @returns T, shape [nRays, nSamples].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { transmittance } from "./weights.ts";
 * await initBackend({ log: null });
 * const T = transmittance(tf.tensor2d([[0.5, 1, 2]]), tf.tensor2d([[1, 1, 1]]));
 * const [t0, t1, t2] = T.dataSync();
 * assertAlmostEquals(t0, 1, 1e-6);
 * assertAlmostEquals(t1, 0.6065, 1e-4); // e^-0.5
 * assertAlmostEquals(t2, 0.2231, 1e-4); // e^-1.5
 * T.dispose();
 * ```
 */
export function transmittance(sigmas: tf.Tensor2D, deltas: tf.Tensor2D): tf.Tensor2D {
  checkSame("sigmas", sigmas, "deltas", deltas);
  return tf.tidy(() => tf.exp(tf.neg(tf.cumsum(tf.mul(sigmas, deltas), 1, true))));
}

/**
 * Rendering weights from densities (NeRF's quadrature):
 * ```
 * w_i = T_i (1 - exp(-sigma_i delta_i)),   T_i = exp(-sum_{j<i} sigma_j delta_j)
 * ```
 * sum_i w_i = 1 - T_final, with T_final = exp(-sum_i sigma_i delta_i).
 * @param sigmas Densities, shape [nRays, nSamples].
 * @param deltas Interval lengths, shape [nRays, nSamples] (e.g. from `deltasFromT`).
 * @param options See {@linkcode WeightsOptions}.
 * @returns Weights, shape [nRays, nSamples].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { weightsFromDensity } from "./weights.ts";
 * await initBackend({ log: null });
 * const w = weightsFromDensity(tf.tensor2d([[0.4, 0.8]]), tf.tensor2d([[1, 1]]));
 * const [w0, w1] = w.dataSync();
 * assertAlmostEquals(w0, 0.3297, 1e-4); // 1 - e^-0.4
 * assertAlmostEquals(w1, 0.3691, 1e-4); // e^-0.4 (1 - e^-0.8) = 0.6703 * 0.5507
 * w.dispose();
 * ```
 */
export function weightsFromDensity(
  sigmas: tf.Tensor2D,
  deltas: tf.Tensor2D,
  options: WeightsOptions = {},
): tf.Tensor2D {
  checkSame("sigmas", sigmas, "deltas", deltas);
  return tf.tidy(() => {
    const tau = tf.mul(sigmas, deltas);
    const T = tf.exp(tf.neg(tf.cumsum(tau, 1, true)));
    let alpha = tf.sub(1, tf.exp(tf.neg(tau))) as tf.Tensor2D;
    if (options.opaqueLast) alpha = lastToOne(alpha);
    return tf.mul(T, alpha);
  });
}

/** Options of {@linkcode weightsFromAlpha}. */
export interface AlphaWeightsOptions extends WeightsOptions {
  /** Added to 1 - alpha inside the log so that alpha = 1 stays finite (NeRF adds 1e-10 in its cumprod).
   * @default {1e-10} */
  readonly eps?: number;
}

/**
 * Rendering weights from per-sample opacities:
 * ```
 * w_i = alpha_i T_i,   T_i = prod_{j<i} (1 - alpha_j) = exp(sum_{j<i} log(1 - alpha_j + eps))
 * ```
 * For alpha_i = 1 - exp(-sigma_i delta_i) this equals {@linkcode weightsFromDensity}.
 * @param alphas Opacities in [0, 1], shape [nRays, nSamples].
 * @param options See {@linkcode AlphaWeightsOptions}.
 * @returns Weights, shape [nRays, nSamples].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { weightsFromAlpha } from "./weights.ts";
 * await initBackend({ log: null });
 * // Half the light stops at each of two samples: w = [0.5, 0.5 * 0.5].
 * const w = weightsFromAlpha(tf.tensor2d([[0.5, 0.5]]));
 * const [w0, w1] = w.dataSync();
 * assertAlmostEquals(w0, 0.5, 1e-6);
 * assertAlmostEquals(w1, 0.25, 1e-6);
 * w.dispose();
 * ```
 */
export function weightsFromAlpha(alphas: tf.Tensor2D, options: AlphaWeightsOptions = {}): tf.Tensor2D {
  check2d("alphas", alphas);
  const eps = options.eps ?? 1e-10;
  return tf.tidy(() => {
    const T = tf.exp(tf.cumsum(tf.log(tf.add(tf.sub(1, alphas), eps)), 1, true));
    return tf.mul(T, options.opaqueLast ? lastToOne(alphas) : alphas);
  });
}

/**
 * Opacity of each interval, alpha_i = 1 - exp(-sigma_i delta_i) (NeRF's `raw2alpha`).
 * @param sigmas Densities, shape [nRays, nSamples].
 * @param deltas Interval lengths, shape [nRays, nSamples].
 * @returns Opacities in [0, 1], shape [nRays, nSamples].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { alphaFromDensity } from "./weights.ts";
 * await initBackend({ log: null });
 * const a = alphaFromDensity(tf.tensor2d([[Math.LN2]]), tf.tensor2d([[1]]));
 * assertAlmostEquals(a.dataSync()[0], 0.5, 1e-6); // 1 - e^-ln2
 * a.dispose();
 * ```
 */
export function alphaFromDensity(sigmas: tf.Tensor2D, deltas: tf.Tensor2D): tf.Tensor2D {
  checkSame("sigmas", sigmas, "deltas", deltas);
  return tf.tidy(() => tf.sub(1, tf.exp(tf.neg(tf.mul(sigmas, deltas)))));
}
