/**
 * Rendering a trained model for new audio: features from a WAV (or an `aud.npy`), a head-pose path,
 * every frame rendered in bounded-memory chunks, streamed into an mp4 with the audio track.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { computeAudioFeatures, validateAudioFeatures } from "../audio/mod.ts";
import { floatToImage, type Image, readMono16k, readNpy, writeVideo } from "../io/mod.ts";
import type { RenderedFrame } from "./frame.ts";
import { ParallelRenderer } from "./parallel_render.ts";
import type { FrameAudio, Scene } from "./scene.ts";
import type { AudioFeatures } from "./scene_setup.ts";

/** Video frame rate of the AD-NeRF family's data. */
export const VIDEO_FPS = 25;

/**
 * Audio features for new speech, matching the width D of the features a model was trained on.
 * A WAV (any rate, resampled to 16 kHz mono) can be turned into this toolkit's own features only:
 * 13 MFCCs (D = 13) or log-mel (D = number of filters). Features of other extractors (DeepSpeech D = 29,
 * wav2vec, HuBERT) cannot be computed here: pass their `.npy`, made by the same Python tools as the
 * training data.
 * @param path A `.wav` or `.npy` file.
 * @param trainedDim D of the model's training features.
 */
export async function loadAudioFeatures(path: string, trainedDim: number): Promise<AudioFeatures> {
  if (/\.npy$/i.test(path)) {
    const arr = await readNpy(path);
    validateAudioFeatures(arr.shape, 1, path);
    if (arr.shape[2] !== trainedDim) {
      throw new Error(
        `${path}: audio features have width D = ${arr.shape[2]}; the model was trained on D = ${trainedDim}`,
      );
    }
    return {
      data: Float32Array.from(arr.data as ArrayLike<number>),
      shape: arr.shape as [number, number, number],
    };
  }
  if (!/\.wav$/i.test(path)) throw new Error(`${path}: audio must be a .wav file or an aud.npy of features`);
  const samples = await readMono16k(path);
  const numFrames = Math.floor((samples.length / 16000) * VIDEO_FPS);
  if (numFrames < 1) {
    throw new Error(`${path}: the audio is shorter than one video frame (${1 / VIDEO_FPS} s)`);
  }
  if (trainedDim === 13) return computeAudioFeatures(samples, 16000, numFrames, { kind: "mfcc" });
  if (trainedDim === 26 || trainedDim === 40 || trainedDim === 80) {
    return computeAudioFeatures(samples, 16000, numFrames, { kind: "logmel", numFilters: trainedDim });
  }
  throw new Error(
    `${path}: the model was trained on audio features of width D = ${trainedDim}, which this toolkit cannot ` +
      `compute from a WAV (it makes MFCC, D = 13, and log-mel); pass an aud.npy made by the same extractor`,
  );
}

/** A pose path: "dataset" (the dataset's training poses, back and forth), "still" (one pose), or explicit poses. */
export type PosePath = "dataset" | "still" | readonly Float32Array[];

/**
 * One camera pose per audio frame.
 * @throws When an explicit path is shorter than the audio.
 */
export function posesForAudio(scene: Scene, path: PosePath, numFrames: number): Float32Array[] {
  const ds = scene.dataset;
  if (path === "still") return Array.from({ length: numFrames }, () => ds.train[0].c2w);
  if (path === "dataset") {
    const all = ds.train.map((f) => f.c2w);
    // Back and forth through the recorded path, so a longer clip has no jump at the wrap.
    const period = Math.max(1, 2 * all.length - 2);
    return Array.from({ length: numFrames }, (_, i) => {
      const j = i % period;
      return all[j < all.length ? j : period - j];
    });
  }
  if (path.length < numFrames) {
    throw new Error(
      `the pose path has ${path.length} poses but the audio has ${numFrames} frames: give one pose per frame`,
    );
  }
  return path.slice(0, numFrames) as Float32Array[];
}

/** Options of {@linkcode renderAudioVideo}. */
export interface RenderVideoOptions {
  /** Output mp4. */
  readonly out: string;
  /** The audio track: a WAV path (the source of the features when they came from a WAV). */
  readonly wav?: string;
  /** Head-pose path. @default {"dataset"} */
  readonly poses?: PosePath;
  /** Render at most this many frames (the audio track is cut to match). */
  readonly maxFrames?: number;
  /** Eye openness per frame (at least one per rendered frame; `resolveEyeTrack`), read by models with eye
   * conditioning. @default {all open} */
  readonly eyes?: readonly number[];
  /** Called after each frame. */
  readonly onFrame?: (index: number, total: number) => void;
  /** Worker threads rendering beside this one (`ParallelRenderer`; frames equal bit for bit); 0 renders
   * on this thread only. @default {1} */
  readonly workers?: number;
}

/** Frames rendered per parallel job (the threads share their chunks). */
const FRAMES_PER_JOB = 8;

/**
 * Renders frames with the scene's model as `scene.renderFrame` does (its empty-space skipping
 * included), on `workers` worker threads plus this one, `FRAMES_PER_JOB` at a time, in order. On the
 * webgpu backend, one frame at a time on the device with `scene.renderFrameAsync` (`workers` ignored).
 * @param scene The scene (model, setup, dataset).
 * @param count Number of frames.
 * @param frame Pose and audio of frame i.
 * @param workers Worker threads (0: this thread only).
 */
export async function* renderFrameSequence(
  scene: Scene,
  count: number,
  frame: (i: number) => { c2w: Float32Array; audio: FrameAudio },
  workers: number,
): AsyncGenerator<RenderedFrame> {
  // On a GPU backend the device is the parallelism (the workers are wasm threads), and frames render with
  // asynchronous reads: Deno cannot read a GPU tensor synchronously.
  const gpu = tf.getBackend() === "webgpu";
  if (workers <= 0 || gpu) {
    for (let i = 0; i < count; i++) {
      const f = frame(i);
      yield gpu ? await scene.renderFrameAsync(f.c2w, f.audio) : scene.renderFrame(f.c2w, f.audio);
    }
    return;
  }
  const skip = scene.renderSkip();
  const renderer = await ParallelRenderer.create(scene.model, scene.setup, { workers });
  try {
    for (let s = 0; s < count; s += FRAMES_PER_JOB) {
      const codes = [];
      for (let i = s; i < Math.min(count, s + FRAMES_PER_JOB); i++) {
        const f = frame(i);
        codes.push(scene.frameCodes(f.c2w, f.audio));
      }
      yield* await renderer.render(codes, { skip });
    }
  } finally {
    renderer.dispose();
  }
}

/**
 * Renders one frame per audio frame and writes an H.264/AAC mp4, streaming frames to ffmpeg.
 * @returns Number of frames and seconds per frame.
 */
export async function renderAudioVideo(
  scene: Scene,
  audio: AudioFeatures,
  options: RenderVideoOptions,
): Promise<{ frames: number; secondsPerFrame: number }> {
  const n = Math.min(audio.shape[0], options.maxFrames ?? Infinity);
  const poses = posesForAudio(scene, options.poses ?? "dataset", n);
  if (options.eyes && options.eyes.length < n) {
    throw new Error(
      `the eye track has ${options.eyes.length} values but ${n} frames are rendered: give one per frame`,
    );
  }
  const t0 = performance.now();
  async function* frames(): AsyncGenerator<Image> {
    let i = 0;
    const sequence = renderFrameSequence(
      scene,
      n,
      (k) => ({ c2w: poses[k], audio: { features: audio, index: k, eye: options.eyes?.[k] } }),
      options.workers ?? 1,
    );
    for await (const f of sequence) {
      options.onFrame?.(++i, n);
      yield floatToImage(f.rgb, f.width, f.height);
    }
  }
  await writeVideo(options.out, frames(), { fps: VIDEO_FPS, audio: options.wav });
  return { frames: n, secondsPerFrame: (performance.now() - t0) / 1000 / Math.max(1, n) };
}
