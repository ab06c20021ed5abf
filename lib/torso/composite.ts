/**
 * Compositing of the image-space torso between the rendered head and the background.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * final = head_rgb + (1 - head_acc) (alpha torso_rgb + (1 - alpha) bg): the volume-rendered head
 * (premultiplied: rgb = sum_i w_i c_i, accumulation = sum_i w_i) in front of the 2-D torso layer, in front
 * of the background. The three layers are the three arguments, front to back (one more required argument
 * than the usual two: each is a required image layer, and their order is the compositing order).
 * @param head Rendered head: `rgb` [n, 3] (not yet composited over anything) and `accumulation` [n].
 * @param torso Torso layer: `rgb` [n, 3] (straight, not premultiplied) and `alpha` [n] (`Torso2d` output).
 * @param background Background colour per ray, [n, 3].
 * @returns Final colour, [n, 3].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { compositeTorso2d } from "./composite.ts";
 * await initBackend({ log: null });
 * // Head half opaque, red-ish 0.4 premultiplied; torso 0.5 alpha green; white background:
 * // r = 0.4 + 0.5 (0.5 * 0 + 0.5 * 1) = 0.65, g = 0 + 0.5 (0.5 * 1 + 0.5) = 0.5, b = 0 + 0.5 (0 + 0.5) = 0.25.
 * const out = compositeTorso2d(
 *   { rgb: tf.tensor2d([[0.4, 0, 0]]), accumulation: tf.tensor1d([0.5]) },
 *   { rgb: tf.tensor2d([[0, 1, 0]]), alpha: tf.tensor1d([0.5]) },
 *   tf.tensor2d([[1, 1, 1]]),
 * ).dataSync();
 * [0.65, 0.5, 0.25].forEach((want, i) => assertAlmostEquals(out[i], want, 1e-6));
 * ```
 */
export function compositeTorso2d(
  head: { readonly rgb: tf.Tensor2D; readonly accumulation: tf.Tensor1D },
  torso: { readonly rgb: tf.Tensor2D; readonly alpha: tf.Tensor1D },
  background: tf.Tensor2D,
): tf.Tensor2D {
  const n = head.rgb.shape[0];
  const check = (what: string, t: tf.Tensor, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${what} must be [${shape}]: got [${t.shape}]`);
    }
  };
  check("head rgb", head.rgb, [n, 3]);
  check("head accumulation", head.accumulation, [n]);
  check("torso rgb", torso.rgb, [n, 3]);
  check("torso alpha", torso.alpha, [n]);
  check("background", background, [n, 3]);
  return tf.tidy(() => {
    const a = torso.alpha.reshape([n, 1]);
    const behind = tf.add(tf.mul(a, torso.rgb), tf.mul(tf.sub(1, a), background));
    return tf.add(head.rgb, tf.mul(tf.sub(1, head.accumulation.reshape([n, 1])), behind)) as tf.Tensor2D;
  });
}
