/**
 * Following one face through a video: detection on the first frame and whenever the track is lost,
 * landmarks on the tracked box otherwise; then filling the frames without a face.
 * @module
 */
import type { Image } from "../io/types.ts";
import type { LandmarkDetector } from "../landmarks/detector.ts";
import { landmarkBox, trackingBox } from "./crop.ts";

/** What the tracker needs of a landmark detector (lib/landmarks `createLandmarkDetector` fits). */
export type FaceDetector = Pick<LandmarkDetector, "detect" | "landmarksInBox">;

/** Options of {@linkcode trackFace}. */
export interface TrackOptions {
  /** Run the detector every this many frames even when tracking, to notice a face that left (face-api's
   * landmark network places 68 points in any box). 0: only when lost. @default {25} */
  readonly redetectEvery?: number;
  /** Called after each frame with the number of frames done. */
  readonly onFrame?: (done: number) => void;
}

/** Result of {@linkcode trackFace}. */
export interface FaceTrack {
  /** Per frame, 68 landmarks (136 numbers, pixels of the frames given) or null when no face was found. */
  readonly landmarks: (Float32Array | null)[];
  /** Detector runs (first frame, periodic checks, re-detections after a loss). */
  readonly detections: number;
  /** Times the track was lost (landmarks implausible) and the detector was run again. */
  readonly losses: number;
  /** Size of the frames. */
  readonly width: number;
  readonly height: number;
}

/**
 * Whether landmarks placed in a tracked box are plausible: their box must keep its size within a factor
 * 1.5 of the previous frame's and move by less than half its width, and the face must not be flat
 * (height at least a third of the width). Otherwise the track counts as lost.
 */
export function plausibleStep(prev: ArrayLike<number>, next: ArrayLike<number>): boolean {
  const a = landmarkBox(prev), b = landmarkBox(next);
  if (![b.x, b.y, b.w, b.h].every(Number.isFinite) || b.w <= 0 || b.h <= 0) return false;
  const ratio = b.w / a.w;
  const move = Math.hypot(b.x + b.w / 2 - (a.x + a.w / 2), b.y + b.h / 2 - (a.y + a.h / 2));
  return ratio < 1.5 && ratio > 1 / 1.5 && move < 0.5 * a.w && b.h > b.w / 3;
}

/**
 * Tracks one face through frames: the detector runs on the first frame, every `redetectEvery` frames,
 * and whenever the landmarks found in the box of the previous frame's landmarks
 * ({@linkcode trackingBox}) fail {@linkcode plausibleStep}; a detection that finds nothing marks the
 * frame as having no face, and the next frame is detected afresh.
 * @param frames Frames in order (streamed; only the current frame is held).
 * @param detector Landmark detector.
 * @param options Re-detection period, progress callback.
 * @returns Landmarks per frame (null where no face) and counters.
 */
export async function trackFace(
  frames: AsyncIterable<Image> | Iterable<Image>,
  detector: FaceDetector,
  options: TrackOptions = {},
): Promise<FaceTrack> {
  const every = options.redetectEvery ?? 25;
  const landmarks: (Float32Array | null)[] = [];
  let prev: Float32Array | null = null;
  let detections = 0, losses = 0, width = 0, height = 0;
  for await (const img of frames) {
    width = img.width, height = img.height;
    const i = landmarks.length;
    let found: Float32Array | null = null;
    if (prev && !(every > 0 && i % every === 0)) {
      const lms = await detector.landmarksInBox(img, trackingBox(prev));
      if (plausibleStep(prev, lms)) found = lms;
      else losses++;
    }
    if (!found) {
      detections++;
      const det = await detector.detect(img);
      found = det ? det.landmarks : null;
    }
    landmarks.push(found);
    prev = found;
    options.onFrame?.(landmarks.length);
  }
  return { landmarks, detections, losses, width, height };
}

/**
 * Fills frames without landmarks by linear interpolation between the nearest frames with landmarks
 * (before the first or after the last, the nearest one is repeated).
 * @param landmarks Per frame, landmarks or null.
 * @returns Landmarks for every frame and the indices that were filled.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fillMissing } from "./track.ts";
 * const { filled, missing } = fillMissing([Float32Array.of(0, 0), null, Float32Array.of(2, 4)]);
 * assertEquals([Array.from(filled[1]), missing], [[1, 2], [1]]);
 * ```
 */
export function fillMissing(
  landmarks: readonly (ArrayLike<number> | null)[],
): { filled: Float64Array[]; missing: number[] } {
  const known = landmarks.flatMap((l, i) => (l ? [i] : []));
  if (known.length === 0) throw new Error("track.ts: no frame has landmarks: nothing to interpolate from");
  const missing = landmarks.flatMap((l, i) => (l ? [] : [i]));
  let k = 0;
  const filled = landmarks.map((l, i) => {
    if (l) return Float64Array.from(l);
    while (k + 1 < known.length && known[k + 1] < i) k++;
    const a = known[k] < i ? known[k] : known[0];
    const b = known.find((j) => j > i);
    if (b === undefined || a > i) return Float64Array.from(landmarks[b === undefined ? a : b]!);
    const t = (i - a) / (b - a);
    const la = landmarks[a]!, lb = landmarks[b]!;
    return Float64Array.from(la, (v, q) => v + t * (lb[q] - v));
  });
  return { filled, missing };
}
