/**
 * Matrix product with a gradient that is fast on tfjs wasm.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

// tfjs' built-in MatMul gradient calls matMul with transpose flags, which the wasm backend runs 5-9x slower
// than a plain product (docs/speed.md; measured: a NeRF MLP step went from 15.6 s to 4.6 s). Transposing explicitly is a
// cheap copy followed by the fast kernel.
const matMulWithExplicitTransposes = tf.customGrad((a, b, save) => {
  const A = a as tf.Tensor2D, B = b as tf.Tensor2D;
  (save as tf.GradSaveFunc)([A, B]);
  return {
    value: tf.matMul(A, B),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      // A GPU reads transposed operands in its matMul kernel at no cost: no copy there.
      if (tf.getBackend() === "webgpu") {
        return [tf.matMul(dy, sb, false, true), tf.matMul(sa, dy, true, false)];
      }
      return [tf.matMul(dy, transpose2d(sb)), tf.matMul(transpose2d(sa), dy)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Tile side of the blocked transpose (a tile of rows and one of columns stay in cache). */
const TRANSPOSE_TILE = 64;

/**
 * The transpose of a 2-D tensor. tfjs wasm transposes a tall matrix ([n, d], n >> d, as activations are)
 * slowly: 27 ms for [32768, 64] here against 1.9 ms the other way round, as it writes with a stride of n.
 * Tall float32 matrices on the wasm backend are transposed here in JS in 64 x 64 tiles instead (7.4 ms
 * including the copies in and out); everything else, and every tensor on another backend (on webgpu the
 * data stays on the GPU), goes to `tf.transpose`. Not differentiable (used inside gradients).
 * @param x A 2-D tensor.
 * @returns x^T.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { transpose2d } from "./matmul.ts";
 * const t = transpose2d(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
 * assertEquals(t.shape, [2, 3]);
 * assertEquals(Array.from(t.dataSync()), [1, 3, 5, 2, 4, 6]);
 * ```
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = x.shape;
  if (x.dtype !== "float32" || r <= c || r * c < 4096 || tf.getBackend() !== "wasm") return tf.transpose(x);
  const v = x.dataSync() as Float32Array;
  const o = new Float32Array(r * c);
  for (let a0 = 0; a0 < r; a0 += TRANSPOSE_TILE) {
    const a1 = Math.min(r, a0 + TRANSPOSE_TILE);
    for (let b0 = 0; b0 < c; b0 += TRANSPOSE_TILE) {
      const b1 = Math.min(c, b0 + TRANSPOSE_TILE);
      for (let b = b0; b < b1; b++) {
        const ob = b * r;
        for (let a = a0; a < a1; a++) o[ob + a] = v[a * c + b];
      }
    }
  }
  return tf.tensor2d(o, [c, r]);
}

// x [n, d] + a row v ([d] or [1, d]) broadcast over n. tfjs reduces the broadcast gradient with
// sum(dy, 0), which wasm runs by transposing dy first (the slow direction, see transpose2d); a product
// with a row of ones is the same column sum through the fast matMul kernel.
const addRowsOp = tf.customGrad((x, v, save) => {
  const X = x as tf.Tensor2D, V = v as tf.Tensor;
  (save as tf.GradSaveFunc)([V]);
  return {
    value: tf.add(X, V),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      // On a GPU the column sum is one reduction kernel (no transpose behind it).
      if (tf.getBackend() === "webgpu") return [dy, tf.sum(dy, 0).reshape(saved[0].shape)];
      const ones = tf.ones([1, dy.shape[0]]) as tf.Tensor2D;
      return [dy, tf.matMul(ones, dy).reshape(saved[0].shape)];
    },
  };
}) as (x: tf.Tensor2D, v: tf.Tensor) => tf.Tensor2D;

/**
 * x + v for a row vector v broadcast over the rows of x (a bias, or a per-frame code's contribution),
 * with the gradient of v as a matMul with a row of ones instead of tfjs' sum over axis 0 (slow on wasm,
 * see {@linkcode transpose2d}); a v of x's own shape is a plain `tf.add`.
 * @param x [n, d].
 * @param v [d], [1, d] or [n, d].
 * @returns [n, d].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { addRows } from "./matmul.ts";
 * const v = tf.tensor1d([10, 20]);
 * const g = tf.grad((b: tf.Tensor) => tf.sum(addRows(tf.ones([3, 2]), b)))(v);
 * assertEquals(Array.from(g.dataSync()), [3, 3]);
 * ```
 */
export function addRows(x: tf.Tensor2D, v: tf.Tensor): tf.Tensor2D {
  const [n, d] = x.shape;
  if (x.rank === 2 && v.rank === 2 && v.shape[0] === n && v.shape[1] === d) return tf.add(x, v);
  if (
    x.rank !== 2 ||
    !((v.rank === 1 && v.shape[0] === d) || (v.rank === 2 && v.shape[0] === 1 && v.shape[1] === d))
  ) {
    throw new Error(
      `matmul.ts: addRows needs x [n, d] and v [d] or [1, d]: got [${x.shape}] and [${v.shape}]`,
    );
  }
  return addRowsOp(x, v);
}

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
