/**
 * Implausible face detections: a landmark network places 68 points in any box it is given, so a video
 * without a face (a test pattern, a screen recording) still yields "faces". Such detections break the
 * later steps with internal errors (a pose fit with the head behind the camera, a landmark box outside
 * the crop). This module finds them before those steps, with a reason per frame, so the pipeline can
 * treat them as frames without a face and say which frames and why.
 *
 * Two tests, both on the assumption of the AD-NeRF layout (one person, static camera):
 * - the pose fit: the 68 points must be the projection of a 3-D face (the mean face of template.ts) under
 *   some head pose, in front of the camera, within a reprojection error of
 *   {@linkcode MAX_FIT_ERROR} of the face's width;
 * - the place: the face box must stay near the median face box of the video (centre within
 *   {@linkcode MAX_OFFSET} face widths, size within a factor {@linkcode MAX_SIZE_RATIO}).
 * @module
 */
import { landmarkBox } from "./crop.ts";
import { RIGID_WEIGHTS_68 } from "./focal_search.ts";
import { fitPose } from "./pose_fit.ts";

/** Largest RMS reprojection error of the pose fit, as a fraction of the face box's width. */
export const MAX_FIT_ERROR = 0.08;
/** Largest distance of a face box's centre from the median centre, in median face widths. */
export const MAX_OFFSET = 1;
/** Largest ratio of a face box's width to the median width (either way). */
export const MAX_SIZE_RATIO = 1.6;

/** One implausible detection. */
export interface ImplausibleFace {
  /** Frame index. */
  readonly frame: number;
  /** Why, e.g. "the pose fit leaves an error of 9.1 px on a face 40 px wide". */
  readonly reason: string;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Why one frame's landmarks cannot be a face, by the pose fit, or undefined when they can.
 * @param landmarks 68 x 2 pixel coordinates.
 * @param width Frame width in pixels.
 * @param height Frame height in pixels.
 * @returns The reason, or undefined.
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { implausibleByPose } from "./plausible_face.ts";
 * import { projectModel } from "./pose_fit.ts";
 * import { MEAN_FACE_68 } from "./template.ts";
 * const camera = { focal: 300, cx: 64, cy: 64 };
 * const face = projectModel(MEAN_FACE_68, { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], trans: [0, 0, -3] }, camera);
 * assertEquals(implausibleByPose(face, 128, 128), undefined);
 * const scrambled = Float64Array.from(face, (v, i) => i % 2 ? face[(i * 7) % face.length] : v);
 * assert(implausibleByPose(scrambled, 128, 128)!.includes("pose fit"));
 * ```
 */
export function implausibleByPose(
  landmarks: ArrayLike<number>,
  width: number,
  height: number,
): string | undefined {
  for (let i = 0; i < landmarks.length; i++) {
    if (!Number.isFinite(landmarks[i])) return `landmark ${i >> 1} is not a finite number`;
  }
  const box = landmarkBox(landmarks);
  if (!(box.w >= 4 && box.h >= 4)) {
    return `the 68 points span ${box.w.toFixed(1)}x${box.h.toFixed(1)} px: too small for a face`;
  }
  // The focal length is unknown here; a moderate one (the diagonal) is enough to tell a face from a
  // scatter of points, since the fit's rotation and depth absorb most of a wrong focal length.
  const camera = { focal: Math.hypot(width, height), cx: width / 2, cy: height / 2 };
  let fit;
  try {
    fit = fitPose(landmarks, camera, { weights: RIGID_WEIGHTS_68 });
  } catch (e) {
    return `the pose fit fails: ${e instanceof Error ? e.message : e}`;
  }
  if (!(fit.trans[2] < 0)) return "the pose fit puts the head behind the camera";
  if (!(fit.rmse <= MAX_FIT_ERROR * box.w)) {
    return `the pose fit leaves an error of ${fit.rmse.toFixed(1)} px on a face ${
      box.w.toFixed(0)
    } px wide ` +
      `(a face fits within ${(MAX_FIT_ERROR * box.w).toFixed(1)} px)`;
  }
  return undefined;
}

/**
 * The implausible detections of a video's face track: each frame's landmarks by
 * {@linkcode implausibleByPose}, then the place of each remaining face against the median face box.
 * @param landmarks Per frame, 68 x 2 pixel coordinates, or null where no face was found.
 * @param width Frame width in pixels.
 * @param height Frame height in pixels.
 * @returns One entry per implausible frame, in frame order.
 */
export function implausibleFaces(
  landmarks: readonly (ArrayLike<number> | null)[],
  width: number,
  height: number,
): ImplausibleFace[] {
  const out = new Map<number, string>();
  landmarks.forEach((l, k) => {
    if (!l) return;
    const why = implausibleByPose(l, width, height);
    if (why) out.set(k, why);
  });
  const kept = landmarks.map((l, k) => (l && !out.has(k) ? landmarkBox(l) : null));
  const boxes = kept.filter((b) => b !== null);
  if (boxes.length >= 3) {
    const mx = median(boxes.map((b) => b.x + b.w / 2)), my = median(boxes.map((b) => b.y + b.h / 2));
    const mw = median(boxes.map((b) => b.w));
    kept.forEach((b, k) => {
      if (!b) return;
      const off = Math.hypot(b.x + b.w / 2 - mx, b.y + b.h / 2 - my) / mw;
      const ratio = b.w / mw;
      if (off > MAX_OFFSET) {
        out.set(
          k,
          `the face box lies ${off.toFixed(1)} face widths from where the face is in most frames ` +
            `(at most ${MAX_OFFSET} for one person before a static camera)`,
        );
      } else if (ratio > MAX_SIZE_RATIO || ratio < 1 / MAX_SIZE_RATIO) {
        out.set(
          k,
          `the face is ${b.w.toFixed(0)} px wide, ${ratio.toFixed(2)} times the usual ${mw.toFixed(0)} px`,
        );
      }
    });
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([frame, reason]) => ({ frame, reason }));
}

/**
 * One line naming implausible frames with their reasons (the first few) for messages.
 * @param faces What {@linkcode implausibleFaces} found.
 * @param shown At most this many frames are described. @default 5
 * @returns e.g. `frame 3: the pose fit fails: ...; frame 9: ...`.
 */
export function describeImplausible(faces: readonly ImplausibleFace[], shown = 5): string {
  const head = faces.slice(0, shown).map((f) => `frame ${f.frame}: ${f.reason}`).join("; ");
  return faces.length > shown ? `${head}; ... (${faces.length} frames in all)` : head;
}
