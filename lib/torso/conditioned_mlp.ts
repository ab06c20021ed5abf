/**
 * An MLP whose input is the concatenation [features, condition] of per-point features and one condition
 * row shared by all points, with the first layer split so the condition is multiplied once.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activate, type Activation } from "../nn/activation.ts";
import { Linear } from "../nn/linear.ts";
import { addRows } from "../nn/matmul.ts";
import type { Module } from "../nn/module.ts";

/** Sizes of a {@linkcode ConditionedMlp}'s two inputs. */
export interface ConditionedMlpDims {
  /** Per-point features (e.g. an encoded position). */
  readonly inDim: number;
  /** Condition features (e.g. an encoded pose code). */
  readonly condDim: number;
  /** Outputs per point. */
  readonly outDim: number;
}

/** Options of {@linkcode ConditionedMlp}. */
export interface ConditionedMlpOptions {
  /** Width of the hidden layers. @default {64} */
  readonly width?: number;
  /** Number of hidden layers (>= 1). @default {2} */
  readonly depth?: number;
  /** Activation of the hidden layers. @default {"relu"} */
  readonly activation?: Activation;
  /** Start the output layer (weights and bias) at zero, so the MLP outputs exactly 0 at init (a
   * deformation that starts as the identity). @default {false} */
  readonly zeroLast?: boolean;
  /** Seed of the initial weights; layer i uses seed + 7919 (i + 1). @default {a hash of each layer's name} */
  readonly seed?: number;
}

/**
 * y = MLP([f, c]) for per-point features f [n, inDim] and a condition c [1, condDim] (or [n, condDim]).
 * The first layer is computed as [f, c] W0 = f W0f + c W0c: the condition's product is one row,
 * broadcast over the n points, instead of n copies of c through the layer.
 * Parameters: `${name}.l0f.{w,b}`, `${name}.l0c.w`, `${name}.l1..l{depth-1}.{w,b}`, `${name}.out.{w,b}`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { ConditionedMlp } from "./conditioned_mlp.ts";
 * await initBackend({ log: null });
 * const mlp = new ConditionedMlp("demo", { inDim: 4, condDim: 2, outDim: 3 }, { width: 8, zeroLast: true });
 * const y = mlp.apply(tf.ones([5, 4]), tf.ones([1, 2]));
 * assertEquals(y.shape, [5, 3]);
 * assertEquals(Array.from(y.dataSync()).every((v) => v === 0), true); // zero output layer
 * y.dispose();
 * mlp.dispose();
 * ```
 */
export class ConditionedMlp implements Module {
  readonly name: string;
  readonly dims: ConditionedMlpDims;
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly #first: Linear;
  readonly #cond: Linear;
  readonly #hidden: Linear[] = [];
  readonly #out: Linear;
  readonly #activation: Activation;

  /**
   * @param name Prefix of the parameter keys, e.g. "torso.deform".
   * @param dims Feature, condition and output sizes.
   * @param options Width, depth, activation, zero output layer, seed.
   */
  constructor(name: string, dims: ConditionedMlpDims, options: ConditionedMlpOptions = {}) {
    const width = options.width ?? 64, depth = options.depth ?? 2;
    for (const [key, v] of Object.entries({ ...dims, width, depth })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`${name}: ${key} must be a positive integer: got ${v}`);
      }
    }
    this.name = name;
    this.dims = { ...dims };
    this.#activation = options.activation ?? "relu";
    const seed = (i: number) =>
      options.seed === undefined ? undefined : (options.seed + 7919 * (i + 1)) >>> 0;
    this.#first = new Linear(`${name}.l0f`, dims.inDim, width, { seed: seed(0) });
    this.#cond = new Linear(`${name}.l0c`, dims.condDim, width, { bias: false, seed: seed(1) });
    for (let l = 1; l < depth; l++) {
      this.#hidden.push(new Linear(`${name}.l${l}`, width, width, { seed: seed(l + 1) }));
    }
    this.#out = new Linear(`${name}.out`, width, dims.outDim, {
      init: options.zeroLast ? "zeros" : "he",
      seed: seed(depth + 1),
    });
    const params = new Map<string, tf.Variable>();
    for (const layer of this.layers()) for (const [k, v] of layer.params) params.set(k, v);
    this.params = params;
  }

  /** The layers in order: feature part and condition part of the first layer, hidden layers, output. */
  layers(): Linear[] {
    return [this.#first, this.#cond, ...this.#hidden, this.#out];
  }

  /**
   * @param features Per-point features, [n, inDim].
   * @param condition Condition, [1, condDim] (shared by all points) or [n, condDim].
   * @returns Outputs, [n, outDim] (no output activation).
   */
  apply(features: tf.Tensor2D, condition: tf.Tensor2D): tf.Tensor2D {
    const { inDim, condDim } = this.dims;
    if (features.rank !== 2 || features.shape[1] !== inDim) {
      throw new Error(`${this.name}: features must be [n, ${inDim}]: got [${features.shape}]`);
    }
    const n = features.shape[0];
    if (
      condition.rank !== 2 || condition.shape[1] !== condDim ||
      (condition.shape[0] !== 1 && condition.shape[0] !== n)
    ) {
      throw new Error(
        `${this.name}: condition must be [1, ${condDim}] or [${n}, ${condDim}]: got [${condition.shape}]`,
      );
    }
    return tf.tidy(() => {
      let h: tf.Tensor2D = activate(
        addRows(this.#first.apply(features), this.#cond.apply(condition)),
        this.#activation,
      );
      for (const layer of this.#hidden) h = activate(layer.apply(h), this.#activation);
      return this.#out.apply(h);
    });
  }

  dispose(): void {
    for (const layer of this.layers()) layer.dispose();
  }
}
