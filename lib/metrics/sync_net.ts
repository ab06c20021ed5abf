/**
 * SS-Sync (subject-trained SyncNet-style): a small two-stream network in the shape of SyncNet (Chung and
 * Zisserman 2016), trained on one subject's own video instead of the unobtainable pretrained weights,
 * and scored with SyncNet's offset protocol (sync_offsets.ts).
 *
 * - Visual stream: 5 consecutive grey mouth crops (32x16 each, aligned by the landmarks and normalised,
 *   see sync_mouth_crop.ts); one per-frame encoder (MLP 512 -> 64 -> 16, ReLU), shared by the 5 frames
 *   (a temporal convolution with kernel 1), then a linear head 5 x 16 -> 64.
 * - Audio stream: the 13 MFCCs (python_speech_features convention, lib/audio `mfcc`, c0 = log energy
 *   floored 60 dB below the clip's maximum) of the 20 steps at 100 Hz that cover the same 5 frames
 *   (steps 4i..4i+19 for the window starting at frame i, as syncnet_python slices them), each
 *   coefficient standardised over the clip; the 4 steps of each frame go through one shared per-frame
 *   encoder (MLP 52 -> 64 -> 16, ReLU), then a linear head 5 x 16 -> 64.
 * - Both embeddings are L2-normalised; the distance is the Euclidean distance between them, in [0, 2].
 *
 * MLPs rather than 2-D convolutions: tfjs' wasm backend has no conv filter gradients, and on
 * landmark-aligned crops an MLP sees the mouth's shape directly. The per-frame weight sharing matters:
 * with one MLP over the whole 2560-value window, the confidence on the fixture's 23 validation frames was
 * 0.14 against 0.97 on its training frames (memorised); shared per-frame encoders generalise (see
 * sync_net_train.ts for the numbers and sync_net_test.ts for the check).
 * Training: sync_net_train.ts; inputs (config, clips, windows): sync_windows.ts; saving: sync_net_file.ts.
 *
 * Numbers from this network are named "SS-Sync" and are NEVER comparable with published SyncNet
 * confidences (LSE-C / LSE-D): a different network, trained on the subject, on unit-length embeddings.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { collectParams, type Module } from "../nn/module.ts";
import { Mlp } from "../nn/mlp.ts";
import { offsetRange, offsetSearch, SS_SYNC_NAME, SYNC_MAX_OFFSET, type SyncScore } from "./sync_offsets.ts";
import {
  audioWindows,
  checkRange,
  type FrameRange,
  SS_SYNC_DEFAULTS,
  type SsSyncConfig,
  stepsPerFrame,
  type SyncClip,
  type SyncWindows,
  videoWindows,
} from "./sync_windows.ts";

/**
 * The two-stream embedding network. Holds weights: `dispose()` it.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { SsSyncNet } from "./sync_net.ts";
 * const net = new SsSyncNet({ hidden: 16, embedDim: 8 });
 * const v = net.embedVideo(tf.randomNormal([3, 5 * 32 * 16]));
 * assertEquals(v.shape, [3, 8]);
 * assertAlmostEquals(tf.norm(v.slice([0, 0], [1, 8])).arraySync() as number, 1, 1e-5);
 * tf.dispose(v);
 * net.dispose();
 * ```
 */
export class SsSyncNet implements Module {
  readonly config: SsSyncConfig;
  /** Per-frame encoders (shared by the frames of a window) and window heads of each stream. */
  readonly visualFrame: Mlp;
  readonly visualHead: Mlp;
  readonly audioFrame: Mlp;
  readonly audioHead: Mlp;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * @param config Overrides of {@linkcode SS_SYNC_DEFAULTS}.
   * @param options `seed` of the initial weights (default: hashes of the layer names).
   */
  constructor(config: Partial<SsSyncConfig> = {}, options: { seed?: number } = {}) {
    this.config = { ...SS_SYNC_DEFAULTS, ...config };
    const c = this.config;
    const seed = (k: number) => (options.seed === undefined ? undefined : options.seed + 101 * k);
    const frameOut = { outputActivation: "relu" } as const;
    this.visualFrame = new Mlp("ss_sync.visual.frame", [c.cropHeight * c.cropWidth, c.hidden, c.frameDim], {
      ...frameOut,
      seed: seed(1),
    });
    this.visualHead = new Mlp("ss_sync.visual.head", [c.windowFrames * c.frameDim, c.embedDim], {
      seed: seed(2),
    });
    this.audioFrame = new Mlp("ss_sync.audio.frame", [stepsPerFrame(c) * c.numCep, c.hidden, c.frameDim], {
      ...frameOut,
      seed: seed(3),
    });
    this.audioHead = new Mlp("ss_sync.audio.head", [c.windowFrames * c.frameDim, c.embedDim], {
      seed: seed(4),
    });
    this.params = collectParams(this.visualFrame, this.visualHead, this.audioFrame, this.audioHead);
  }

  /** Inputs per video window: windowFrames x cropHeight x cropWidth. */
  get videoDim(): number {
    return this.config.windowFrames * this.config.cropHeight * this.config.cropWidth;
  }

  /** Inputs per audio window: (windowFrames x steps per frame) x numCep. */
  get audioDim(): number {
    return this.config.windowFrames * stepsPerFrame(this.config) * this.config.numCep;
  }

  /** Unit-length embeddings of video windows [n, videoDim] -> [n, embedDim]. */
  embedVideo(x: tf.Tensor2D): tf.Tensor2D {
    return this.#embed(x, this.videoDim, this.visualFrame, this.visualHead, "embedVideo");
  }

  /** Unit-length embeddings of audio windows [n, audioDim] -> [n, embedDim]. */
  embedAudio(x: tf.Tensor2D): tf.Tensor2D {
    return this.#embed(x, this.audioDim, this.audioFrame, this.audioHead, "embedAudio");
  }

  #embed(x: tf.Tensor2D, dim: number, frame: Mlp, head: Mlp, where: string): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== dim) {
      throw new Error(`SsSyncNet.${where}: inputs must be [n, ${dim}]: got [${x.shape}]`);
    }
    const k = this.config.windowFrames, n = x.shape[0];
    return tf.tidy(() => {
      // The same encoder for every frame of the window (a convolution over time with kernel 1).
      const perFrame = frame.apply(tf.reshape(x, [n * k, dim / k]));
      return l2Normalize(head.apply(tf.reshape(perFrame, [n, k * this.config.frameDim])));
    });
  }

  dispose(): void {
    for (const m of [this.visualFrame, this.visualHead, this.audioFrame, this.audioHead]) m.dispose();
  }
}

/** x / sqrt(|x|^2 + 1e-12) per row (differentiable everywhere). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}

/** Embeds rows of `windows` with `embed`, in chunks, returning a plain array [n * embedDim]. */
function embedAll(windows: SyncWindows, embed: (x: tf.Tensor2D) => tf.Tensor2D, dim: number): Float32Array {
  const n = windows.starts.length, out = new Float32Array(n * dim);
  const chunk = 512;
  for (let a = 0; a < n; a += chunk) {
    const b = Math.min(n, a + chunk);
    const e = tf.tidy(() =>
      embed(tf.tensor2d(windows.data.subarray(a * windows.dim, b * windows.dim), [b - a, windows.dim]))
    );
    out.set(e.dataSync() as Float32Array, a * dim);
    e.dispose();
  }
  return out;
}

/** Options of {@linkcode ssSync}. */
export interface SsSyncOptions {
  /** Offsets searched: -maxOffset..maxOffset frames. @default {15} */
  readonly maxOffset?: number;
  /** Score only video windows inside these frames; audio comes from the whole track. @default {all} */
  readonly range?: FrameRange;
  /** Fewest windows averaged for an offset; offsets with fewer get NaN. @default {5} */
  readonly minPairs?: number;
}

/**
 * SS-Sync of a clip: for each offset o, the mean Euclidean distance between the embedding of the video
 * window starting at frame i and that of the audio window starting at i - o, over every valid i (windows
 * with a face in all their frames and audio there; syncnet_python instead zero-pads the audio features
 * at the ends); offset = argmin, confidence = median - min.
 * @param model A trained network (`trainSsSync` in sync_net_train.ts, or {@linkcode loadSsSync}).
 * @param clip Frames, landmarks and audio.
 * @param options Offsets, scored range, minimum windows per offset.
 * @returns The {@linkcode SyncScore} named {@linkcode SS_SYNC_NAME} (syncnet_python's sign: audio
 *   delayed by 5 frames gives -5).
 */
export function ssSync(model: SsSyncNet, clip: SyncClip, options: SsSyncOptions = {}): SyncScore {
  const c = model.config;
  const maxOffset = options.maxOffset ?? SYNC_MAX_OFFSET, minPairs = options.minPairs ?? 5;
  const r = checkRange(options.range, clip.frames.length, "ssSync");
  const vw = videoWindows(clip, c, r), aw = audioWindows(clip.audio, c);
  const D = c.embedDim;
  const v = embedAll(vw, (x) => model.embedVideo(x), D);
  const a = embedAll(aw, (x) => model.embedAudio(x), D);
  const offsets = offsetRange(maxOffset);
  const distances: number[] = [], pairs: number[] = [];
  for (const o of offsets) {
    let sum = 0, n = 0;
    vw.starts.forEach((i, w) => {
      const j = i - o;
      if (j < 0 || j >= aw.starts.length) return;
      let d2 = 0;
      for (let k = 0; k < D; k++) d2 += (v[w * D + k] - a[j * D + k]) ** 2;
      sum += Math.sqrt(d2);
      n++;
    });
    distances.push(n >= minPairs ? sum / n : NaN);
    pairs.push(n);
  }
  if (!distances.some(Number.isFinite)) {
    throw new Error(
      `ssSync: fewer than ${minPairs} windows with a face in all ${c.windowFrames} frames overlap the audio at ` +
        `every offset (${vw.starts.length} video windows, ${aw.starts.length} audio windows): expected a longer clip`,
    );
  }
  let withoutFace = 0;
  for (let i = r.start; i < r.end; i++) if (!clip.landmarks[i]) withoutFace++;
  return {
    name: SS_SYNC_NAME,
    ...offsetSearch(distances, offsets),
    offsets,
    distances,
    pairs,
    frames: r.end - r.start,
    framesWithoutFace: withoutFace,
  };
}
