/**
 * Mouth opening driven by speech loudness: the relation between audio and lips that a talking-head model
 * has to learn from the synthetic data.
 * @module
 */

/** Options of {@linkcode rmsEnvelope}. */
export interface EnvelopeOptions {
  /** Video frames N; default: every whole frame the audio covers, floor(duration * fps). */
  readonly numFrames?: number;
  /** Video frames per second. @default {25} */
  readonly fps?: number;
  /** Length of the RMS window centred on each frame, seconds. @default {0.08} */
  readonly windowSeconds?: number;
}

/** Options of {@linkcode mouthOpeningFromAudio}. */
export interface MouthOptions extends EnvelopeOptions {
  /** Standard deviation of the Gaussian smoothing over frames (0: none). @default {1} */
  readonly smoothingFrames?: number;
  /** Envelope level that counts as fully open, as a quantile of the frames' envelope. @default {0.95} */
  readonly openQuantile?: number;
  /** Level below which the mouth is closed, as a fraction of the fully-open level. @default {0.12} */
  readonly gate?: number;
}

function framesOf(samples: Float32Array, sampleRate: number, o: EnvelopeOptions): { n: number; fps: number } {
  const fps = o.fps ?? 25;
  if (!(sampleRate > 0)) throw new Error(`mouth.ts: sampleRate must be > 0: got ${sampleRate}`);
  if (!(fps > 0)) throw new Error(`mouth.ts: fps must be > 0: got ${fps}`);
  const n = o.numFrames ?? Math.floor((samples.length / sampleRate) * fps);
  if (!Number.isInteger(n) || n < 0) throw new Error(`mouth.ts: numFrames must be an integer >= 0: got ${n}`);
  return { n, fps };
}

/**
 * Root-mean-square loudness per video frame: the RMS of the samples in a window of `windowSeconds`
 * centred on the frame's middle, (i + 0.5) / fps seconds. Samples past the ends count as silence.
 * @param samples Mono audio in [-1, 1].
 * @param sampleRate Samples per second.
 * @param options Frame count, frame rate, window length.
 * @returns N values >= 0 (same units as the samples).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { rmsEnvelope } from "./mouth.ts";
 * const env = rmsEnvelope(new Float32Array(1600).fill(0.5), 16000); // 0.1 s of a constant
 * assertAlmostEquals(env[1], 0.5, 1e-6); // frames 0 and 1; frame 1's window lies inside the signal
 * ```
 */
export function rmsEnvelope(
  samples: Float32Array,
  sampleRate: number,
  options: EnvelopeOptions = {},
): Float32Array {
  const { n, fps } = framesOf(samples, sampleRate, options);
  const half = Math.max(1, Math.round(((options.windowSeconds ?? 0.08) * sampleRate) / 2));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const centre = Math.round(((i + 0.5) / fps) * sampleRate);
    let sum = 0;
    const a = Math.max(0, centre - half), b = Math.min(samples.length, centre + half);
    for (let k = a; k < b; k++) sum += samples[k] * samples[k];
    out[i] = Math.sqrt(sum / (2 * half));
  }
  return out;
}

function gaussianSmooth(x: Float32Array, sigma: number): Float32Array {
  if (sigma <= 0) return new Float32Array(x);
  const r = Math.ceil(3 * sigma);
  const w = Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-((k - r) ** 2) / (2 * sigma * sigma)));
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let s = 0, ws = 0;
    for (let k = -r; k <= r; k++) {
      const j = i + k;
      if (j < 0 || j >= x.length) continue;
      s += w[k + r] * x[j];
      ws += w[k + r];
    }
    out[i] = s / ws;
  }
  return out;
}

function quantile(x: Float32Array, q: number): number {
  if (x.length === 0) return 0;
  const s = Float32Array.from(x).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/**
 * Mouth opening per video frame from the speech: the RMS envelope ({@linkcode rmsEnvelope}), smoothed
 * over frames, then mapped linearly so that the `gate` level is closed (0) and the `openQuantile` level
 * is fully open (1), clamped to [0, 1]. Silence closes the mouth; the mapping is per clip (loudness
 * normalised), so a quiet and a loud recording of the same speech give the same mouth.
 * @param samples Mono audio in [-1, 1].
 * @param sampleRate Samples per second.
 * @param options Frame count and rate, smoothing, normalisation.
 * @returns N openings in [0, 1].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mouthOpeningFromAudio } from "./mouth.ts";
 * const sr = 16000;
 * const tone = Float32Array.from({ length: sr }, (_, i) => (i < sr / 2 ? 0 : 0.3 * Math.sin(i / 5)));
 * const open = mouthOpeningFromAudio(tone, sr); // silent first half, loud second half
 * assertEquals([open[2], open[20]], [0, 1]);
 * ```
 */
export function mouthOpeningFromAudio(
  samples: Float32Array,
  sampleRate: number,
  options: MouthOptions = {},
): Float32Array {
  const env = gaussianSmooth(rmsEnvelope(samples, sampleRate, options), options.smoothingFrames ?? 1);
  const gate = options.gate ?? 0.12;
  const q = options.openQuantile ?? 0.95;
  if (!(gate >= 0 && gate < 1)) throw new Error(`mouth.ts: gate must be in [0, 1): got ${gate}`);
  if (!(q > 0 && q <= 1)) throw new Error(`mouth.ts: openQuantile must be in (0, 1]: got ${q}`);
  const top = quantile(env, q);
  const out = new Float32Array(env.length);
  if (!(top > 0)) return out; // silence throughout: the mouth stays closed
  const lo = gate * top;
  for (let i = 0; i < env.length; i++) out[i] = Math.min(1, Math.max(0, (env[i] - lo) / (top - lo)));
  return out;
}

/**
 * Pearson correlation coefficient of two equally long series.
 * @returns r in [-1, 1]; NaN when either series is constant.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { pearson } from "./mouth.ts";
 * assertAlmostEquals(pearson([1, 2, 3], [2, 4, 6.5]), 0.998, 1e-3);
 * ```
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new Error(`mouth.ts: pearson needs equal lengths: got ${a.length} and ${b.length}`);
  }
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) ma += a[i] / n, mb += b[i] / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
