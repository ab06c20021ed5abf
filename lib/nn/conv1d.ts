/**
 * 1-D convolution as unfold + matrix product, trainable on tfjs wasm (whose conv filter gradients are
 * missing) and using {@linkcode matMulT}'s fast backward pass.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type InitKind, initValues, seedFromName } from "./init.ts";
import { matMulT } from "./matmul.ts";
import { type Module, namedVariable } from "./module.ts";

/** Stride and symmetric zero padding of {@linkcode conv1dUnfold}. */
export interface Conv1dGeometry {
  /** Step between output positions. */
  readonly stride: number;
  /** Zeros added at both ends of the time axis. */
  readonly pad: number;
}

/**
 * Output length of a 1-D convolution: floor((T + 2 pad - K) / stride) + 1.
 * @param length Input length T.
 * @param kernel Kernel width K.
 * @param geometry Stride and padding.
 * @returns Output length (may be < 1 for impossible geometries).
 */
export function conv1dOutputLength(length: number, kernel: number, geometry: Conv1dGeometry): number {
  return Math.floor((length + 2 * geometry.pad - kernel) / geometry.stride) + 1;
}

/**
 * y[b, t, o] = bias[o] + sum_{k, c} xpad[b, t stride + k, c] w[k, c, o] (NWC layout, cross-correlation like
 * every deep-learning conv): what `tf.conv1d(tf.pad(x, [[0, 0], [pad, pad], [0, 0]]), w, stride, "valid")`
 * computes (tf.conv1d's own numeric `pad` is broken in tfjs 4.22: it also pads the hidden height axis), written
 * without gather: the K shifted copies of the padded input are cut with tf.slice (for stride s, a slice of
 * length T_out s reshaped to [B, T_out, s, C] keeps index 0 of each group), concatenated to
 * [B T_out, K Cin] and multiplied by w reshaped to [K Cin, Cout].
 * Weight layout [K, Cin, Cout] is tf.conv1d's; PyTorch's Conv1d weight [Cout, Cin, K] maps by a transpose.
 * @param x Input, [B, T, Cin].
 * @param w Filters, [K, Cin, Cout].
 * @param b Bias, [Cout], or null.
 * @param options Stride and padding.
 * @returns Output, [B, T_out, Cout] with T_out = floor((T + 2 pad - K) / stride) + 1.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { conv1dUnfold } from "./conv1d.ts";
 * // A [1, 1] difference filter on 1, 2, 4, 8 with stride 1, no padding: 2-1, 4-2, 8-4.
 * const y = conv1dUnfold(tf.tensor3d([1, 2, 4, 8], [1, 4, 1]), tf.tensor3d([-1, 1], [2, 1, 1]), null, { stride: 1, pad: 0 });
 * assertEquals(Array.from(y.dataSync()), [1, 2, 4]);
 * ```
 */
export function conv1dUnfold(
  x: tf.Tensor3D,
  w: tf.Tensor3D | tf.Variable,
  b: tf.Tensor1D | tf.Variable | null,
  options: Conv1dGeometry,
): tf.Tensor3D {
  const { stride, pad } = options;
  if (x.rank !== 3 || w.rank !== 3 || x.shape[2] !== w.shape[1]) {
    throw new Error(`conv1d.ts: need x [B, T, Cin] and w [K, Cin, Cout]: got x [${x.shape}], w [${w.shape}]`);
  }
  const [batch, length, cin] = x.shape;
  const [kernel, , cout] = w.shape;
  if (b && (b.rank !== 1 || b.shape[0] !== cout)) {
    throw new Error(`conv1d.ts: bias must be [${cout}]: got [${b.shape}]`);
  }
  if (!Number.isInteger(stride) || stride < 1 || !Number.isInteger(pad) || pad < 0) {
    throw new Error(
      `conv1d.ts: stride must be >= 1 and pad >= 0 (integers): got stride ${stride}, pad ${pad}`,
    );
  }
  const outLen = conv1dOutputLength(length, kernel, options);
  if (outLen < 1) {
    throw new Error(`conv1d.ts: input length ${length} with pad ${pad} is shorter than the kernel ${kernel}`);
  }
  return tf.tidy(() => {
    const span = outLen * stride;
    // Extra zeros at the end let every shifted slice have length span; they are never selected.
    const extra = Math.max(0, kernel - 1 + span - (length + 2 * pad));
    const xp = pad + extra > 0 ? tf.pad(x, [[0, 0], [pad, pad + extra], [0, 0]]) : x;
    const shifted: tf.Tensor3D[] = [];
    for (let k = 0; k < kernel; k++) {
      let s = tf.slice(xp, [0, k, 0], [batch, span, cin]);
      if (stride > 1) {
        s = tf.reshape(
          tf.slice(tf.reshape(s, [batch, outLen, stride, cin]), [0, 0, 0, 0], [batch, outLen, 1, cin]),
          [
            batch,
            outLen,
            cin,
          ],
        );
      }
      shifted.push(s);
    }
    const cols = tf.reshape(kernel === 1 ? shifted[0] : tf.concat(shifted, 2), [
      batch * outLen,
      kernel * cin,
    ]);
    let y: tf.Tensor2D = matMulT(cols as tf.Tensor2D, tf.reshape(w, [kernel * cin, cout]));
    if (b) y = tf.add(y, b);
    return tf.reshape(y, [batch, outLen, cout]);
  });
}

/** Options of {@linkcode Conv1d}. */
export interface Conv1dOptions {
  /** Kernel width. @default {3} */
  readonly kernel?: number;
  /** Stride. @default {1} */
  readonly stride?: number;
  /** Zero padding at both ends. @default {1} */
  readonly pad?: number;
  /** Initialiser (PyTorch's default for AD-NeRF fidelity). @default {"torch"} */
  readonly init?: InitKind;
  /** Whether to add a bias. @default {true} */
  readonly bias?: boolean;
  /** RNG seed. @default {a hash of the name} */
  readonly seed?: number;
}

/**
 * A 1-D convolution layer over the time axis of [B, T, C] inputs; parameters `${name}.w` ([K, Cin, Cout])
 * and `${name}.b` ([Cout]).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { Conv1d } from "./conv1d.ts";
 * const conv = new Conv1d("c", 29, 32, { stride: 2 });
 * const y = conv.apply(tf.zeros([2, 16, 29]));
 * assertEquals(y.shape, [2, 8, 32]);
 * y.dispose();
 * conv.dispose();
 * ```
 */
export class Conv1d implements Module {
  readonly name: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly geometry: Conv1dGeometry;
  readonly kernel: number;
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * @param name Prefix of the parameter keys.
   * @param inChannels Cin.
   * @param outChannels Cout.
   * @param options Kernel, stride, padding, initialiser, bias, seed.
   */
  constructor(name: string, inChannels: number, outChannels: number, options: Conv1dOptions = {}) {
    const kernel = options.kernel ?? 3;
    for (
      const [what, v] of [["inChannels", inChannels], ["outChannels", outChannels], [
        "kernel",
        kernel,
      ]] as const
    ) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`conv1d.ts: ${name}: ${what} must be a positive integer: got ${v}`);
      }
    }
    this.name = name;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernel = kernel;
    this.geometry = { stride: options.stride ?? 1, pad: options.pad ?? 1 };
    const init = options.init ?? "torch";
    const seed = options.seed ?? seedFromName(name);
    const fan = { fanIn: inChannels * kernel, fanOut: outChannels * kernel };
    const params = new Map<string, tf.Variable>();
    const wValues = initValues(kernel * inChannels * outChannels, init, fan, seed);
    this.w = tf.tidy(() =>
      namedVariable(`${name}.w`, tf.tensor3d(wValues, [kernel, inChannels, outChannels]))
    );
    params.set(`${name}.w`, this.w);
    this.b = null;
    if (options.bias ?? true) {
      const values = init === "torch"
        ? initValues(outChannels, "torch", fan, seed + 1)
        : new Float32Array(outChannels);
      this.b = tf.tidy(() => namedVariable(`${name}.b`, tf.tensor1d(values)));
      params.set(`${name}.b`, this.b);
    }
    this.params = params;
  }

  /**
   * @param x Input, [B, T, inChannels].
   * @returns Output, [B, T_out, outChannels].
   */
  apply(x: tf.Tensor3D): tf.Tensor3D {
    if (x.rank !== 3 || x.shape[2] !== this.inChannels) {
      throw new Error(`conv1d.ts: ${this.name} expects inputs [B, T, ${this.inChannels}]: got [${x.shape}]`);
    }
    return conv1dUnfold(x, this.w, this.b, this.geometry);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
