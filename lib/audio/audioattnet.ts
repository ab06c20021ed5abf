/**
 * AudioAttNet, AD-NeRF's temporal smoothing of per-frame audio codes (github YudongGuo/AD-NeRF,
 * NeRFs/HeadNeRF/run_nerf_helpers.py, class AudioAttNet; window handling from run_nerf.py).
 *
 * AD-NeRF: for seq_len = 8 consecutive codes, Conv1d(dim->16) -> LReLU(0.02) -> Conv1d(16->8) -> LReLU ->
 * Conv1d(8->4) -> LReLU -> Conv1d(4->2) -> LReLU -> Conv1d(2->1) -> LReLU, each k3 s1 p1 over the sequence,
 * gives one score per frame; Linear(seq_len -> seq_len) + Softmax over the sequence turns scores into
 * weights; the output is sum_s w_s code_s. run_nerf.py builds `AudioAttNet()` with the class default
 * dim_aud=32 while codes have 64 channels, and forward slices `x[..., :self.dim_aud]`: the scores see only
 * the first 32 channels, the weighted sum uses all 64. `scoreChannels` reproduces that (default
 * min(32, dimAud)).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { leakyRelu } from "../nn/activation.ts";
import { Conv1d } from "../nn/conv1d.ts";
import type { InitKind } from "../nn/init.ts";
import { seedFromName } from "../nn/init.ts";
import { Linear } from "../nn/linear.ts";
import type { Module } from "../nn/module.ts";

/** Options of {@linkcode AudioAttNet}. */
export interface AudioAttNetOptions {
  /** Frames smoothed together (AD-NeRF's smo_size). @default {8} */
  readonly seqLen?: number;
  /** Leading code channels the scores are computed from (AD-NeRF: 32 of 64). @default {min(32, dimAud)} */
  readonly scoreChannels?: number;
  /** Output channels of the score convs; the last must be 1. @default {[16, 8, 4, 2, 1]} */
  readonly convChannels?: readonly number[];
  /** LeakyReLU negative slope. @default {0.02} */
  readonly alpha?: number;
  /** Weight initialiser. @default {"torch"} */
  readonly init?: InitKind;
  /** RNG seed; layer i uses seed + 101 (i + 1). @default {a hash of the name} */
  readonly seed?: number;
}

/**
 * Attention-weighted average of `seqLen` consecutive audio codes. Accepts one window [seqLen, dimAud]
 * (-> [dimAud]) or a batch [B, seqLen, dimAud] (-> [B, dimAud]).
 * Parameters: `${name}.conv{i}.w|b` and `${name}.att.w|b` ([seqLen, seqLen]).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { AudioAttNet } from "./audioattnet.ts";
 * const att = new AudioAttNet("audatt", 64);
 * const smooth = att.apply(tf.ones([8, 64]) as tf.Tensor2D);
 * assertEquals(smooth.shape, [64]);
 * for (const v of smooth.dataSync()) assertAlmostEquals(v, 1, 1e-6); // weights sum to 1: equal codes stay
 * smooth.dispose();
 * att.dispose();
 * ```
 */
export class AudioAttNet implements Module {
  readonly name: string;
  readonly dimAud: number;
  readonly seqLen: number;
  readonly scoreChannels: number;
  readonly convs: readonly Conv1d[];
  /** The seqLen -> seqLen layer before the softmax. */
  readonly att: Linear;
  readonly params: ReadonlyMap<string, tf.Variable>;
  readonly #alpha: number;

  /**
   * @param name Prefix of the parameter keys, e.g. "audatt".
   * @param dimAud Size of the codes being smoothed.
   * @param options Sequence length, score channels, conv sizes, slope, init, seed.
   */
  constructor(name: string, dimAud: number, options: AudioAttNetOptions = {}) {
    const seqLen = options.seqLen ?? 8;
    const scoreChannels = options.scoreChannels ?? Math.min(32, dimAud);
    const channels = options.convChannels ?? [16, 8, 4, 2, 1];
    if (!Number.isInteger(dimAud) || dimAud < 1) {
      throw new Error(`audioattnet.ts: ${name}: dimAud must be a positive integer: got ${dimAud}`);
    }
    if (!Number.isInteger(seqLen) || seqLen < 1) {
      throw new Error(`audioattnet.ts: ${name}: seqLen must be a positive integer: got ${seqLen}`);
    }
    if (!Number.isInteger(scoreChannels) || scoreChannels < 1 || scoreChannels > dimAud) {
      throw new Error(
        `audioattnet.ts: ${name}: scoreChannels must be in [1, ${dimAud}]: got ${scoreChannels}`,
      );
    }
    if (channels.length < 1 || channels[channels.length - 1] !== 1) {
      throw new Error(
        `audioattnet.ts: ${name}: convChannels must end with 1 (one score per frame): got [${channels}]`,
      );
    }
    this.name = name;
    this.dimAud = dimAud;
    this.seqLen = seqLen;
    this.scoreChannels = scoreChannels;
    this.#alpha = options.alpha ?? 0.02;
    const init = options.init ?? "torch";
    const seed = options.seed ?? seedFromName(name);
    const layerSeed = (i: number) => (seed + 101 * (i + 1)) >>> 0;
    const convs: Conv1d[] = [];
    let cin = scoreChannels;
    channels.forEach((cout, i) => {
      convs.push(
        new Conv1d(`${name}.conv${i}`, cin, cout, { kernel: 3, stride: 1, pad: 1, init, seed: layerSeed(i) }),
      );
      cin = cout;
    });
    this.convs = convs;
    this.att = new Linear(`${name}.att`, seqLen, seqLen, { init, seed: layerSeed(channels.length) });
    const params = new Map<string, tf.Variable>();
    for (const m of [...convs, this.att]) for (const [k, v] of m.params) params.set(k, v);
    this.params = params;
  }

  #batched(x: tf.Tensor): tf.Tensor3D {
    const ok = (x.rank === 2 || x.rank === 3) && x.shape[x.rank - 2] === this.seqLen &&
      x.shape[x.rank - 1] === this.dimAud;
    if (!ok) {
      throw new Error(
        `audioattnet.ts: ${this.name} expects codes [${this.seqLen}, ${this.dimAud}] or [B, ${this.seqLen}, ${this.dimAud}]: got [${x.shape}]`,
      );
    }
    return (x.rank === 2 ? tf.expandDims(x, 0) : x) as tf.Tensor3D;
  }

  /**
   * The smoothing weights (softmax over the sequence).
   * @param x Codes, [seqLen, dimAud] or [B, seqLen, dimAud].
   * @returns Weights, [seqLen] or [B, seqLen], each row summing to 1.
   */
  attention<T extends tf.Tensor2D | tf.Tensor3D>(x: T): T extends tf.Tensor3D ? tf.Tensor2D : tf.Tensor1D;
  attention(x: tf.Tensor2D | tf.Tensor3D): tf.Tensor {
    return tf.tidy(() => {
      const w = this.#weights(this.#batched(x));
      return x.rank === 2 ? tf.squeeze(w, [0]) : w;
    });
  }

  #weights(xb: tf.Tensor3D): tf.Tensor2D {
    const [batch] = xb.shape;
    let h = tf.slice(xb, [0, 0, 0], [batch, this.seqLen, this.scoreChannels]);
    for (const conv of this.convs) h = leakyRelu(conv.apply(h), this.#alpha);
    const scores = tf.reshape(h, [batch, this.seqLen]) as tf.Tensor2D;
    return tf.softmax(this.att.apply(scores));
  }

  /**
   * @param x Codes, [seqLen, dimAud] or [B, seqLen, dimAud].
   * @returns Smoothed code, [dimAud] or [B, dimAud].
   */
  apply<T extends tf.Tensor2D | tf.Tensor3D>(x: T): T extends tf.Tensor3D ? tf.Tensor2D : tf.Tensor1D;
  apply(x: tf.Tensor2D | tf.Tensor3D): tf.Tensor {
    return tf.tidy(() => {
      const xb = this.#batched(x);
      const w = this.#weights(xb);
      const out = tf.sum(tf.mul(tf.expandDims(w, 2), xb), 1);
      return x.rank === 2 ? tf.squeeze(out, [0]) : out;
    });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}

/**
 * Frame indices of the smoothing window of frame `index`: index - floor(seqLen/2) ... index + ceil(seqLen/2)
 * - 1, so the frame sits at position floor(seqLen/2) as in AD-NeRF, clamped to [0, numFrames - 1] at the
 * ends. (AD-NeRF pads with all-zero feature windows instead; repeating the edge frame keeps the codes
 * in-distribution. Both are one line apart here, so the choice is this function's.)
 * @param index Centre frame.
 * @param numFrames Frames in the sequence.
 * @param seqLen Window length. @default {8}
 * @returns seqLen frame indices.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { smoothingWindow } from "./audioattnet.ts";
 * assertEquals(Array.from(smoothingWindow(1, 10)), [0, 0, 0, 0, 1, 2, 3, 4]);
 * ```
 */
export function smoothingWindow(index: number, numFrames: number, seqLen = 8): Int32Array {
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new Error(`audioattnet.ts: numFrames must be a positive integer: got ${numFrames}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= numFrames) {
    throw new Error(`audioattnet.ts: frame index must be in [0, ${numFrames - 1}]: got ${index}`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 1) {
    throw new Error(`audioattnet.ts: seqLen must be >= 1: got ${seqLen}`);
  }
  const out = new Int32Array(seqLen);
  const start = index - Math.floor(seqLen / 2);
  for (let j = 0; j < seqLen; j++) out[j] = Math.min(numFrames - 1, Math.max(0, start + j));
  return out;
}
