/**
 * The mel scale and the triangular mel filterbank, in the python_speech_features convention
 * (jameslyons/python_speech_features, `base.py`: hz2mel, mel2hz, get_filterbanks).
 * @module
 */

/**
 * Hertz to mel, mel = 2595 log10(1 + hz / 700) (the HTK formula python_speech_features uses).
 * @param hz Frequency in Hz.
 * @returns Mels.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { hzToMel } from "./mel.ts";
 * assert(Math.abs(hzToMel(700) - 2595 * Math.log10(2)) < 1e-9);
 * ```
 */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

/**
 * Mel to hertz, the inverse of {@linkcode hzToMel}: hz = 700 (10^(mel / 2595) - 1).
 * @param mel Mels.
 * @returns Frequency in Hz.
 */
export function melToHz(mel: number): number {
  return 700 * (Math.pow(10, mel / 2595) - 1);
}

/** Options of {@linkcode melFilterbank}. */
export interface MelFilterbankOptions {
  /** Lowest band edge in Hz. @default {0} */
  readonly lowFreq?: number;
  /** Highest band edge in Hz. @default {sampleRate / 2} */
  readonly highFreq?: number;
}

/**
 * Triangular filters on FFT bins. The numFilters + 2 edges are equally spaced in mel between lowFreq and
 * highFreq and snapped to bins b_m = floor((nfft + 1) hz_m / sampleRate); filter j rises linearly from 0 at
 * b_j to 1 at b_{j+1} and falls to 0 at b_{j+2} (peak height 1, no area normalisation), exactly as
 * python_speech_features' get_filterbanks.
 * @param numFilters Number of filters (python_speech_features: 26 for mfcc/logfbank).
 * @param nfft FFT size; filters cover its nfft/2 + 1 non-negative bins.
 * @param sampleRate Samples per second.
 * @param options Band edges.
 * @returns Row-major [numFilters, nfft/2 + 1] weights.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { melFilterbank } from "./mel.ts";
 * const fb = melFilterbank(26, 512, 16000);
 * assert(fb.length === 26 * 257);
 * ```
 */
export function melFilterbank(
  numFilters: number,
  nfft: number,
  sampleRate: number,
  options: MelFilterbankOptions = {},
): Float64Array {
  const lowFreq = options.lowFreq ?? 0;
  const highFreq = options.highFreq ?? sampleRate / 2;
  if (!Number.isInteger(numFilters) || numFilters < 1) {
    throw new Error(`mel.ts: numFilters must be a positive integer: got ${numFilters}`);
  }
  if (!(lowFreq >= 0 && highFreq > lowFreq && highFreq <= sampleRate / 2)) {
    throw new Error(
      `mel.ts: need 0 <= lowFreq < highFreq <= sampleRate/2 (${sampleRate / 2}): got ${lowFreq}, ${highFreq}`,
    );
  }
  const numBins = Math.floor(nfft / 2) + 1;
  const lowMel = hzToMel(lowFreq), highMel = hzToMel(highFreq);
  const edges = new Float64Array(numFilters + 2);
  for (let m = 0; m < numFilters + 2; m++) {
    // numpy.linspace(lowmel, highmel, nfilt + 2)
    const mel = lowMel + ((highMel - lowMel) * m) / (numFilters + 1);
    edges[m] = Math.floor(((nfft + 1) * melToHz(mel)) / sampleRate);
  }
  const fb = new Float64Array(numFilters * numBins);
  for (let j = 0; j < numFilters; j++) {
    const a = edges[j], b = edges[j + 1], c = edges[j + 2];
    for (let i = a; i < b; i++) fb[j * numBins + i] = (i - a) / (b - a);
    for (let i = b; i < c; i++) fb[j * numBins + i] = (c - i) / (c - b);
  }
  return fb;
}
