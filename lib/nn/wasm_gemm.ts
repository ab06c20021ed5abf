/**
 * A weight-gradient product x^T dy for tfjs' wasm backend, as a small WebAssembly SIMD kernel of our own on
 * tfjs' own wasm memory.
 *
 * tfjs wasm runs every product through XNNPACK, which packs the right operand first. For x^T dy (x [n, k]
 * and dy [n, m], n large) that operand is dy: packing it took as long as the product itself, and x had to
 * be transposed first. This kernel reads x and dy where they are, row by row, and accumulates each element
 * of the result in order of n from 0, with a separate multiply and add in float32, as XNNPACK's kernels do:
 * the result is the same bit for bit (tested), at ~30-37 GFLOP/s instead of ~15-25 here.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** What the kernel uses of tfjs' wasm backend (public members of its BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
  wasm: { asm: Record<string, unknown> };
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) return [...out, b];
    out.push(b | 0x80);
  }
};
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];

/**
 * The body of `k<R>(x, xs, dy, dys, c, cs, K, N)`: for R rows of the result at c (row stride cs bytes) and
 * N bytes of columns (a multiple of 32: 8 floats per step), c[r][j] += sum over K rows of x[r] dy[j], where
 * x points at the first of R consecutive floats of a row of x (next row xs bytes on) and dy at a row of dy
 * (next row dys bytes on). Eight f32x4 accumulators for R = 4 hold a 4 x 8 tile over all K rows.
 */
function kernelBody(R: number): number[] {
  const J = 8, K = 9, XP = 10, DP = 11, ACC = 12, D0 = 12 + 2 * R, D1 = D0 + 1, A = D1 + 1;
  const get = (i: number) => [0x20, ...uleb(i)], set = (i: number) => [0x21, ...uleb(i)];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const add = [0x6a], mul = [0x6c], sub = [0x6b];
  const load = (offset: number) => [0xfd, 0x00, 4, ...uleb(offset)];
  const store = (offset: number) => [0xfd, 0x0b, 4, ...uleb(offset)];
  const fadd = [0xfd, 0xe4, 0x01], fmul = [0xfd, 0xe6, 0x01], splat = [0xfd, 0x13];
  const cRow = (
    r: number,
  ) => [...get(4), ...get(J), ...add, ...(r ? [...get(5), ...i32(r), ...mul, ...add] : [])];
  const code: number[] = [...i32(0), ...set(J)];
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop over column steps
  code.push(...get(J), ...get(7), 0x4f, 0x0d, 1); // j >= N: leave
  for (let r = 0; r < R; r++) {
    code.push(...cRow(r), ...load(0), ...set(ACC + 2 * r), ...cRow(r), ...load(16), ...set(ACC + 2 * r + 1));
  }
  code.push(...get(0), ...set(XP), ...get(2), ...get(J), ...add, ...set(DP), ...get(6), ...set(K));
  code.push(0x02, 0x40, 0x03, 0x40); // block, loop over rows of x and dy
  code.push(...get(K), 0x45, 0x0d, 1); // no rows left: leave
  code.push(...get(DP), ...load(0), ...set(D0), ...get(DP), ...load(16), ...set(D1));
  for (let r = 0; r < R; r++) {
    code.push(...get(XP), 0x2a, 2, ...uleb(4 * r), ...splat, ...set(A)); // f32.load, splat
    code.push(...get(ACC + 2 * r), ...get(A), ...get(D0), ...fmul, ...fadd, ...set(ACC + 2 * r));
    code.push(...get(ACC + 2 * r + 1), ...get(A), ...get(D1), ...fmul, ...fadd, ...set(ACC + 2 * r + 1));
  }
  code.push(...get(XP), ...get(1), ...add, ...set(XP), ...get(DP), ...get(3), ...add, ...set(DP));
  code.push(...get(K), ...i32(1), ...sub, ...set(K));
  code.push(0x0c, 0, 0x0b, 0x0b); // next row; end loop; end block
  for (let r = 0; r < R; r++) {
    code.push(
      ...cRow(r),
      ...get(ACC + 2 * r),
      ...store(0),
      ...cRow(r),
      ...get(ACC + 2 * r + 1),
      ...store(16),
    );
  }
  code.push(...get(J), ...i32(32), ...add, ...set(J));
  code.push(0x0c, 0, 0x0b, 0x0b, 0x0b); // next column step; end loop; end block; end function
  const body = [...vector([[...uleb(4), 0x7f], [...uleb(2 * R + 3), 0x7b]]), ...code];
  return [...uleb(body.length), ...body];
}

/** The module: imports "env"."memory", exports k4 and k1 (see {@linkcode kernelBody}). */
const MODULE_BYTES = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  1,
  0,
  0,
  0,
  ...section(1, vector([[0x60, ...vector(Array(8).fill([0x7f])), 0]])),
  ...section(2, vector([[...name("env"), ...name("memory"), 0x02, 0x00, 0x00]])),
  ...section(3, vector([[0], [0]])),
  ...section(7, vector([[...name("k4"), 0x00, 0], [...name("k1"), 0x00, 1]])),
  ...section(10, vector([kernelBody(4), kernelBody(1)])),
]);

type Kernel = (
  x: number,
  xs: number,
  dy: number,
  dys: number,
  c: number,
  cs: number,
  k: number,
  n: number,
) => void;
const instances = new WeakMap<WebAssembly.Memory, { k4: Kernel; k1: Kernel }>();
let compiled: WebAssembly.Module | undefined;

/** The kernels instantiated on the wasm backend's memory (once per memory: each worker has its own). */
function kernelsFor(backend: WasmBackend): { k4: Kernel; k1: Kernel } | undefined {
  const memory = Object.values(backend.wasm?.asm ?? {}).find((v) => v instanceof WebAssembly.Memory) as
    | WebAssembly.Memory
    | undefined;
  if (!memory) return undefined;
  let k = instances.get(memory);
  if (!k) {
    compiled ??= new WebAssembly.Module(MODULE_BYTES);
    const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
    k = { k4: exports.k4 as Kernel, k1: exports.k1 as Kernel };
    instances.set(memory, k);
  }
  return k;
}

/** Rows of x and dy per pass over the tiles of the result (a block of both stays in the L2 cache). */
const BLOCK_ROWS = 128;

const KERNEL_NAME = "SspWeightGrad";

// inputs x [n, k] (absent: none) and dy [n, m] -> [k (+1), m]: x^T dy, and the column sums of dy as a last
// row when onesRow is set. With m not a multiple of 8 (a narrow head: sigma, rgb, parsing logits) and k one,
// the kernel computes (dy^T x) [m, k] instead, transposed into place (each element is the same sum of the
// same products, in the same order), and the column sums of dy are summed here in the same order.
function weightGradKernel(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x, dy = args.inputs.dy!;
  const onesRow = args.attrs!.onesRow as boolean;
  const [n, m] = dy.shape;
  const k = x ? x.shape[1] : 0;
  const kernels = kernelsFor(backend)!;
  const swapped = m % 8 !== 0;
  const out = backend.makeOutput([k + (onesRow ? 1 : 0), m], "float32");
  const ones = backend.makeOutput([4], "float32");
  const tmp = swapped ? backend.makeOutput([m, k], "float32") : undefined;
  // Views (and so addresses) after the allocations, which may grow the heap.
  const o = backend.typedArrayFromHeap(out);
  const one = backend.typedArrayFromHeap(ones);
  one.fill(1);
  const xAt = x ? backend.typedArrayFromHeap(x).byteOffset : 0,
    dyAt = backend.typedArrayFromHeap(dy).byteOffset;
  const oneAt = one.byteOffset;
  // The product's left operand a [n, rows] (its columns are the result's rows) and right operand b [n, cols].
  const [aAt, rowsOf, bAt, colsOf] = swapped ? [dyAt, m, xAt, k] : [xAt, k, dyAt, m];
  const c = swapped ? backend.typedArrayFromHeap(tmp!) : o;
  c.fill(0);
  const as = 4 * rowsOf, bs = 4 * colsOf, cs = 4 * colsOf, r4 = rowsOf - (rowsOf % 4);
  for (let r0 = 0; r0 < n; r0 += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, n - r0);
    const ar = aAt + r0 * as, br = bAt + r0 * bs;
    for (let i = 0; i < r4; i += 4) kernels.k4(ar + 4 * i, as, br, bs, c.byteOffset + i * cs, cs, rows, bs);
    for (let i = r4; i < rowsOf; i++) kernels.k1(ar + 4 * i, as, br, bs, c.byteOffset + i * cs, cs, rows, bs);
    if (onesRow && !swapped) kernels.k1(oneAt, 0, br, bs, c.byteOffset + k * cs, cs, rows, bs);
  }
  if (swapped) {
    for (let j = 0; j < m; j++) for (let i = 0; i < k; i++) o[i * m + j] = c[j * k + i];
    if (onesRow) {
      const d = backend.typedArrayFromHeap(dy), sums = o.subarray(k * m, (k + 1) * m);
      sums.fill(0);
      for (let r = 0; r < n; r++) for (let j = 0; j < m; j++) sums[j] += d[r * m + j];
    }
    backend.disposeData(tmp!.dataId);
  }
  backend.disposeData(ones.dataId);
  return out;
}

/**
 * Whether {@linkcode weightGradWasm} runs for these operands: float32 on the wasm backend, a wasm memory the
 * kernel can use, and dy's columns, or else x's, in a multiple of 8.
 * @param dy The gradient, [n, m].
 * @param x The inputs, [n, k], if any.
 * @returns True when the kernel applies.
 */
export function weightGradApplies(dy: tf.Tensor2D, x?: tf.Tensor2D): boolean {
  if (tf.getBackend() !== "wasm" || dy.dtype !== "float32" || dy.rank !== 2) return false;
  if (x && (x.dtype !== "float32" || x.rank !== 2 || x.shape[0] !== dy.shape[0])) return false;
  if (dy.shape[1] % 8 !== 0 && !(x && x.shape[1] % 8 === 0)) return false;
  return kernelsFor(tf.backend() as unknown as WasmBackend) !== undefined;
}

/**
 * [x^T dy; column sums of dy] (the sums only with `onesRow`), bit for bit tfjs wasm's
 * `tf.matMul(tf.concat([x^T, ones[1, n]]), dy)` (see the module doc). Check {@linkcode weightGradApplies}
 * first. Not differentiable (used inside gradients).
 * @param x Inputs, [n, k], or undefined for the column sums alone.
 * @param dy Gradient, [n, m] (m or k a multiple of 8, see {@linkcode weightGradApplies}).
 * @param onesRow Whether to append the column sums of dy as a last row.
 * @returns [k (+1), m].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { weightGradWasm } from "./wasm_gemm.ts";
 * await initBackend({ log: null });
 * const dy = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1, 1, 1, 1], [2, 8]);
 * const g = weightGradWasm(tf.tensor2d([[2], [10]]), dy, true);
 * assertEquals(Array.from(g.dataSync()), [12, 14, 16, 18, 20, 22, 24, 26, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 */
export function weightGradWasm(x: tf.Tensor2D | undefined, dy: tf.Tensor2D, onesRow: boolean): tf.Tensor2D {
  if (!tf.getKernel(KERNEL_NAME, "wasm")) {
    tf.registerKernel({ kernelName: KERNEL_NAME, backendName: "wasm", kernelFunc: weightGradKernel });
  }
  const inputs: tf.NamedTensorMap = x ? { x, dy } : { dy };
  return tf.engine().runKernel(KERNEL_NAME, inputs, { onesRow }) as tf.Tensor2D;
}
