/**
 * The eye signal of a video: the eye aspect ratio (EAR) of the 68 landmarks, normalised per video so
 * that the video's open eyes read about 1 and shut eyes 0.
 * @module
 */
import { checkLandmarks } from "./points.ts";

/** Points p1..p6 of each eye in the 68-point scheme: corner, two upper-lid points, corner, two lower-lid
 * points (right eye 36-41, left eye 42-47). */
export const EYE_POINTS = [[36, 37, 38, 39, 40, 41], [42, 43, 44, 45, 46, 47]] as const;

/**
 * Eye aspect ratio (Soukupova & Cech, "Real-Time Eye Blink Detection using Facial Landmarks", CVWW
 * 2016): per eye (|p2 - p6| + |p3 - p5|) / (2 |p1 - p4|), averaged over both eyes. About 0.25-0.35 for
 * open human eyes, near 0 for shut ones; scale-free.
 * @param landmarks 68 points as 136 numbers, pixels.
 * @returns The mean EAR of both eyes.
 * @throws Error when an eye's corners coincide.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { eyeAspectRatio } from "./eye.ts";
 * const lms = new Float32Array(136);
 * for (const b of [36, 42]) { // both eyes 40 px wide, lids 12 px apart
 *   lms.set([0, 0, 10, -6, 30, -6, 40, 0, 30, 6, 10, 6], 2 * b);
 * }
 * assertAlmostEquals(eyeAspectRatio(lms), (12 + 12) / (2 * 40), 1e-9);
 * ```
 */
export function eyeAspectRatio(landmarks: Float32Array | Float64Array): number {
  checkLandmarks(landmarks, "eyeAspectRatio: landmarks");
  const d = (i: number, j: number) =>
    Math.hypot(landmarks[2 * i] - landmarks[2 * j], landmarks[2 * i + 1] - landmarks[2 * j + 1]);
  let sum = 0;
  for (const [p1, p2, p3, p4, p5, p6] of EYE_POINTS) {
    const w = d(p1, p4);
    if (!(w > 0)) {
      throw new Error(
        `eyeAspectRatio: eye corners ${p1} and ${p4} coincide (distance ${w}): expected an eye`,
      );
    }
    sum += (d(p2, p6) + d(p3, p5)) / (2 * w);
  }
  return sum / 2;
}

/** Quantile of the per-video EAR that counts as "open" (1) in {@linkcode normalizeEyeSeries}. */
export const EYE_OPEN_QUANTILE = 0.9;

/**
 * Per-video normalisation of an EAR series: each value divided by the series' 90th percentile (nearest
 * rank on the sorted values), clamped to [0, 1], rounded to 1e-4. Blinks take a few percent of a video's
 * frames, so the percentile is an open-eye level of this person and camera; open eyes read about 1 (up
 * to head-pose foreshortening), shut eyes about 0.
 * @param ear EAR per frame (e.g. {@linkcode eyeAspectRatio}).
 * @param quantile The open level's quantile. @default {0.9}
 * @returns Eye openness per frame in [0, 1]; all 0 when the level is 0.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { normalizeEyeSeries } from "./eye.ts";
 * const ear = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.15, 0, 0.33];
 * assertEquals(normalizeEyeSeries(ear), [1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0, 1]);
 * ```
 */
export function normalizeEyeSeries(ear: ArrayLike<number>, quantile = EYE_OPEN_QUANTILE): number[] {
  if (!(quantile > 0 && quantile <= 1)) {
    throw new Error(`normalizeEyeSeries: quantile must be in (0, 1]: got ${quantile}`);
  }
  const bad = Array.prototype.findIndex.call(ear, (v: number) => !(Number.isFinite(v) && v >= 0));
  if (bad >= 0) {
    throw new Error(`normalizeEyeSeries: value ${bad} must be a finite EAR >= 0: got ${ear[bad]}`);
  }
  if (ear.length === 0) return [];
  const sorted = Float64Array.from(ear).sort();
  const top = sorted[Math.min(sorted.length - 1, Math.round(quantile * (sorted.length - 1)))];
  return Array.from(ear, (v) => (top > 0 ? Math.round(Math.min(1, v / top) * 1e4) / 1e4 : 0));
}

/**
 * The eye signal of a video from its landmarks: {@linkcode eyeAspectRatio} per frame, normalised by
 * {@linkcode normalizeEyeSeries}. Pass the frames of the whole video (train and validation together),
 * so that both splits share one normalisation.
 * @param landmarks 68-point landmarks per frame.
 * @returns Eye openness per frame in [0, 1] (1: open as usual in this video, 0: shut).
 */
export function eyeSignalFromLandmarks(landmarks: readonly (Float32Array | Float64Array)[]): number[] {
  return normalizeEyeSeries(landmarks.map(eyeAspectRatio));
}

/**
 * The eye region of a frame (the "eyes" region of evaluation, and the eye class of the semantic pixel
 * sampler's `eyeRegion` option), as a box from its 68 landmarks (iBUG order; eye
 * corners 36, 39 (one eye) and 42, 45 (the other)). The parsing's eye class cannot define it: when the
 * eyes shut, the class vanishes from the ground truth (eyelid skin is "face skin"), so a class mask would
 * drop exactly the frames a blink changes. The corners do not move when the lids close, so the box stays
 * put through a blink: centred on the mean of the four corners, 1.4 x the outer-corner distance D
 * (36 to 45) wide and 0.5 x D high (each eye with its lids, and the skin between the eyes and the brows).
 * @param lms 68 landmarks `[x0, y0, ...]`, pixels.
 * @param width Image width.
 * @param height Image height.
 * @returns The box as a 0/1 mask (row-major, width x height), or undefined when it misses the image
 *   or the corners coincide.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eyeRegionMask } from "./eye.ts";
 * const lms = new Float32Array(136);
 * for (const [i, x] of [[36, 2], [39, 4], [42, 6], [45, 8]]) [lms[2 * i], lms[2 * i + 1]] = [x, 5];
 * const m = eyeRegionMask(lms, 10, 10)!; // D = 6: pixel centres x in [0.8, 9.2), y in [3.5, 6.5)
 * assertEquals([m.reduce((a, b) => a + b, 0), m[4 * 10 + 1], m[2 * 10 + 1]], [8 * 3, 1, 0]);
 * ```
 */
export function eyeRegionMask(lms: Float32Array, width: number, height: number): Uint8Array | undefined {
  const corners = [36, 39, 42, 45];
  const cx = corners.reduce((s, i) => s + lms[2 * i], 0) / 4;
  const cy = corners.reduce((s, i) => s + lms[2 * i + 1], 0) / 4;
  const d = Math.hypot(lms[90] - lms[72], lms[91] - lms[73]);
  if (!(d > 0) || !Number.isFinite(cx + cy)) return undefined;
  const x0 = Math.max(0, Math.ceil(cx - 0.7 * d - 0.5)), x1 = Math.min(width, Math.ceil(cx + 0.7 * d - 0.5));
  const y0 = Math.max(0, Math.ceil(cy - 0.25 * d - 0.5)),
    y1 = Math.min(height, Math.ceil(cy + 0.25 * d - 0.5));
  if (x1 <= x0 || y1 <= y0) return undefined;
  const mask = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) mask.fill(1, y * width + x0, y * width + x1);
  return mask;
}
