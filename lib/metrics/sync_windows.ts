/**
 * The inputs of the SS-Sync network (sync_net.ts): the configuration that fixes their shape, clips, and
 * the video windows (mouth crops of consecutive frames) and audio windows (standardised MFCC steps
 * covering the same frames) that the two streams embed.
 * @module
 */
import { mfcc } from "../audio/features.ts";
import type { MetricImage } from "./image.ts";
import { mouthCrop } from "./sync_mouth_crop.ts";

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

/** `range` (default: all `n` frames) if it is a valid frame range, else an error naming `where`. */
export function checkRange(range: FrameRange | undefined, n: number, where: string): FrameRange {
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
 * import { audioWindows, SS_SYNC_DEFAULTS } from "./sync_windows.ts";
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
