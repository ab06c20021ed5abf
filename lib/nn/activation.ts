/**
 * Pointwise activations by name, so configs and modules can choose them with a string.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Activation names understood by {@linkcode activate}. */
export type Activation = "relu" | "leakyRelu" | "sigmoid" | "tanh" | "softplus" | "none";

/**
 * LeakyReLU, max(x, alpha x) for 0 <= alpha <= 1 (AD-NeRF's audio encoders use alpha = 0.02).
 * @param x Any tensor.
 * @param alpha Slope for negative inputs. @default {0.02}
 * @returns Tensor of the same shape.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { leakyRelu } from "./activation.ts";
 * assertEquals(Array.from(leakyRelu(tf.tensor1d([-50, 3])).dataSync()), [-1, 3]);
 * ```
 */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha = 0.02): T {
  return tf.leakyRelu(x, alpha);
}

/**
 * Applies the named activation.
 * @param x Any tensor.
 * @param kind Which activation; "none" returns `x` itself.
 * @param alpha Negative slope for "leakyRelu". @default {0.02}
 * @returns Tensor of the same shape.
 */
export function activate<T extends tf.Tensor>(x: T, kind: Activation, alpha = 0.02): T {
  switch (kind) {
    case "relu":
      return tf.relu(x);
    case "leakyRelu":
      return leakyRelu(x, alpha);
    case "sigmoid":
      return tf.sigmoid(x);
    case "tanh":
      return tf.tanh(x);
    case "softplus":
      return tf.softplus(x);
    case "none":
      return x;
    default:
      throw new Error(`activation.ts: unknown activation ${JSON.stringify(kind satisfies never)}`);
  }
}
