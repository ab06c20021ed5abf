/**
 * Per-video-frame windows of audio features, the [N, 16, D] layout of AD-NeRF's `aud.npy`
 * (DeepSpeech: 16 steps of 29 logits per video frame), computed here from MFCC or log-mel features.
 * @module
 */
import { type FeatureMatrix, logMel, mfcc } from "./features.ts";

/** Audio-feature windows, row-major, shape [numFrames, window, dim]. */
export interface AudioFeatures {
  readonly data: Float32Array;
  readonly shape: [number, number, number];
}

/** Options of {@linkcode windowFeatures}. */
export interface WindowOptions {
  /** Video frames per second; frame i spans [i/fps, (i+1)/fps), centred at (i + 0.5)/fps. @default {25} */
  readonly fps?: number;
  /** Feature steps per window (AD-NeRF: 16). @default {16} */
  readonly window?: number;
  /** Time in seconds at which feature step 0 is centred (step t at stepOffset + t/stepRate). @default {0} */
  readonly stepOffset?: number;
}

/**
 * Cuts a window of `window` consecutive feature steps per video frame, centred on the frame's centre time
 * (i + 0.5)/fps: with u = ((i + 0.5)/fps - stepOffset) stepRate the fractional step at that time, the
 * window starts at step floor(u - (window - 1)/2 + 0.5), so its middle lies within half a step of u.
 * Steps before 0 or after the last step repeat the edge row.
 * @param features [T, D] features at `stepRate` steps per second.
 * @param stepRate Feature steps per second (100 for 10 ms hops).
 * @param numFrames Video frames N to produce.
 * @param options Frame rate, window length and step timing.
 * @returns [N, window, D] windows.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { windowFeatures } from "./windows.ts";
 * // 8 steps of 1-d features 0..7 at 100 Hz, 2 frames at 25 fps, windows of 4 steps.
 * // Frame 0 is centred at 0.02 s = step u = 2: start = floor(2 - 1.5 + 0.5) = 1 -> steps 1..4.
 * // Frame 1 at 0.06 s = step 6 -> steps 5..8, and step 8 repeats the last step 7.
 * const f = { data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), numSteps: 8, dim: 1 };
 * const w = windowFeatures(f, 100, 2, { window: 4 });
 * assert(w.data.join() === "1,2,3,4,5,6,7,7");
 * ```
 */
export function windowFeatures(
  features: FeatureMatrix,
  stepRate: number,
  numFrames: number,
  options: WindowOptions = {},
): AudioFeatures {
  const fps = options.fps ?? 25;
  const window = options.window ?? 16;
  const stepOffset = options.stepOffset ?? 0;
  const { data, numSteps, dim } = features;
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new Error(`windows.ts: numFrames must be a positive integer: got ${numFrames}`);
  }
  if (!(fps > 0) || !(stepRate > 0)) {
    throw new Error(`windows.ts: fps and stepRate must be positive: got ${fps}, ${stepRate}`);
  }
  if (!Number.isInteger(window) || window < 1) {
    throw new Error(`windows.ts: window must be a positive integer: got ${window}`);
  }
  if (numSteps < 1 || dim < 1 || data.length !== numSteps * dim) {
    throw new Error(
      `windows.ts: features must be [T, D] with T, D >= 1 and T*D values: got T=${numSteps}, D=${dim}, ${data.length} values`,
    );
  }
  const out = new Float32Array(numFrames * window * dim);
  for (let i = 0; i < numFrames; i++) {
    const u = ((i + 0.5) / fps - stepOffset) * stepRate;
    const start = Math.floor(u - (window - 1) / 2 + 0.5);
    for (let w = 0; w < window; w++) {
      const t = Math.min(numSteps - 1, Math.max(0, start + w));
      out.set(data.subarray(t * dim, (t + 1) * dim), (i * window + w) * dim);
    }
  }
  return { data: out, shape: [numFrames, window, dim] };
}

/** Options of {@linkcode computeAudioFeatures}. */
export interface AudioFeatureOptions {
  /** Feature per step: 13 MFCCs (D = 13) or log-mel energies (D = numFilters). @default {"mfcc"} */
  readonly kind?: "mfcc" | "logmel";
  /** Video frames per second. @default {25} */
  readonly fps?: number;
  /** Feature steps per window. @default {16} */
  readonly window?: number;
  /** Mel filters for both kinds (python_speech_features default). @default {26} */
  readonly numFilters?: number;
}

/**
 * Audio features for a video: python_speech_features MFCC or log-mel at 100 steps per second
 * (25 ms frames every 10 ms, step t centred at t/100 + 0.0125 s), cut into one window of 16 steps
 * (0.16 s) per video frame, centred on the frame, edges replicated.
 * @param samples Mono samples.
 * @param sampleRate Samples per second.
 * @param numFrames Video frames N; the audio must last at least (N - 1)/fps seconds.
 * @param options Feature kind, frame rate, window length.
 * @returns [N, window, D] windows (D = 13 for mfcc, numFilters for logmel).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { computeAudioFeatures } from "./windows.ts";
 * const sr = 16000;
 * const tone = Float32Array.from({ length: sr }, (_, i) => Math.sin(2 * Math.PI * 300 * i / sr));
 * const a = computeAudioFeatures(tone, sr, 25); // 1 s of audio for 25 frames at 25 fps
 * assert(a.shape.join() === "25,16,13");
 * ```
 */
export function computeAudioFeatures(
  samples: Float32Array,
  sampleRate: number,
  numFrames: number,
  options: AudioFeatureOptions = {},
): AudioFeatures {
  const fps = options.fps ?? 25;
  const kind = options.kind ?? "mfcc";
  if (!Number.isInteger(numFrames) || numFrames < 1) {
    throw new Error(`windows.ts: numFrames must be a positive integer: got ${numFrames}`);
  }
  if (!(fps > 0)) throw new Error(`windows.ts: fps must be positive: got ${fps}`);
  if (!(sampleRate > 0)) throw new Error(`windows.ts: sampleRate must be positive: got ${sampleRate}`);
  const duration = samples.length / sampleRate;
  const needed = numFrames / fps;
  if (duration < needed - 1 / fps - 1e-9) {
    throw new Error(
      `windows.ts: audio lasts ${duration.toFixed(3)} s but ${numFrames} frames at ${fps} fps need ` +
        `${needed.toFixed(3)} s (at most one frame short is allowed)`,
    );
  }
  const winLen = 0.025, winStep = 0.01;
  const featureOptions = { winLen, winStep, numFilters: options.numFilters };
  let features: FeatureMatrix;
  switch (kind) {
    case "mfcc":
      features = mfcc(samples, sampleRate, featureOptions);
      break;
    case "logmel":
      features = logMel(samples, sampleRate, featureOptions);
      break;
    default:
      throw new Error(`windows.ts: kind must be "mfcc" or "logmel": got ${String(kind satisfies never)}`);
  }
  return windowFeatures(features, 1 / winStep, numFrames, {
    fps,
    window: options.window,
    stepOffset: winLen / 2,
  });
}

/** What {@linkcode validateAudioFeatures} read from a shape. */
export interface AudioFeatureShape {
  readonly rows: number;
  readonly window: number;
  readonly dim: number;
}

/**
 * Checks the shape of per-frame audio features loaded from a file (aud.npy) and returns N, window, D.
 * D is taken from the data, whatever it is: DeepSpeech 29, wav2vec 44 or 32, HuBERT 1024, MFCC 13, ...
 * @param shape The array's shape, expected [N, 16, D].
 * @param numFrames Video frames that need a row; N must be at least this.
 * @param source Names the file in the error, e.g. "data/obama/aud.npy".
 * @returns Rows N, window (16) and feature dim D.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { validateAudioFeatures } from "./windows.ts";
 * assert(validateAudioFeatures([100, 16, 29], 100, "aud.npy").dim === 29);
 * ```
 */
export function validateAudioFeatures(
  shape: readonly number[],
  numFrames: number,
  source: string,
): AudioFeatureShape {
  const got = `got [${shape.join(", ")}]`;
  if (shape.length !== 3) throw new Error(`${source}: audio features must be [N, 16, D]: ${got}`);
  const [rows, window, dim] = shape;
  if (window !== 16) {
    throw new Error(`${source}: audio features must have a window of 16 steps ([N, 16, D]): ${got}`);
  }
  if (!(dim >= 1)) throw new Error(`${source}: audio features must have D >= 1 values per step: ${got}`);
  if (rows < numFrames) {
    throw new Error(
      `${source}: audio features have ${rows} rows but the dataset has ${numFrames} frames: ${got}`,
    );
  }
  return { rows, window, dim };
}
