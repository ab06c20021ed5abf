/**
 * Landmark distance (LMD): how far the mouth (or face) shape of a generated frame is from the ground
 * truth, from 68-point landmarks (Chen et al., "Lip Movements Generation at a Glance", ECCV 2018; used
 * by AD-NeRF, SSP-NeRF and their successors). The number depends on the landmark detector, so reports
 * name it: "LMD (face-api)".
 * @module
 */
import { METRIC_NAMES, type MetricResult } from "../metrics/report.ts";
import { checkLandmarks, LANDMARK_GROUPS } from "./points.ts";

/** Which points LMD compares. */
export type LmdPoints = "mouth" | "face" | readonly number[];

/** Options of {@linkcode landmarkDistance}. */
export interface LmdOptions {
  /** `"mouth"` (points 48-67), `"face"` (all 68) or a list of point indices. @default {"mouth"} */
  readonly points?: LmdPoints;
  /** `"centroid"`: subtract each set's own centroid (of the chosen points) first, so LMD measures
   * shape, not position; `"none"`: raw pixel positions. @default {"centroid"} */
  readonly align?: "centroid" | "none";
}

function pointList(points: LmdPoints): readonly number[] {
  if (points === "mouth") return LANDMARK_GROUPS.mouth;
  if (points === "face") return LANDMARK_GROUPS.face;
  if (points.length === 0) throw new Error("LMD points: expected at least one point index, got none");
  for (const p of points) {
    if (!Number.isInteger(p) || p < 0 || p > 67) throw new Error(`LMD points: index ${p} is not in 0..67`);
  }
  return points;
}

/**
 * LMD of one frame: with P and G the chosen points of the prediction and the ground truth, each minus
 * its own centroid, LMD = (1/n) sum_i ||P_i - G_i||_2, in pixels.
 * @param pred 68 landmarks as 136 numbers [x0, y0, ...], pixels.
 * @param gt Ground-truth landmarks, same layout.
 * @param options Points and alignment.
 * @returns Mean Euclidean distance in pixels.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { landmarkDistance } from "./lmd.ts";
 * const gt = new Float32Array(136), pred = new Float32Array(136);
 * pred[2 * 57 + 1] = 20; // lower-lip centre 20 px lower, the other 19 mouth points unchanged
 * // Centroids differ by 1 px in y: the moved point is 19 px off, the 19 others 1 px: 38 / 20.
 * assertAlmostEquals(landmarkDistance(pred, gt), 1.9, 1e-6);
 * assertAlmostEquals(landmarkDistance(pred, gt, { align: "none" }), 1, 1e-6); // 20 / 20
 * ```
 */
export function landmarkDistance(pred: Float32Array, gt: Float32Array, options: LmdOptions = {}): number {
  checkLandmarks(pred, "LMD pred");
  checkLandmarks(gt, "LMD gt");
  const idx = pointList(options.points ?? "mouth");
  let px = 0, py = 0, gx = 0, gy = 0;
  if ((options.align ?? "centroid") === "centroid") {
    for (const i of idx) {
      px += pred[2 * i];
      py += pred[2 * i + 1];
      gx += gt[2 * i];
      gy += gt[2 * i + 1];
    }
    px /= idx.length, py /= idx.length, gx /= idx.length, gy /= idx.length;
  }
  let sum = 0;
  for (const i of idx) {
    sum += Math.hypot(pred[2 * i] - px - (gt[2 * i] - gx), pred[2 * i + 1] - py - (gt[2 * i + 1] - gy));
  }
  return sum / idx.length;
}

/** LMD over a clip. */
export interface LmdSummary {
  /** Mean over the frames where both sets exist, pixels; null when there is no such frame. */
  readonly lmd: number | null;
  /** Per frame; null where a face was missing. */
  readonly perFrame: readonly (number | null)[];
  readonly frames: number;
  readonly framesUsed: number;
  /** Frames left out because the prediction, the ground truth or both had no face. */
  readonly framesWithoutFace: number;
  /** Of those, frames whose prediction / ground truth had no face. */
  readonly missingPred: number;
  readonly missingGt: number;
  /** "mouth", "face" or "custom". */
  readonly points: "mouth" | "face" | "custom";
  /** Landmark detector, for the report name. */
  readonly detector: string;
}

/**
 * Mean LMD over paired frames. A frame where either landmark set is `null` (no face found) is counted
 * in `framesWithoutFace` and left out of the mean, never turned into NaN or dropped silently.
 * @param preds Landmarks of the generated frames, `null` where no face was found.
 * @param gts Ground-truth landmarks, as many.
 * @param options Points and alignment of {@linkcode landmarkDistance}; `detector` names what produced
 *   the landmarks (default "face-api").
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lmdOverFrames } from "./lmd.ts";
 * const a = new Float32Array(136), b = a.map((_, i) => (i === 2 * 57 + 1 ? 20 : 0));
 * const s = lmdOverFrames([a, null, b], [a, a, a]);
 * assertEquals([s.framesUsed, s.framesWithoutFace, s.missingPred], [2, 1, 1]);
 * assertEquals(s.perFrame[1], null);
 * ```
 */
export function lmdOverFrames(
  preds: readonly (Float32Array | null)[],
  gts: readonly (Float32Array | null)[],
  options: LmdOptions & { detector?: string } = {},
): LmdSummary {
  if (preds.length !== gts.length) {
    throw new Error(`lmdOverFrames: ${preds.length} predicted frames but ${gts.length} ground-truth frames`);
  }
  const points = options.points ?? "mouth";
  let sum = 0, used = 0, missingPred = 0, missingGt = 0, without = 0;
  const perFrame = preds.map((p, i) => {
    const g = gts[i];
    if (!p) missingPred++;
    if (!g) missingGt++;
    if (!p || !g) {
      without++;
      return null;
    }
    const d = landmarkDistance(p, g, options);
    sum += d;
    used++;
    return d;
  });
  return {
    lmd: used ? sum / used : null,
    perFrame,
    frames: preds.length,
    framesUsed: used,
    framesWithoutFace: without,
    missingPred,
    missingGt,
    points: typeof points === "string" ? points : "custom",
    detector: options.detector ?? "face-api",
  };
}

/**
 * A report entry for an LMD summary: named after the points and the detector ("LMD (face-api)" for
 * the mouth, "LMD face (face-api)" for all 68 points), with frames without a face in the note.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lmdMetric, lmdOverFrames } from "./lmd.ts";
 * const a = new Float32Array(136);
 * const m = lmdMetric(lmdOverFrames([a, null], [a, a]));
 * assertEquals(m, { name: "LMD (face-api)", value: 0, note: "1 of 2 frames without a face (pred 1, gt 0)" });
 * ```
 */
export function lmdMetric(summary: LmdSummary): MetricResult {
  const base = summary.points === "mouth"
    ? "LMD"
    : summary.points === "face"
    ? "LMD face"
    : "LMD custom points";
  const name = summary.detector === "face-api" && summary.points === "mouth"
    ? METRIC_NAMES.lmdMouth
    : `${base} (${summary.detector})`;
  const note = summary.framesWithoutFace
    ? `${summary.framesWithoutFace} of ${summary.frames} frames without a face ` +
      `(pred ${summary.missingPred}, gt ${summary.missingGt})`
    : undefined;
  return { name, value: summary.lmd, ...(note ? { note } : {}) };
}
