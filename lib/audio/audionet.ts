/**
 * AudioNet, AD-NeRF's per-frame audio encoder (Guo et al. 2021; github YudongGuo/AD-NeRF,
 * NeRFs/HeadNeRF/run_nerf_helpers.py, class AudioNet), trained from scratch with the NeRF.
 *
 * AD-NeRF's layers, for a [B, 16, 29] DeepSpeech window (PyTorch holds it as [B, 29, 16]):
 * Conv1d(29->32, k3, s2, p1) -> LeakyReLU(0.02) -> Conv1d(32->32) -> LReLU -> Conv1d(32->64) -> LReLU ->
 * Conv1d(64->64) -> LReLU, every conv k3 s2 p1, so time shrinks 16 -> 8 -> 4 -> 2 -> 1; then
 * Linear(64->64) -> LReLU -> Linear(64->dim_aud). The class default there is dim_aud=76, but run_nerf.py
 * passes args.dim_aud whose default is 64, so 64 is what AD-NeRF trains; it is the default here.
 * Here the first conv takes D from the data (29 DeepSpeech, 13 MFCC, 1024 HuBERT, ...), channel sizes are
 * options (for small presets), convs are {@linkcode Conv1d} (unfold + matMul: trainable on wasm), and
 * weights start from PyTorch's default init, as AD-NeRF's do.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { leakyRelu } from "../nn/activation.ts";
import { Conv1d, conv1dOutputLength } from "../nn/conv1d.ts";
import type { InitKind } from "../nn/init.ts";
import { seedFromName } from "../nn/init.ts";
import { Linear } from "../nn/linear.ts";
import type { Module } from "../nn/module.ts";

/** Options of {@linkcode AudioNet}. */
export interface AudioNetOptions {
  /** Size of the per-frame audio code (AD-NeRF's dim_aud). @default {64} */
  readonly dimAud?: number;
  /** Output channels of the stride-2 convs; their count must shrink the window to length 1. @default {[32, 32, 64, 64]} */
  readonly convChannels?: readonly number[];
  /** Width of the hidden fully connected layer. @default {64} */
  readonly fcDim?: number;
  /** Feature steps per window. @default {16} */
  readonly window?: number;
  /** LeakyReLU negative slope. @default {0.02} */
  readonly alpha?: number;
  /** Weight initialiser. @default {"torch"} */
  readonly init?: InitKind;
  /** RNG seed; layer i uses seed + 101 (i + 1). @default {a hash of the name} */
  readonly seed?: number;
}

/**
 * Encodes a window of audio features per video frame into a code: [B, window, D] -> [B, dimAud].
 * Parameters: `${name}.conv{i}.w|b` ([3, Cin, Cout]), `${name}.fc0.w|b`, `${name}.fc1.w|b`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { AudioNet } from "./audionet.ts";
 * const net = new AudioNet("audnet", 29); // DeepSpeech-sized input
 * const code = net.apply(tf.zeros([4, 16, 29]));
 * assertEquals(code.shape, [4, 64]);
 * code.dispose();
 * net.dispose();
 * ```
 */
export class AudioNet implements Module {
  readonly name: string;
  readonly inputDim: number;
  readonly dimAud: number;
  readonly window: number;
  readonly convs: readonly Conv1d[];
  readonly fc0: Linear;
  readonly fc1: Linear;
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly #alpha: number;

  /**
   * @param name Prefix of the parameter keys, e.g. "audnet".
   * @param inputDim Feature size D of the input windows (from the data, e.g. aud.npy's last axis).
   * @param options Code size, channel sizes, window, slope, init, seed.
   */
  constructor(name: string, inputDim: number, options: AudioNetOptions = {}) {
    const channels = options.convChannels ?? [32, 32, 64, 64];
    const window = options.window ?? 16;
    if (!Number.isInteger(inputDim) || inputDim < 1) {
      throw new Error(`audionet.ts: ${name}: inputDim must be a positive integer: got ${inputDim}`);
    }
    if (channels.length < 1) {
      throw new Error(`audionet.ts: ${name}: convChannels must list at least one conv`);
    }
    let length = window;
    for (let i = 0; i < channels.length; i++) length = conv1dOutputLength(length, 3, { stride: 2, pad: 1 });
    if (length !== 1) {
      throw new Error(
        `audionet.ts: ${name}: ${channels.length} stride-2 convs take a window of ${window} to length ${length}, ` +
          `expected 1 (use 4 convs for 16 steps)`,
      );
    }
    this.name = name;
    this.inputDim = inputDim;
    this.window = window;
    this.dimAud = options.dimAud ?? 64;
    this.#alpha = options.alpha ?? 0.02;
    const init = options.init ?? "torch";
    const seed = options.seed ?? seedFromName(name);
    const layerSeed = (i: number) => (seed + 101 * (i + 1)) >>> 0;
    const convs: Conv1d[] = [];
    let cin = inputDim;
    channels.forEach((cout, i) => {
      convs.push(
        new Conv1d(`${name}.conv${i}`, cin, cout, { kernel: 3, stride: 2, pad: 1, init, seed: layerSeed(i) }),
      );
      cin = cout;
    });
    this.convs = convs;
    const fcDim = options.fcDim ?? 64;
    this.fc0 = new Linear(`${name}.fc0`, cin, fcDim, { init, seed: layerSeed(channels.length) });
    this.fc1 = new Linear(`${name}.fc1`, fcDim, this.dimAud, { init, seed: layerSeed(channels.length + 1) });
    const params = new Map<string, tf.Variable>();
    for (const m of [...convs, this.fc0, this.fc1]) for (const [k, v] of m.params) params.set(k, v);
    this.params = params;
  }

  /**
   * @param x Feature windows, [B, window, inputDim].
   * @returns Audio codes, [B, dimAud].
   */
  apply(x: tf.Tensor3D): tf.Tensor2D {
    if (x.rank !== 3 || x.shape[1] !== this.window || x.shape[2] !== this.inputDim) {
      throw new Error(
        `audionet.ts: ${this.name} expects audio features [B, ${this.window}, ${this.inputDim}]: got [${x.shape}]`,
      );
    }
    return tf.tidy(() => {
      let h = x;
      for (const conv of this.convs) h = leakyRelu(conv.apply(h), this.#alpha);
      const flat = tf.reshape(h, [x.shape[0], h.shape[2]]) as tf.Tensor2D;
      return this.fc1.apply(leakyRelu(this.fc0.apply(flat), this.#alpha));
    });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
