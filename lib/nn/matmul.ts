/**
 * Matrix product with a gradient that is fast on tfjs wasm.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

// tfjs' built-in MatMul gradient calls matMul with transpose flags, which the wasm backend runs 5-9x slower
// than a plain product (DESIGN.md: a NeRF MLP step went from 15.6 s to 4.6 s). Transposing explicitly is a
// cheap copy followed by the fast kernel.
const matMulWithExplicitTransposes = tf.customGrad((a, b, save) => {
  const A = a as tf.Tensor2D, B = b as tf.Tensor2D;
  (save as tf.GradSaveFunc)([A, B]);
  return {
    value: tf.matMul(A, B),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Y = A B, with the backward pass dA = dY B^T and dB = A^T dY computed by explicit `tf.transpose` then
 * plain `tf.matMul` (never the transpose flags, which are slow on wasm).
 * @param a Left matrix, shape [m, k].
 * @param b Right matrix, shape [k, n].
 * @returns The product, shape [m, n].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { matMulT } from "./matmul.ts";
 * const y = matMulT(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
 * assertEquals(Array.from(y.dataSync()), [17, 39]);
 * ```
 */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matmul.ts: matMulT needs [m, k] x [k, n]: got [${a.shape}] x [${b.shape}]`);
  }
  return matMulWithExplicitTransposes(a, b);
}
