/**
 * Layer compositing: a premultiplied front layer over what lies behind it,
 * c = c_front + (1 - alpha_front) c_behind, for colours and class distributions alike (both are
 * weight sums along the ray). The one place the head is put over the image-space torso, the torso over
 * the background, and a front part of a ray over its rest.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A layer: premultiplied colour [n, 3], optional class distribution [n, K]. */
export interface Layer {
  readonly rgb: tf.Tensor2D;
  readonly semantics?: tf.Tensor2D;
}

/**
 * The front layer over the one behind it: rgb = front.rgb + (1 - alpha) behind.rgb, and the same for
 * the class distributions when both have one (else the result has none).
 * @param front Premultiplied front layer and its opacity `alpha`, [n].
 * @param behind The layer behind (colours [n, 3], optional [n, K]).
 * @returns The composite (call inside tf.tidy, or dispose it).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { over } from "./composite.ts";
 * // A half-opaque red head (premultiplied 0.5, 0, 0) over a blue background: 0.5, 0, 0.5.
 * const c = over(
 *   { rgb: tf.tensor2d([[0.5, 0, 0]]), alpha: tf.tensor1d([0.5]) },
 *   { rgb: tf.tensor2d([[0, 0, 1]]) },
 * );
 * Array.from(c.rgb.dataSync()).forEach((v, i) => assertAlmostEquals(v, [0.5, 0, 0.5][i], 1e-7));
 * ```
 */
export function over(front: Layer & { readonly alpha: tf.Tensor1D }, behind: Layer): Layer {
  const n = front.rgb.shape[0];
  const check = (what: string, t: tf.Tensor, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`over: ${what} must be [${shape}]: got [${t.shape}]`);
    }
  };
  check("front alpha", front.alpha, [n]);
  check("behind rgb", behind.rgb, [n, 3]);
  return tf.tidy(() => {
    const t = tf.sub(1, front.alpha).expandDims(1);
    return {
      rgb: tf.add(front.rgb, tf.mul(t, behind.rgb)) as tf.Tensor2D,
      semantics: front.semantics && behind.semantics
        ? tf.add(front.semantics, tf.mul(t, behind.semantics)) as tf.Tensor2D
        : undefined,
    };
  });
}

/**
 * A layer of one colour per ray and opacity `alpha` as a premultiplied layer: rgb = alpha c.
 * @param rgb Colours, [n, 3].
 * @param alpha Opacities, [n].
 * @param semantics Optional class distribution of the layer where it is opaque, [n, K].
 */
export function premultiply(
  rgb: tf.Tensor2D,
  alpha: tf.Tensor1D,
  semantics?: tf.Tensor2D,
): Layer & { readonly alpha: tf.Tensor1D } {
  return tf.tidy(() => {
    const a = alpha.expandDims(1);
    return {
      rgb: tf.mul(a, rgb) as tf.Tensor2D,
      semantics: semantics ? tf.mul(a, semantics) as tf.Tensor2D : undefined,
      alpha: alpha.clone(),
    };
  });
}
