/**
 * A multi-layer perceptron with NeRF-style input skip connections.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { activate, type Activation } from "./activation.ts";
import type { InitKind } from "./init.ts";
import { Linear } from "./linear.ts";
import type { Module } from "./module.ts";

/** Options of {@linkcode Mlp}. */
export interface MlpOptions {
  /** Activation after every hidden layer. @default {"relu"} */
  readonly activation?: Activation;
  /** Activation after the last layer. @default {"none"} */
  readonly outputActivation?: Activation;
  /** Negative slope when an activation is "leakyRelu". @default {0.02} */
  readonly alpha?: number;
  /**
   * Layer indices i after which the MLP input is concatenated to the hidden state, [input, h], so layer i+1
   * takes dims[i+1] + dims[0] features (NeRF: skips [4] in an 8-layer trunk). @default {[]}
   */
  readonly skips?: readonly number[];
  /** Weight initialiser of every layer. @default {"he"} */
  readonly init?: InitKind;
  /** Seed; layer i uses seed + 7919 (i + 1). @default {a hash of each layer's name} */
  readonly seed?: number;
}

/**
 * Layers `${name}.l0`, `${name}.l1`, ... mapping dims[0] -> dims[1] -> ... -> dims[last].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { Mlp } from "./mlp.ts";
 * import { countParams } from "./module.ts";
 * const mlp = new Mlp("trunk", [3, 8, 8, 1], { skips: [0] });
 * // l0: 3x8+8, l1: (8+3)x8+8 (skip), l2: 8x1+1
 * assertEquals(countParams(mlp), 32 + 96 + 9);
 * const y = mlp.apply(tf.ones([4, 3]));
 * assertEquals(y.shape, [4, 1]);
 * y.dispose();
 * mlp.dispose();
 * ```
 */
export class Mlp implements Module {
  readonly name: string;
  readonly dims: readonly number[];
  readonly layers: readonly Linear[];
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly #activation: Activation;
  readonly #outputActivation: Activation;
  readonly #alpha: number;
  readonly #skips: ReadonlySet<number>;

  /**
   * @param name Prefix of the parameter keys.
   * @param dims Feature sizes [in, hidden..., out]: at least two entries.
   * @param options Activations, skips, initialiser, seed.
   */
  constructor(name: string, dims: readonly number[], options: MlpOptions = {}) {
    if (dims.length < 2) throw new Error(`mlp.ts: ${name}: dims must list at least [in, out]: got [${dims}]`);
    const numLayers = dims.length - 1;
    const skips = options.skips ?? [];
    for (const s of skips) {
      if (!Number.isInteger(s) || s < 0 || s >= numLayers - 1) {
        throw new Error(`mlp.ts: ${name}: skip ${s} must be a hidden layer index in [0, ${numLayers - 2}]`);
      }
    }
    this.name = name;
    this.dims = [...dims];
    this.#skips = new Set(skips);
    this.#activation = options.activation ?? "relu";
    this.#outputActivation = options.outputActivation ?? "none";
    this.#alpha = options.alpha ?? 0.02;
    const layers: Linear[] = [];
    const params = new Map<string, tf.Variable>();
    for (let i = 0; i < numLayers; i++) {
      const inDim = dims[i] + (i > 0 && this.#skips.has(i - 1) ? dims[0] : 0);
      const layer = new Linear(`${name}.l${i}`, inDim, dims[i + 1], {
        init: options.init,
        seed: options.seed === undefined ? undefined : (options.seed + 7919 * (i + 1)) >>> 0,
      });
      layers.push(layer);
      for (const [k, v] of layer.params) params.set(k, v);
    }
    this.layers = layers;
    this.params = params;
  }

  /**
   * @param x Inputs, [n, dims[0]].
   * @returns Outputs, [n, dims[last]].
   */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = x;
      const last = this.layers.length - 1;
      this.layers.forEach((layer, i) => {
        h = activate(layer.apply(h), i === last ? this.#outputActivation : this.#activation, this.#alpha);
        if (this.#skips.has(i)) h = tf.concat([x, h], 1);
      });
      return h;
    });
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
