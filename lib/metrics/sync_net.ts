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
 * Training: sync_net_train.ts.
 *
 * Numbers from this network are named "SS-Sync" and are NEVER comparable with published SyncNet
 * confidences (LSE-C / LSE-D): a different network, trained on the subject, on unit-length embeddings.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";
import { mfcc } from "../audio/features.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { collectParams, type Module } from "../nn/module.ts";
import { Mlp } from "../nn/mlp.ts";
import { loadParams, type ParamEntry, serializeParams } from "../nn/serialize.ts";
import type { MetricImage } from "./image.ts";
import { mouthCrop } from "./sync_mouth_crop.ts";
import { offsetRange, offsetSearch, SS_SYNC_NAME, SYNC_MAX_OFFSET, type SyncScore } from "./sync_offsets.ts";

/** Everything that fixes the shape of the network and of its inputs (stored with the weights). */
export interface SsSyncConfig {
  /** Mouth crop width and height, pixels. */
  readonly cropWidth: number;
  readonly cropHeight: number;
  /** Crop region width in inter-ocular distances, and its drop below the mouth corners. */
  readonly cropScale: number;
  readonly cropDrop: number;
  /** Video frames per window (SyncNet: 5). */
  readonly windowFrames: number;
  /** Video frame rate; 100 / fps MFCC steps per frame must be a whole number. */
  readonly fps: number;
  /** Audio sample rate of the clips. */
  readonly sampleRate: number;
  /** MFCCs per step (SyncNet: 13). */
  readonly numCep: number;
  /** Floor of c0 (log energy) below the clip's maximum, dB. */
  readonly dynamicRangeDb: number;
  /** Hidden units of each stream's per-frame encoder. */
  readonly hidden: number;
  /** Features per frame out of the per-frame encoders. */
  readonly frameDim: number;
  /** Embedding size. */
  readonly embedDim: number;
}

/** The default {@linkcode SsSyncConfig}: 5 frames of 32x16 crops, 13 x 20 MFCCs, 64-d embeddings. */
export const SS_SYNC_DEFAULTS: SsSyncConfig = {
  cropWidth: 32,
  cropHeight: 16,
  cropScale: 0.8,
  cropDrop: 0.08,
  windowFrames: 5,
  fps: 25,
  sampleRate: 16000,
  numCep: 13,
  dynamicRangeDb: 60,
  hidden: 64,
  frameDim: 16,
  embedDim: 64,
};

/** MFCC steps per video frame (4 at 25 fps). */
export function stepsPerFrame(config: SsSyncConfig): number {
  const s = 100 / config.fps;
  if (!Number.isInteger(s)) {
    throw new Error(`SS-Sync: 100 / fps must be a whole number of MFCC steps: fps ${config.fps}`);
  }
  return s;
}

/** A clip to score or train on: frames, their landmarks (null: no face) and the audio track. */
export interface SyncClip {
  readonly frames: readonly MetricImage[];
  readonly landmarks: readonly (Float32Array | null)[];
  /** Mono audio at the config's sample rate (16 kHz), starting with the first frame. */
  readonly audio: Float32Array;
}

/** A range of video frames [start, end). */
export interface FrameRange {
  readonly start: number;
  readonly end: number;
}

function checkRange(range: FrameRange | undefined, n: number, where: string): FrameRange {
  const r = range ?? { start: 0, end: n };
  if (
    !(Number.isInteger(r.start) && Number.isInteger(r.end) && 0 <= r.start && r.start < r.end && r.end <= n)
  ) {
    throw new Error(
      `${where}: range must be integers with 0 <= start < end <= ${n} frames: got [${r.start}, ${r.end})`,
    );
  }
  return r;
}

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

/** Windows of one stream: row i of `data` is the window starting at frame `starts[i]`. */
export interface SyncWindows {
  readonly starts: readonly number[];
  readonly data: Float32Array;
  readonly dim: number;
}

/**
 * Video windows of a clip: for each start i with frames i..i+windowFrames-1 inside `range` and all
 * with landmarks, their mouth crops ({@linkcode mouthCrop}) one after the other.
 * @param clip Frames and landmarks (the audio is not used).
 * @param config Crop geometry and window length.
 * @param range Frames to use. @default {all}
 */
export function videoWindows(
  clip: Pick<SyncClip, "frames" | "landmarks">,
  config: SsSyncConfig,
  range?: FrameRange,
): SyncWindows {
  const n = clip.frames.length;
  if (clip.landmarks.length !== n) {
    throw new Error(
      `SS-Sync: ${n} frames but ${clip.landmarks.length} landmark sets: expected one per frame`,
    );
  }
  const r = checkRange(range, n, "SS-Sync videoWindows");
  const crops: (Float64Array | null)[] = [];
  for (let i = 0; i < n; i++) {
    const l = clip.landmarks[i];
    crops.push(l && i >= r.start && i < r.end ? mouthCrop(clip.frames[i], l, cropOptions(config)) : null);
  }
  const k = config.windowFrames, size = config.cropWidth * config.cropHeight;
  const starts: number[] = [];
  for (let i = r.start; i + k <= r.end; i++) {
    if (crops.slice(i, i + k).every((c) => c !== null)) starts.push(i);
  }
  const data = new Float32Array(starts.length * k * size);
  starts.forEach((s, w) => {
    for (let f = 0; f < k; f++) data.set(crops[s + f]!, (w * k + f) * size);
  });
  return { starts, data, dim: k * size };
}

function cropOptions(c: SsSyncConfig) {
  return { width: c.cropWidth, height: c.cropHeight, scale: c.cropScale, drop: c.cropDrop };
}

/**
 * Audio windows of a track: MFCCs (c0 floored `dynamicRangeDb` below its maximum), each coefficient
 * standardised over the track, and for every video frame j whose window fits, the steps
 * j s .. j s + windowFrames s - 1 (s = 100 / fps) flattened time-major.
 * @param audio Mono samples at the config's sample rate.
 * @param config Frame rate, window length, MFCC count.
 * @returns Windows for starts 0, 1, ..., as many as fit.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { audioWindows, SS_SYNC_DEFAULTS } from "./sync_net.ts";
 * const tone = Float32Array.from({ length: 16000 }, (_, i) => Math.sin(i / 3) * (i % 4000 < 2000 ? 1 : 0.1));
 * const w = audioWindows(tone, SS_SYNC_DEFAULTS); // 1 s: 99 MFCC steps, windows of 20 steps every 4
 * assertEquals([w.starts.length, w.dim], [20, 260]);
 * ```
 */
export function audioWindows(audio: Float32Array, config: SsSyncConfig): SyncWindows {
  const f = mfcc(audio, config.sampleRate, { numCep: config.numCep });
  const T = f.numSteps, D = f.dim;
  const x = Float64Array.from(f.data);
  let max = -Infinity;
  for (let t = 0; t < T; t++) max = Math.max(max, x[t * D]);
  const floor = max - (config.dynamicRangeDb / 10) * Math.LN10;
  for (let t = 0; t < T; t++) x[t * D] = Math.max(floor, x[t * D]);
  for (let d = 0; d < D; d++) {
    let m = 0, v = 0;
    for (let t = 0; t < T; t++) m += x[t * D + d] / T;
    for (let t = 0; t < T; t++) v += (x[t * D + d] - m) ** 2 / T;
    const s = Math.max(Math.sqrt(v), 1e-6);
    for (let t = 0; t < T; t++) x[t * D + d] = (x[t * D + d] - m) / s;
  }
  const s = stepsPerFrame(config), len = config.windowFrames * s;
  const starts: number[] = [];
  for (let j = 0; j * s + len <= T; j++) starts.push(j);
  const data = new Float32Array(starts.length * len * D);
  for (const j of starts) data.set(x.subarray(j * s * D, (j * s + len) * D), j * len * D);
  return { starts, data, dim: len * D };
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

/** Format tag of a saved SS-Sync model. */
export const SS_SYNC_FORMAT = "ssp-nerf-ss-sync/1";

/** What the JSON file of a saved SS-Sync model holds (the weights are in the .bin it names). */
export interface SsSyncFile {
  readonly format: string;
  readonly name: string;
  readonly warning: string;
  readonly config: SsSyncConfig;
  /** Free-form record of how it was trained (clip, steps, loss, seconds). */
  readonly training: Record<string, unknown>;
  /** File name of the float32 weights, beside the JSON. */
  readonly bin: string;
  readonly params: ParamEntry[];
}

/**
 * Saves a model as `<path>` (JSON: format, config, training record, tensor names and shapes) and the
 * float32 weights beside it (`<path without .json>.bin`), each written atomically, the .bin first.
 * @param model The network.
 * @param path Where the JSON goes; must end in ".json".
 * @param training A record of how it was trained, stored as is.
 */
export async function saveSsSync(
  model: SsSyncNet,
  path: string,
  training: Record<string, unknown> = {},
): Promise<void> {
  if (!path.endsWith(".json")) throw new Error(`saveSsSync: path must end in .json: got ${path}`);
  const { manifest, data } = serializeParams(model.params);
  const bin = path.slice(0, -5).split(/[\\/]/).pop() + ".bin";
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    join(dirname(path), bin),
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  const file: SsSyncFile = {
    format: SS_SYNC_FORMAT,
    name: SS_SYNC_NAME,
    warning: "subject-trained substitute: never compare its numbers with SyncNet, LSE-C or LSE-D",
    config: model.config,
    training,
    bin,
    params: manifest,
  };
  await writeFileAtomic(path, JSON.stringify(file, null, 1) + "\n");
}

/**
 * Loads a model written by {@linkcode saveSsSync}.
 * @param path The JSON file.
 * @returns The network (dispose it) and the file's training record.
 */
export async function loadSsSync(
  path: string,
): Promise<{ model: SsSyncNet; training: Record<string, unknown> }> {
  let file: SsSyncFile;
  try {
    file = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`loadSsSync: ${path}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
  }
  if (file.format !== SS_SYNC_FORMAT) {
    throw new Error(
      `loadSsSync: ${path}: format is ${JSON.stringify(file.format)}, expected "${SS_SYNC_FORMAT}"`,
    );
  }
  const binPath = join(dirname(path), file.bin);
  const bytes = await Deno.readFile(binPath);
  if (bytes.byteLength % 4 !== 0) {
    throw new Error(
      `loadSsSync: ${binPath} has ${bytes.byteLength} bytes, expected a multiple of 4 (float32)`,
    );
  }
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const model = new SsSyncNet(file.config);
  try {
    loadParams(model.params, file.params, data, path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, training: file.training ?? {} };
}
