/**
 * Frame-level audio features in the python_speech_features convention (jameslyons/python_speech_features
 * 0.6, `base.py` mfcc/fbank/logfbank and `sigproc.py` framesig/powspec/preemphasis), computed in float64:
 *
 * 1. pre-emphasis over the whole signal: y_0 = x_0, y_n = x_n - 0.97 x_{n-1};
 * 2. frames of round_half_up(0.025 sr) samples every round_half_up(0.010 sr) samples (100 Hz); the signal
 *    is zero-padded so the last partial frame is kept: numFrames = 1 + ceil((len - frameLen) / step), or 1
 *    when len <= frameLen;
 * 3. no window function: python_speech_features' default `winfunc=lambda x: numpy.ones((x,))` is
 *    rectangular (a Hamming window is opt-in there and here);
 * 4. power spectrum |rfft(frame, nfft)|^2 / nfft over the nfft/2 + 1 non-negative bins;
 * 5. frame energy = the sum of that power spectrum; filterbank energies = power spectrum x mel filters;
 *    zeros are replaced by machine epsilon (float64, 2.22e-16) before the log;
 * 6. MFCC: DCT-II (orthonormal) of the log filterbank energies, first 13 kept, liftered by
 *    1 + (22/2) sin(pi n / 22), then c0 replaced by log(frame energy) (appendEnergy=True).
 * @module
 */
import { RealFft } from "./fft.ts";
import { melFilterbank } from "./mel.ts";

/** Features per time step, row-major [numSteps, dim] (float32). */
export interface FeatureMatrix {
  readonly data: Float32Array;
  readonly numSteps: number;
  readonly dim: number;
}

/** Framing and spectrum options shared by {@linkcode mfcc}, {@linkcode logMel} and {@linkcode logEnergy}. */
export interface FramingOptions {
  /** Frame length in seconds. @default {0.025} */
  readonly winLen?: number;
  /** Hop in seconds (0.01 gives 100 feature steps per second). @default {0.01} */
  readonly winStep?: number;
  /** FFT size, at least the frame length in samples. @default {smallest power of two >= frame length: 512 at 16 kHz} */
  readonly nfft?: number;
  /** Pre-emphasis coefficient; 0 turns it off. @default {0.97} */
  readonly preemph?: number;
  /** Window applied to each frame. @default {"rectangular"} (python_speech_features' default) */
  readonly window?: "rectangular" | "hamming";
}

/** Options of {@linkcode logMel}. */
export interface LogMelOptions extends FramingOptions {
  /** Number of mel filters (python_speech_features' logfbank default; 40 or 80 are common elsewhere). @default {26} */
  readonly numFilters?: number;
  /** Lowest filter edge in Hz. @default {0} */
  readonly lowFreq?: number;
  /** Highest filter edge in Hz. @default {sampleRate / 2} */
  readonly highFreq?: number;
}

/** Options of {@linkcode mfcc}. */
export interface MfccOptions extends LogMelOptions {
  /** Cepstral coefficients kept. @default {13} */
  readonly numCep?: number;
  /** Lifter parameter L of 1 + (L/2) sin(pi n / L); 0 turns liftering off. @default {22} */
  readonly cepLifter?: number;
  /** Replace c0 with the log frame energy. @default {true} */
  readonly appendEnergy?: boolean;
}

/** numpy.finfo(float).eps: the floor python_speech_features puts under energies before the log. */
export const ENERGY_FLOOR = 2.220446049250313e-16;

/** Frame layout of a signal under the python_speech_features framing rule. */
export interface FrameLayout {
  /** Samples per frame: round_half_up(winLen * sampleRate). */
  readonly frameLen: number;
  /** Samples between frame starts: round_half_up(winStep * sampleRate). */
  readonly frameStep: number;
  /** 1 + ceil((numSamples - frameLen) / frameStep), or 1 for signals no longer than one frame. */
  readonly numFrames: number;
}

function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5);
}

/**
 * Frame count and sizes for a signal, as python_speech_features' framesig computes them.
 * @param numSamples Signal length in samples.
 * @param sampleRate Samples per second.
 * @param options Frame length and hop in seconds.
 * @returns The layout.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { frameLayout } from "./features.ts";
 * // 1 s at 16 kHz: frames of 400, hop 160, 1 + ceil((16000 - 400) / 160) = 99 frames.
 * assert(frameLayout(16000, 16000).numFrames === 99);
 * ```
 */
export function frameLayout(
  numSamples: number,
  sampleRate: number,
  options: Pick<FramingOptions, "winLen" | "winStep"> = {},
): FrameLayout {
  if (!(sampleRate > 0)) throw new Error(`features.ts: sampleRate must be positive: got ${sampleRate}`);
  const frameLen = roundHalfUp((options.winLen ?? 0.025) * sampleRate);
  const frameStep = roundHalfUp((options.winStep ?? 0.01) * sampleRate);
  if (frameLen < 1 || frameStep < 1) {
    throw new Error(`features.ts: frame length and step must be >= 1 sample: got ${frameLen}, ${frameStep}`);
  }
  const numFrames = numSamples <= frameLen ? 1 : 1 + Math.ceil((numSamples - frameLen) / frameStep);
  return { frameLen, frameStep, numFrames };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Calls `visit(frameIndex, powerSpectrum)` for every frame; the spectrum buffer is reused. */
function forEachPowerSpectrum(
  samples: Float32Array,
  sampleRate: number,
  options: FramingOptions,
  visit: (t: number, pspec: Float64Array) => void,
): { layout: FrameLayout; nfft: number } {
  const layout = frameLayout(samples.length, sampleRate, options);
  const { frameLen, frameStep, numFrames } = layout;
  const nfft = options.nfft ?? nextPow2(frameLen);
  if (nfft < frameLen) {
    throw new Error(`features.ts: nfft (${nfft}) is shorter than the frame (${frameLen} samples)`);
  }
  const preemph = options.preemph ?? 0.97;
  const win = new Float64Array(frameLen).fill(1);
  if (options.window === "hamming") {
    // numpy.hamming(N): 0.54 - 0.46 cos(2 pi n / (N - 1))
    for (let n = 0; n < frameLen; n++) {
      win[n] = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / Math.max(1, frameLen - 1));
    }
  }
  const fft = new RealFft(nfft);
  const frame = new Float64Array(frameLen);
  const pspec = new Float64Array(nfft / 2 + 1);
  for (let t = 0; t < numFrames; t++) {
    const start = t * frameStep;
    for (let n = 0; n < frameLen; n++) {
      const i = start + n;
      let v = 0;
      if (i < samples.length) v = i === 0 ? samples[0] : samples[i] - preemph * samples[i - 1];
      frame[n] = v * win[n];
    }
    fft.powerSpectrum(frame, pspec);
    for (let k = 0; k < pspec.length; k++) pspec[k] /= nfft;
    visit(t, pspec);
  }
  return { layout, nfft };
}

function checkSamples(samples: Float32Array, sampleRate: number): void {
  if (!(samples instanceof Float32Array)) throw new Error("features.ts: samples must be a Float32Array");
  if (samples.length === 0) throw new Error("features.ts: samples are empty");
  if (!(sampleRate > 0)) throw new Error(`features.ts: sampleRate must be positive: got ${sampleRate}`);
}

/** Log filterbank energies and log frame energies of every frame (float64). */
function logFilterbank(
  samples: Float32Array,
  sampleRate: number,
  options: LogMelOptions,
): { logFb: Float64Array; logE: Float64Array; numSteps: number; numFilters: number } {
  checkSamples(samples, sampleRate);
  const numFilters = options.numFilters ?? 26;
  const layout = frameLayout(samples.length, sampleRate, options);
  const nfft = options.nfft ?? nextPow2(layout.frameLen);
  const fb = melFilterbank(numFilters, nfft, sampleRate, options);
  const numBins = nfft / 2 + 1;
  const logFb = new Float64Array(layout.numFrames * numFilters);
  const logE = new Float64Array(layout.numFrames);
  forEachPowerSpectrum(samples, sampleRate, { ...options, nfft }, (t, pspec) => {
    let e = 0;
    for (let k = 0; k < numBins; k++) e += pspec[k];
    logE[t] = Math.log(e === 0 ? ENERGY_FLOOR : e);
    for (let j = 0; j < numFilters; j++) {
      let s = 0;
      const row = j * numBins;
      for (let k = 0; k < numBins; k++) s += pspec[k] * fb[row + k];
      logFb[t * numFilters + j] = Math.log(s === 0 ? ENERGY_FLOOR : s);
    }
  });
  return { logFb, logE, numSteps: layout.numFrames, numFilters };
}

/**
 * Log mel filterbank energies (python_speech_features `logfbank`), one row per 10 ms step.
 * @param samples Mono samples (any scale; [-1, 1] for decoded wavs).
 * @param sampleRate Samples per second.
 * @param options Framing and filterbank options; numFilters defaults to 26.
 * @returns [numSteps, numFilters] natural-log energies; silent frames give log(2.22e-16) = -36.04.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { logMel } from "./features.ts";
 * const f = logMel(new Float32Array(16000), 16000); // 1 s of silence
 * assert(f.numSteps === 99 && f.dim === 26);
 * assert(Math.abs(f.data[0] - Math.log(2.220446049250313e-16)) < 1e-4);
 * ```
 */
export function logMel(
  samples: Float32Array,
  sampleRate: number,
  options: LogMelOptions = {},
): FeatureMatrix {
  const { logFb, numSteps, numFilters } = logFilterbank(samples, sampleRate, options);
  return { data: Float32Array.from(logFb), numSteps, dim: numFilters };
}

/**
 * Log frame energy per 10 ms step: log(sum_k |X_k|^2 / nfft) over the nfft/2 + 1 non-negative bins of the
 * pre-emphasised frame; identical to c0 of {@linkcode mfcc} with the same options (appendEnergy).
 * @param samples Mono samples.
 * @param sampleRate Samples per second.
 * @param options Framing options.
 * @returns One natural-log energy per step (floor log(2.22e-16) for silence).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { logEnergy } from "./features.ts";
 * assert(logEnergy(new Float32Array(800), 16000).length === 4); // 1 + ceil(400 / 160)
 * ```
 */
export function logEnergy(
  samples: Float32Array,
  sampleRate: number,
  options: FramingOptions = {},
): Float32Array {
  checkSamples(samples, sampleRate);
  const out: number[] = [];
  forEachPowerSpectrum(samples, sampleRate, options, (_t, pspec) => {
    let e = 0;
    for (let k = 0; k < pspec.length; k++) e += pspec[k];
    out.push(Math.log(e === 0 ? ENERGY_FLOOR : e));
  });
  return Float32Array.from(out);
}

/**
 * Mel-frequency cepstral coefficients (python_speech_features `mfcc` with its defaults), 100 steps/s.
 * @param samples Mono samples.
 * @param sampleRate Samples per second.
 * @param options Framing, filterbank and cepstrum options.
 * @returns [numSteps, numCep] coefficients (13 by default), c0 = log frame energy.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { mfcc } from "./features.ts";
 * const tone = Float32Array.from({ length: 16000 }, (_, i) => Math.sin(2 * Math.PI * 440 * i / 16000));
 * const f = mfcc(tone, 16000);
 * assert(f.numSteps === 99 && f.dim === 13);
 * ```
 */
export function mfcc(samples: Float32Array, sampleRate: number, options: MfccOptions = {}): FeatureMatrix {
  const numCep = options.numCep ?? 13;
  const lifter = options.cepLifter ?? 22;
  const { logFb, logE, numSteps, numFilters } = logFilterbank(samples, sampleRate, options);
  if (!Number.isInteger(numCep) || numCep < 1 || numCep > numFilters) {
    throw new Error(`features.ts: numCep must be in [1, numFilters=${numFilters}]: got ${numCep}`);
  }
  // Orthonormal DCT-II (scipy.fftpack.dct(type=2, norm="ortho")):
  // c_k = s_k sum_n x_n cos(pi k (2n + 1) / (2N)), s_0 = sqrt(1/N), s_k = sqrt(2/N).
  const n = numFilters;
  const basis = new Float64Array(numCep * n);
  for (let k = 0; k < numCep; k++) {
    const s = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    const lift = lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * k) / lifter) : 1;
    for (let i = 0; i < n; i++) basis[k * n + i] = s * lift * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
  }
  const data = new Float32Array(numSteps * numCep);
  const appendEnergy = options.appendEnergy ?? true;
  for (let t = 0; t < numSteps; t++) {
    for (let k = 0; k < numCep; k++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += basis[k * n + i] * logFb[t * n + i];
      data[t * numCep + k] = c;
    }
    if (appendEnergy) data[t * numCep] = logE[t];
  }
  return { data, numSteps, dim: numCep };
}
