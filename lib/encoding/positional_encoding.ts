/**
 * NeRF's frequency (positional) encoding gamma(x), as a tfjs op and as a plain-JS twin for inputs that
 * are constants of the graph (sample points, view directions).
 *
 * Layout, as in NeRF's official code (`get_embedder`): for each point,
 * ```
 * [x, sin(2^0 x), cos(2^0 x), sin(2^1 x), cos(2^1 x), ..., sin(2^(L-1) x), cos(2^(L-1) x)]
 * ```
 * where x is the whole d-vector, so per frequency come the sines of all d coordinates, then their cosines.
 * Frequencies are 2^k with NO factor pi (NeRF's and AD-NeRF's code; the NeRF paper writes sin(2^k pi x)
 * for inputs in [-1, 1], but the released code uses `torch.sin(x * 2.**k)`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options of the positional encodings. */
export interface PositionalEncodingOptions {
  /** Prepend the raw input x to the sines and cosines (NeRF's `include_input`).
   * @default {true} */
  readonly includeInput?: boolean;
}

/** 2 pi = TWO_PI_HI + TWO_PI_LO; the high part (201 / 32) has 8 significant bits, so k TWO_PI_HI is exact
 * in float32 for |k| < 2^16 (angles up to ~400,000 rad). */
const TWO_PI_HI = 6.28125;
const TWO_PI_LO = 2 * Math.PI - TWO_PI_HI;

/**
 * Width of the encoding: d (if the input is included) + 2 L d.
 * @param dim Input dimension d.
 * @param numFreqs Number of frequencies L.
 * @param includeInput Whether x itself is included.
 * @returns The encoded width.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodedDim } from "./positional_encoding.ts";
 * assertEquals(encodedDim(3, 10), 63); // NeRF's xyz encoding
 * assertEquals(encodedDim(3, 4, false), 24);
 * ```
 */
export function encodedDim(dim: number, numFreqs: number, includeInput = true): number {
  checkArgs(dim, numFreqs);
  return dim * ((includeInput ? 1 : 0) + 2 * numFreqs);
}

function checkArgs(dim: number, numFreqs: number): void {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`dim must be a positive integer: got ${dim}`);
  if (!Number.isInteger(numFreqs) || numFreqs < 0) {
    throw new Error(`numFreqs must be an integer >= 0: got ${numFreqs}`);
  }
}

/**
 * Positional encoding as a differentiable tfjs op (gradient w.r.t. x works on wasm):
 * gamma(x) = [x, sin(2^k x), cos(2^k x) for k = 0..L-1], layout as in the module doc.
 * On wasm it is a JS kernel with the values of {@linkcode positionalEncodingJs}, bit for bit, and its own
 * gradient (tf.sin/tf.cos run at ~40M values/s there); elsewhere tfjs ops (sin, cos, stack, concat).
 * @param x Inputs, shape [n, d].
 * @param numFreqs Number of frequencies L >= 0.
 * @param options See {@linkcode PositionalEncodingOptions}.
 * @returns Encoding, shape [n, encodedDim(d, L, includeInput)].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { positionalEncoding } from "./positional_encoding.ts";
 * await initBackend({ log: null });
 * // x = pi/2, L = 2: [pi/2, sin(pi/2), cos(pi/2), sin(pi), cos(pi)] = [1.571, 1, 0, 0, -1]
 * const e = positionalEncoding(tf.tensor2d([[Math.PI / 2]]), 2);
 * const v = e.dataSync();
 * [1.5708, 1, 0, 0, -1].forEach((want, i) => assertAlmostEquals(v[i], want, 1e-4));
 * e.dispose();
 * ```
 */
export function positionalEncoding(
  x: tf.Tensor2D,
  numFreqs: number,
  options: PositionalEncodingOptions = {},
): tf.Tensor2D {
  if (x.rank !== 2) throw new Error(`x must be [n, d]: got [${x.shape}]`);
  const [n, d] = x.shape;
  const includeInput = options.includeInput ?? true;
  if (encodedDim(d, numFreqs, includeInput) === 0) {
    throw new Error("positionalEncoding with numFreqs 0 and includeInput false encodes nothing");
  }
  return tf.tidy(() => {
    if (numFreqs === 0) return x.clone();
    if (tf.getBackend() === "wasm" && x.dtype === "float32") return wasmEncoding(x, numFreqs, includeInput);
    const freqs = tf.tensor3d(Float32Array.from({ length: numFreqs }, (_, k) => 2 ** k), [1, numFreqs, 1]);
    let scaled = tf.mul(x.reshape([n, 1, d]), freqs); // [n, L, d]
    // WGSL's sin/cos are only specified for |a| <= pi (absolute error 2^-11) and GPUs compute large
    // arguments (2^9 x reaches ~800 rad) coarsely: on webgpu the angle is reduced to [-pi, pi] first,
    // r = a - k 2pi with k = round(a / 2pi) and 2pi split in two (Cody and Waite) so k * TWO_PI_HI is
    // exact in float32. round() has gradient 0, so dr/da = 1 and the encoding's gradient is unchanged.
    if (tf.getBackend() === "webgpu") {
      const k = tf.round(tf.mul(scaled, 1 / (2 * Math.PI)));
      scaled = tf.sub(tf.sub(scaled, tf.mul(k, TWO_PI_HI)), tf.mul(k, TWO_PI_LO));
    }
    // [n, L, 2, d] flattens to: per frequency, the sines of all coordinates then their cosines.
    const sc = tf.stack([tf.sin(scaled), tf.cos(scaled)], 2).reshape([n, 2 * numFreqs * d]) as tf.Tensor2D;
    return includeInput ? tf.concat([x, sc], 1) : sc;
  });
}

// On wasm, the encoding is one op with its own gradient, computed in JS on the wasm heap by the recurrence of
// `positionalEncodingJs` (the same values, bit for bit, so a point encoded as a constant in JS and as a
// tensor gets one encoding): sin and cos of 2^k x from those of 2^(k-1) x by the double-angle formulas,
// two Math calls per coordinate instead of 2 L calls of tfjs wasm's sin and cos kernels (slow: ~25 ns a
// value; they were ~10 % of a training step of the MLP preset, with the stack, concat and unstack copies
// of the op graph). The gradient reads the sines and cosines from the encoding itself:
// d/dx_j = g_j + sum_k 2^k (cos(2^k x_j) gs_kj - sin(2^k x_j) gc_kj).
const PE_FORWARD = "SspPositionalEncoding";
const PE_GRAD = "SspPositionalEncodingGrad";

/** What the JS kernels use of tfjs' wasm backend (public methods of its BackendWasm). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

// x [n, d] -> [n, (include ? d : 0) + 2 L d], exactly as positionalEncodingJs.
function forwardKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmHeapBackend;
  const [n, d] = inputs.x!.shape;
  const numFreqs = attrs!.numFreqs as number, include = attrs!.includeInput as boolean;
  const base = include ? d : 0, width = base + 2 * numFreqs * d;
  const out = b.makeOutput([n, width], "float32");
  // Views after makeOutput, which may grow (and so detach) the heap.
  const x = b.typedArrayFromHeap(inputs.x!), o = b.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < d; j++) {
      const a = x[i * d + j];
      if (include) o[row + j] = a;
      let s = Math.sin(a), c = Math.cos(a);
      for (let k = 0; k < numFreqs; k++) {
        const at = row + base + 2 * k * d + j;
        o[at] = s;
        o[at + d] = c;
        const s2 = 2 * s * c;
        c = 1 - 2 * s * s;
        s = s2;
      }
    }
  }
  return out;
}

// dy and the encoding y, [n, width] -> dx [n, d].
function gradKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmHeapBackend;
  const [n, width] = inputs.y!.shape;
  const numFreqs = attrs!.numFreqs as number, include = attrs!.includeInput as boolean;
  const d = width / ((include ? 1 : 0) + 2 * numFreqs), base = include ? d : 0;
  const out = b.makeOutput([n, d], "float32");
  const dy = b.typedArrayFromHeap(inputs.dy!), y = b.typedArrayFromHeap(inputs.y!);
  const o = b.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < d; j++) {
      let sum = include ? dy[row + j] : 0;
      for (let k = 0, freq = 1; k < numFreqs; k++, freq *= 2) {
        const at = row + base + 2 * k * d + j;
        sum += freq * (y[at + d] * dy[at] - y[at] * dy[at + d]);
      }
      o[i * d + j] = sum;
    }
  }
  return out;
}

function registerPeKernels(): void {
  if (tf.getKernel(PE_FORWARD, "wasm")) return;
  tf.registerKernel({ kernelName: PE_FORWARD, backendName: "wasm", kernelFunc: forwardKernel });
  tf.registerKernel({ kernelName: PE_GRAD, backendName: "wasm", kernelFunc: gradKernel });
}

/** `positionalEncoding` on the wasm backend (numFreqs >= 1): see the comment above. */
function wasmEncoding(x: tf.Tensor2D, numFreqs: number, includeInput: boolean): tf.Tensor2D {
  registerPeKernels();
  const attrs = { numFreqs, includeInput };
  const op = tf.customGrad((input, save) => {
    const y = tf.engine().runKernel(PE_FORWARD, { x: input as tf.Tensor2D }, attrs) as tf.Tensor2D;
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) =>
        tf.engine().runKernel(PE_GRAD, { dy, y: saved[0] }, attrs) as tf.Tensor2D,
    };
  }) as (input: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/**
 * The same encoding as {@linkcode positionalEncoding}, in plain JS on typed arrays, with one Math.sin and
 * one Math.cos per coordinate; higher frequencies come from the double-angle recurrences
 * sin 2a = 2 sin a cos a, cos 2a = 1 - 2 sin^2 a, evaluated in float64.
 *
 * Error of the recurrence: an angle error doubles per step and an error in sin^2 + cos^2 - 1 grows by at
 * most 4 (the step maps it to 4 sin^2(a) times itself), so after k steps the error is at most about
 * 4^k * 2^-52 (starting from Math.sin/cos's ~1 ulp): < 6e-11 for L = 10 (k <= 9) and < 1e-7 for L <= 14,
 * below the float32 rounding (3e-8) of the output. Measured on 20,000 inputs in [-1.5, 1.5]: max error
 * 1.3e-12 (L = 10), 3.8e-10 (L = 16), 1.7e-8 (L = 20). The same recurrence in float32 reaches 6.7e-4 at
 * L = 10 and 0.19 at L = 16, which is why it runs in float64. Against wasm tf.sin/tf.cos of float32
 * inputs the two agree to 3.3e-7 for L = 10; for 65,536 x 3 inputs and L = 10 this takes ~27 ms against
 * ~215 ms for {@linkcode positionalEncoding} on wasm (measured on a loaded 2-core machine).
 * @param x Inputs, [n, d] flattened (length n * d).
 * @param dim Input dimension d.
 * @param numFreqs Number of frequencies L >= 0.
 * @param options See {@linkcode PositionalEncodingOptions}.
 * @returns Encoding, [n, encodedDim(d, L, includeInput)] flattened.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { positionalEncodingJs } from "./positional_encoding.ts";
 * // x = pi/4, L = 2, no input: [sin(pi/4), cos(pi/4), sin(pi/2), cos(pi/2)] = [0.7071, 0.7071, 1, 0]
 * const e = positionalEncodingJs(Float32Array.of(Math.PI / 4), 1, 2, { includeInput: false });
 * [0.7071, 0.7071, 1, 0].forEach((want, i) => assertAlmostEquals(e[i], want, 1e-4));
 * ```
 */
export function positionalEncodingJs(
  x: Float32Array,
  dim: number,
  numFreqs: number,
  options: PositionalEncodingOptions = {},
): Float32Array {
  const includeInput = options.includeInput ?? true;
  const width = encodedDim(dim, numFreqs, includeInput);
  if (width === 0) {
    throw new Error("positionalEncodingJs with numFreqs 0 and includeInput false encodes nothing");
  }
  if (x.length % dim !== 0) throw new Error(`x must be [n, ${dim}] flattened: got length ${x.length}`);
  const n = x.length / dim;
  const out = new Float32Array(n * width);
  const base = includeInput ? dim : 0;
  for (let i = 0; i < n; i++) {
    const row = i * width;
    for (let j = 0; j < dim; j++) {
      const a = x[i * dim + j];
      if (includeInput) out[row + j] = a;
      let s = Math.sin(a), c = Math.cos(a);
      for (let k = 0; k < numFreqs; k++) {
        const at = row + base + 2 * k * dim + j;
        out[at] = s;
        out[at + dim] = c;
        const s2 = 2 * s * c;
        c = 1 - 2 * s * s;
        s = s2;
      }
    }
  }
  return out;
}

/**
 * The encoding of inputs known on the CPU (sample points, view directions) as a tensor, computed where it
 * is cheapest: in JS ({@linkcode positionalEncodingJs}) on the CPU backends, where tf.sin is slow; on
 * webgpu by {@linkcode positionalEncoding} on the GPU, so only the d raw coordinates per point are uploaded
 * instead of the d (1 + 2 L) encoded ones. Not differentiable w.r.t. x (x is data).
 * @param x Inputs, [n, d] flattened.
 * @param dim d.
 * @param numFreqs L.
 * @param options See {@linkcode PositionalEncodingOptions}.
 * @returns [n, encodedDim(d, L, includeInput)].
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { positionalEncodingOf } from "./positional_encoding.ts";
 * const e = positionalEncodingOf(Float32Array.of(Math.PI / 4), 1, 1, { includeInput: false });
 * const v = e.dataSync();
 * assertAlmostEquals(v[0], Math.SQRT1_2, 1e-6);
 * assertAlmostEquals(v[1], Math.SQRT1_2, 1e-6);
 * e.dispose();
 * ```
 */
export function positionalEncodingOf(
  x: Float32Array,
  dim: number,
  numFreqs: number,
  options: PositionalEncodingOptions = {},
): tf.Tensor2D {
  const width = encodedDim(dim, numFreqs, options.includeInput ?? true);
  if (x.length % dim !== 0) throw new Error(`x must be [n, ${dim}] flattened: got length ${x.length}`);
  const n = x.length / dim;
  if (tf.getBackend() !== "webgpu") {
    return tf.tensor2d(positionalEncodingJs(x, dim, numFreqs, options), [n, width]);
  }
  return tf.tidy(() => positionalEncoding(tf.tensor2d(x, [n, dim]), numFreqs, options));
}
