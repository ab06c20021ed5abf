/**
 * Matrix product with a gradient that is fast on tfjs wasm.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { weightGradApplies, weightGradWasm } from "./wasm_gemm.ts";

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
      const db = weightGradApplies(dy, sa) ? weightGradWasm(sa, dy, false) : tf.matMul(transpose2d(sa), dy);
      return [tf.matMul(dy, transpose2d(sb)), db];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** Tile side of the blocked transpose (a tile of rows and one of columns stay in cache). */
const TRANSPOSE_TILE = 64;

/** The wasm kernel behind {@linkcode transpose2d} and the weight-and-bias gradient of {@linkcode dense}. */
const TRANSPOSE_KERNEL = "SspTransposeTall";

/** What the JS transpose kernel uses of tfjs' wasm backend (public methods of its BackendWasm). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

// x [r, c] -> x^T [c, r], plus a last row of ones when `onesRow` is set ([c + 1, r]). Reads and writes the
// tensors in the wasm heap directly (no copy out through dataSync and back in through tf.tensor: those
// two copies took half of the time of a transpose here). Pure data movement: bit for bit x^T.
function transposeKernel(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const x = args.inputs.x!;
  const backend = args.backend as WasmHeapBackend;
  const [r, c] = x.shape;
  const extra = args.attrs?.onesRow ? 1 : 0;
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const out = backend.makeOutput([c + extra, r], "float32");
  const v = backend.typedArrayFromHeap(x), o = backend.typedArrayFromHeap(out);
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
  if (extra) o.fill(1, c * r, (c + 1) * r);
  return out;
}

/** Whether x is transposed by the JS kernel: a tall float32 matrix of some size on the wasm backend. */
function tallOnWasm(x: tf.Tensor2D): boolean {
  const [r, c] = x.shape;
  return x.dtype === "float32" && r > c && r * c >= 4096 && tf.getBackend() === "wasm";
}

function runTransposeKernel(x: tf.Tensor2D, onesRow: boolean): tf.Tensor2D {
  if (!tf.getKernel(TRANSPOSE_KERNEL, "wasm")) {
    tf.registerKernel({ kernelName: TRANSPOSE_KERNEL, backendName: "wasm", kernelFunc: transposeKernel });
  }
  return tf.engine().runKernel(TRANSPOSE_KERNEL, { x }, { onesRow }) as tf.Tensor2D;
}

/**
 * The transpose of a 2-D tensor. tfjs wasm transposes a tall matrix ([n, d], n >> d, as activations are)
 * slowly: 27 ms for [32768, 64] here against 1.9 ms the other way round, as it writes with a stride of n.
 * Tall float32 matrices on the wasm backend are transposed here in JS in 64 x 64 tiles instead, in place
 * in the wasm heap; everything else, and every tensor on another backend (on webgpu the data stays on the
 * GPU), goes to `tf.transpose`. Not differentiable (used inside gradients).
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
  return tallOnWasm(x) ? runTransposeKernel(x, false) : tf.transpose(x);
}

/** [x^T; 1...1]: x^T with a row of ones below, [d + 1, n] (see {@linkcode dense}'s gradient). */
function transposeWithOnes(x: tf.Tensor2D): tf.Tensor2D {
  if (tallOnWasm(x)) return runTransposeKernel(x, true);
  return tf.concat([tf.transpose(x), tf.ones([1, x.shape[0]])], 0);
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
      if (weightGradApplies(dy)) return [dy, weightGradWasm(undefined, dy, true).reshape(saved[0].shape)];
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

// x W + b on wasm with one product for the gradients of both W and b: [x^T; 1] dy = [x^T dy; column sums
// of dy], by the weight-gradient kernel (wasm_gemm.ts: no transpose of x, no packing of dy) or, where it
// does not apply, by tf.matMul with the row of ones appended while x is transposed anyway, instead of a
// separate [1, n] x [n, d] product. Bit for bit the same values as matMulT + addRows: every element of a
// wasm product is a sum over the inner index in the same order whatever the other rows (matmul_test.ts).
const denseWithBias = tf.customGrad((x, w, b, save) => {
  const X = x as tf.Tensor2D, W = w as tf.Tensor2D, B = b as tf.Tensor;
  (save as tf.GradSaveFunc)([X, W]);
  return {
    value: tf.add(tf.matMul(X, W), B),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as tf.Tensor2D[];
      const k = sx.shape[1];
      const both = weightGradApplies(dy, sx)
        ? weightGradWasm(sx, dy, true)
        : tf.matMul(transposeWithOnes(sx), dy);
      const [dw, db] = tf.split(both, [k, 1], 0);
      return [tf.matMul(dy, transpose2d(sw)), dw, db.reshape(B.shape)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D;

/**
 * A dense layer's x W + b (b optional) with a backward pass that is fast on tfjs wasm: the values and
 * gradients of {@linkcode matMulT} followed by {@linkcode addRows}, bit for bit, with the gradients of W
 * and b from one product on wasm (the bias as a row of ones under x^T). Other backends run exactly
 * `addRows(matMulT(x, w), b)`.
 * @param x Inputs, [n, k].
 * @param w Weights, [k, m].
 * @param b Bias, [m] or [1, m], or undefined for none.
 * @returns [n, m].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { dense } from "./matmul.ts";
 * const y = dense(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([10, 20]));
 * assertEquals(Array.from(y.dataSync()), [11, 22]);
 * ```
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new Error(`matmul.ts: dense needs x [n, k] and w [k, m]: got [${x.shape}] and [${w.shape}]`);
  }
  if (!b) return matMulWithExplicitTransposes(x, w);
  const m = w.shape[1];
  if (!((b.rank === 1 && b.shape[0] === m) || (b.rank === 2 && b.shape[0] === 1 && b.shape[1] === m))) {
    throw new Error(`matmul.ts: dense needs a bias of [${m}] or [1, ${m}]: got [${b.shape}]`);
  }
  if (tf.getBackend() !== "wasm") return addRowsOp(matMulWithExplicitTransposes(x, w), b);
  return denseWithBias(x, w, b);
}

/**
 * Columns [from, from + count) of x, as a product with a 0/1 selector: on tfjs wasm a column slice or
 * split of a tall matrix is a slow strided copy, and its gradient a pad or concat of the same kind
 * (measured here, [16384, 4] into [1, 3]: ~1.1 ms for the split against ~0.25 ms for both products), while a
 * product with a [d, count] selector runs through the matMul kernel. Every output is one entry of x times 1
 * plus the others times 0, so the values (and the gradient, dy S^T) are exact for finite x; a NaN or
 * infinite entry spreads to the row's other columns.
 * @param x [n, d].
 * @param from First column.
 * @param count Number of columns (>= 1).
 * @returns [n, count].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { selectColumns } from "./matmul.ts";
 * const y = selectColumns(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), 1, 2);
 * assertEquals(Array.from(y.dataSync()), [2, 3, 5, 6]);
 * ```
 */
export function selectColumns(x: tf.Tensor2D, from: number, count: number): tf.Tensor2D {
  const d = x.shape[1];
  if (
    x.rank !== 2 || !Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 1 ||
    from + count > d
  ) {
    throw new Error(
      `matmul.ts: selectColumns needs columns [${from}, ${
        from + count
      }) of an [n, d] matrix: got [${x.shape}]`,
    );
  }
  return tf.tidy(() => {
    const s = new Float32Array(d * count);
    for (let j = 0; j < count; j++) s[(from + j) * count + j] = 1;
    return tf.matMul(x, tf.tensor2d(s, [d, count]));
  });
}
