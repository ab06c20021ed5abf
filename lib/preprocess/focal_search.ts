/**
 * The focal length of a video's camera from its face landmarks, by a search shared by all frames, as
 * AD-NeRF's face tracker does (`data_util/face_tracking/face_tracker.py` fits the first frames for each
 * focal of a range and keeps the one of least landmark loss).
 * @module
 */
import { bundleAdjust } from "./bundle_adjust.ts";
import { fitPose, type PinholeCamera, type PoseFit } from "./pose_fit.ts";
import type { RigidPose } from "./shape_fit.ts";
import { MEAN_FACE_68 } from "./template.ts";

/**
 * Weights of the 68 points for pose and focal fitting: 1 for points that move with the skull (upper
 * jaw contour 0-4 and 12-16, brows, nose, eyes), 0 for the lower jaw contour 5-11 and the lips 48-67,
 * which move with speech and would otherwise be read as head motion.
 */
export const RIGID_WEIGHTS_68: Readonly<Float64Array> = Float64Array.from(
  { length: 68 },
  (_, i) => (i >= 5 && i <= 11) || i >= 48 ? 0 : 1,
);

/** Options of {@linkcode searchFocal}. */
export interface FocalSearchOptions {
  /** Focal lengths searched, pixels [low, high]. Required: it depends on the image size. */
  readonly range: readonly [number, number];
  /** Candidates on a log scale over the range, before the golden-section refinement. @default {12} */
  readonly steps?: number;
  /** Golden-section iterations between the neighbours of the best candidate. @default {10} */
  readonly refineIterations?: number;
  /** Frames used: at most this many, evenly spread over the video. @default {120} */
  readonly maxFrames?: number;
  /** Levenberg-Marquardt iterations of the bundle adjustment per candidate. @default {60} */
  readonly iterations?: number;
  /** Prior shape. @default {MEAN_FACE_68} */
  readonly model?: ArrayLike<number>;
  /** Per-point weights. @default {RIGID_WEIGHTS_68} */
  readonly weights?: ArrayLike<number>;
  /** Shape prior sigma (model units), see bundleAdjust. searchFocal's default is weak (1 m): a person's
   * departures from the template (a centimetre or two) cost next to nothing against the residuals of
   * a hundred frames, so the shape follows the landmarks, while the shape's similarity gauge and the
   * directions the landmarks do not see stay at the template. A stronger prior pulls f towards the
   * focal length at which the template itself fits best (on the synthetic fixture, too long: 2-12 % at
   * sigma 3, 18-26 % at 1, 38 % to the end of the range at 0.3). fitShapeAtFocal's default is moderate,
   * for steadier poses from noisy landmarks. @default {10 for searchFocal, 1 for fitShapeAtFocal} */
  readonly shapeSigma?: number;
}

/** One focal length tried by {@linkcode searchFocal}. */
export interface FocalCandidate {
  readonly focal: number;
  /** Reprojection RMSE over the used frames' weighted points, pixels. */
  readonly rmse: number;
  /** The bundle adjustment's objective (robust reprojection cost plus shape prior), which is minimised. */
  readonly cost: number;
}

/** Result of {@linkcode searchFocal}. */
export interface FocalSearch {
  /** The focal length of least objective, pixels. */
  readonly focal: number;
  /** The person's 3-D landmark shape adapted at that focal length (n x 3). */
  readonly shape: Float64Array;
  /** Every focal length tried, in the order tried. */
  readonly curve: readonly FocalCandidate[];
  /**
   * The focal lengths whose objective is within 1.92 s^2 of the least (s^2 the residual variance per
   * coordinate, RMSE^2 / 2): the 95 % likelihood-ratio interval for independent Gaussian landmark errors
   * (chi-square with one degree of freedom: 3.84 / 2), read off the curve. Landmark errors that are
   * correlated from frame to frame (a detector's bias, smoothing) make the true uncertainty larger.
   * An end equal to an end of the range means the data do not bound f on that side.
   */
  readonly interval: readonly [number, number];
  /** Frame indices used. */
  readonly frames: readonly number[];
}

interface Candidate extends FocalCandidate {
  readonly shape: Float64Array;
  readonly poses: readonly RigidPose[];
}

/**
 * Searches the focal length f that best explains the landmarks of many frames with one rigid face:
 * for each candidate f, the poses of all used frames and the person's 3-D shape are fitted together
 * ({@linkcode bundleAdjust}, the shape pulled towards `model`), and f is scored by the fit's objective,
 * i.e. the profile of the objective over f. A generic template alone cannot tell focal lengths apart
 * (its mismatch with the face dominates the error); with the shape adapted, the remaining error is the
 * perspective effect the focal length controls, seen across the head's rotations. The effect is small
 * (of the order of (depth range / distance) x (rotation range) of the face's image size), so the
 * profile is shallow and only a converged fit at every candidate gives it a reliable shape. Candidates
 * run on a log grid over `range`, each warm-started from the previous one (depth scaled with f), then a
 * golden-section search refines between the best candidate's neighbours.
 * @param landmarks Per frame, 68 x 2 pixel coordinates (frames without a face are left out by the caller).
 * @param camera Principal point (cx, cy) in pixels.
 * @param options Range (required), grid size, frames, iterations, model, weights, prior sigma.
 * @returns The focal length, the adapted shape and the error curve.
 */
export function searchFocal(
  landmarks: readonly ArrayLike<number>[],
  camera: { readonly cx: number; readonly cy: number },
  options: FocalSearchOptions,
): FocalSearch {
  const [lo, hi] = options.range ?? [];
  if (!(lo > 0 && hi > lo)) {
    throw new Error(
      `focal_search.ts: options.range must be [low, high] with 0 < low < high: got [${options.range}]`,
    );
  }
  if (landmarks.length === 0) {
    throw new Error("focal_search.ts: landmarks is empty: expected at least one frame");
  }
  const steps = Math.max(2, options.steps ?? 12);
  const used = spread(landmarks.length, Math.max(1, options.maxFrames ?? 120));
  const lms = used.map((i) => landmarks[i]);
  const settings = settingsOf(options, 10);
  const curve: FocalCandidate[] = [];
  const evaluate = (focal: number, start?: Candidate): Candidate => {
    const c = adjust(lms, { focal, cx: camera.cx, cy: camera.cy }, settings, start);
    curve.push({ focal: c.focal, rmse: c.rmse, cost: c.cost });
    return c;
  };

  const grid: Candidate[] = [];
  for (let k = 0; k < steps; k++) grid.push(evaluate(lo * Math.pow(hi / lo, k / (steps - 1)), grid.at(-1)));
  let best = grid.reduce((a, b) => (b.cost < a.cost ? b : a));
  const k = grid.indexOf(best);
  // Golden-section search on log f between the neighbours of the best grid point.
  let a = Math.log(grid[Math.max(0, k - 1)].focal), b = Math.log(grid[Math.min(steps - 1, k + 1)].focal);
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = b - phi * (b - a), x2 = a + phi * (b - a);
  let c1 = evaluate(Math.exp(x1), best), c2 = evaluate(Math.exp(x2), best);
  for (let it = 0; it < (options.refineIterations ?? 10); it++) {
    if (c1.cost < c2.cost) {
      b = x2, x2 = x1, c2 = c1;
      x1 = b - phi * (b - a);
      c1 = evaluate(Math.exp(x1), c2);
    } else {
      a = x1, x1 = x2, c1 = c2;
      x2 = a + phi * (b - a);
      c2 = evaluate(Math.exp(x2), c1);
    }
  }
  for (const c of [c1, c2]) if (c.cost < best.cost) best = c;
  const interval = likelihoodInterval(curve, best.cost + 1.92 * best.rmse ** 2 / 2);
  return { focal: best.focal, shape: best.shape, curve, interval, frames: used };
}

/**
 * The span of focal lengths whose cost is at most `level`, from the sampled curve: each side is found by
 * linear interpolation in log f between the last sample inside and the first outside.
 */
function likelihoodInterval(curve: readonly FocalCandidate[], level: number): [number, number] {
  const pts = [...curve].sort((a, b) => a.focal - b.focal);
  let k = 0;
  for (let i = 1; i < pts.length; i++) if (pts[i].cost < pts[k].cost) k = i;
  const cross = (inside: FocalCandidate, outside: FocalCandidate) => {
    const s = (level - inside.cost) / (outside.cost - inside.cost);
    return Math.exp(Math.log(inside.focal) + s * (Math.log(outside.focal) - Math.log(inside.focal)));
  };
  let lo = k, hi = k;
  while (lo > 0 && pts[lo - 1].cost <= level) lo--;
  while (hi < pts.length - 1 && pts[hi + 1].cost <= level) hi++;
  return [
    lo === 0 ? pts[0].focal : cross(pts[lo], pts[lo - 1]),
    hi === pts.length - 1 ? pts[hi].focal : cross(pts[hi], pts[hi + 1]),
  ];
}

/** Indices of at most `max` frames evenly spread over `n`. */
function spread(n: number, max: number): number[] {
  return n <= max
    ? Array.from({ length: n }, (_, i) => i)
    : Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / Math.max(1, max - 1)));
}

interface Settings {
  readonly prior: ArrayLike<number>;
  readonly weights: ArrayLike<number>;
  readonly sigma: number;
  readonly iterations: number;
}

function settingsOf(options: Partial<FocalSearchOptions>, sigma: number): Settings {
  return {
    prior: options.model ?? MEAN_FACE_68,
    weights: options.weights ?? RIGID_WEIGHTS_68,
    sigma: options.shapeSigma ?? sigma,
    iterations: options.iterations ?? 60,
  };
}

/** The bundle adjustment at one focal length, warm-started from a neighbouring candidate. */
function adjust(
  lms: readonly ArrayLike<number>[],
  cam: PinholeCamera,
  o: Settings,
  start?: Candidate,
): Candidate {
  let poses: RigidPose[];
  if (start) {
    // Same image size at the new focal length: the head moves away in proportion (u ~ f X / Z).
    const k = cam.focal / start.focal;
    poses = start.poses.map((p) => ({
      rotation: p.rotation,
      trans: [p.trans[0], p.trans[1], p.trans[2] * k],
    }));
  } else {
    let prev: PoseFit | undefined;
    poses = lms.map((l) => prev = fitPose(l, cam, { model: o.prior, weights: o.weights, init: prev }));
  }
  const ba = bundleAdjust(lms, cam, {
    prior: o.prior,
    shape: start?.shape,
    poses,
    weights: o.weights,
    sigma: o.sigma,
    iterations: o.iterations,
  });
  return { focal: cam.focal, rmse: ba.rmse, cost: ba.cost, shape: ba.shape, poses: ba.poses };
}

/**
 * The person's shape at a known focal length: the bundle adjustment of {@linkcode searchFocal} for one
 * candidate, from the template and per-frame pose fits.
 * @param landmarks Per frame, 68 x 2 pixel coordinates.
 * @param camera Focal length and principal point.
 * @param options Frames, iterations, model, weights, prior sigma (as for searchFocal; range unused).
 * @returns The adapted shape and the reprojection RMSE.
 */
export function fitShapeAtFocal(
  landmarks: readonly ArrayLike<number>[],
  camera: PinholeCamera,
  options: Partial<FocalSearchOptions> = {},
): { shape: Float64Array; rmse: number } {
  if (landmarks.length === 0) {
    throw new Error("focal_search.ts: landmarks is empty: expected at least one frame");
  }
  const used = spread(landmarks.length, Math.max(1, options.maxFrames ?? 120));
  const c = adjust(used.map((i) => landmarks[i]), camera, settingsOf(options, 1));
  return { shape: c.shape, rmse: c.rmse };
}
