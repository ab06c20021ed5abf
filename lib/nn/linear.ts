/**
 * A fully connected layer on {@linkcode dense} (matmul.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type InitKind, initValues, seedFromName } from "./init.ts";
import { dense } from "./matmul.ts";
import { type Module, namedVariable } from "./module.ts";

/** Options of {@linkcode Linear}. */
export interface LinearOptions {
  /** Weight initialiser (biases start at zero, except for "torch"). @default {"he"} */
  readonly init?: InitKind;
  /** Whether to add a bias. @default {true} */
  readonly bias?: boolean;
  /** RNG seed of the initial weights. @default {a hash of the name} */
  readonly seed?: number;
}

/**
 * y = x W + b, W of shape [inDim, outDim] (note: the transpose of PyTorch's [out, in] layout).
 * Parameters are `${name}.w` and `${name}.b`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { Linear } from "./linear.ts";
 * const layer = new Linear("demo", 3, 2);
 * const y = layer.apply(tf.ones([5, 3]));
 * assertEquals(y.shape, [5, 2]);
 * assertEquals([...layer.params.keys()], ["demo.w", "demo.b"]);
 * y.dispose();
 * layer.dispose();
 * ```
 */
export class Linear implements Module {
  readonly name: string;
  readonly inDim: number;
  readonly outDim: number;
  /** Weight, [inDim, outDim]. */
  readonly w: tf.Variable;
  /** Bias, [outDim], or null without bias. */
  readonly b: tf.Variable | null;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * @param name Prefix of the parameter keys, e.g. "field.l0".
   * @param inDim Input features.
   * @param outDim Output features.
   * @param options Initialiser, bias, seed.
   */
  constructor(name: string, inDim: number, outDim: number, options: LinearOptions = {}) {
    if (!Number.isInteger(inDim) || !Number.isInteger(outDim) || inDim < 1 || outDim < 1) {
      throw new Error(
        `linear.ts: ${name}: inDim and outDim must be positive integers: got ${inDim}, ${outDim}`,
      );
    }
    this.name = name;
    this.inDim = inDim;
    this.outDim = outDim;
    const init = options.init ?? "he";
    const seed = options.seed ?? seedFromName(name);
    const fan = { fanIn: inDim, fanOut: outDim };
    const params = new Map<string, tf.Variable>();
    this.w = tf.tidy(() =>
      namedVariable(`${name}.w`, tf.tensor2d(initValues(inDim * outDim, init, fan, seed), [inDim, outDim]))
    );
    params.set(`${name}.w`, this.w);
    this.b = null;
    if (options.bias ?? true) {
      const values = init === "torch" ? initValues(outDim, "torch", fan, seed + 1) : new Float32Array(outDim);
      this.b = tf.tidy(() => namedVariable(`${name}.b`, tf.tensor1d(values)));
      params.set(`${name}.b`, this.b);
    }
    this.params = params;
  }

  /**
   * @param x Inputs, [n, inDim].
   * @returns Outputs, [n, outDim].
   */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inDim) {
      throw new Error(`linear.ts: ${this.name} expects inputs [n, ${this.inDim}]: got [${x.shape}]`);
    }
    return tf.tidy(() => dense(x, this.w as tf.Tensor2D, this.b ?? undefined));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
