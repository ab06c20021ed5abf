/**
 * Mouth opening from 68-point landmarks, a scale-free number for plots of lip motion against audio.
 * @module
 */
import { checkLandmarks } from "./points.ts";

/**
 * Mouth opening = mean inner-lip gap / inter-ocular distance, where the gap is the mean of
 * |p67 - p61|, |p66 - p62|, |p65 - p63| (upper and lower inner lip, left, centre, right) and the
 * inter-ocular distance is |p45 - p36| (outer eye corners, the 300-W normalisation). About 0 for a
 * closed mouth; dimensionless, so it does not depend on image size or face distance.
 * @param landmarks 68 points as 136 numbers, pixels.
 * @returns The opening ratio.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { mouthOpening } from "./mouth.ts";
 * const lms = new Float32Array(136);
 * lms[2 * 45] = 100; // eye corners 100 px apart
 * for (const i of [65, 66, 67]) lms[2 * i + 1] = 25; // lower inner lip 25 px below the upper one
 * assertAlmostEquals(mouthOpening(lms), 0.25, 1e-9);
 * ```
 */
export function mouthOpening(landmarks: Float32Array): number {
  checkLandmarks(landmarks, "mouthOpening: landmarks");
  const d = (i: number, j: number) =>
    Math.hypot(landmarks[2 * i] - landmarks[2 * j], landmarks[2 * i + 1] - landmarks[2 * j + 1]);
  const ocular = d(36, 45);
  if (!(ocular > 0)) {
    throw new Error(
      `mouthOpening: outer eye corners 36 and 45 coincide (distance ${ocular}): expected a face`,
    );
  }
  return (d(67, 61) + d(66, 62) + d(65, 63)) / 3 / ocular;
}
