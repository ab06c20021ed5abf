/**
 * The focal length of a video's camera from its face landmarks, by a search shared by all frames, as
 * AD-NeRF's face tracker does (`data_util/face_tracking/face_tracker.py` fits the first frames for each
 * focal of a range and keeps the one of least landmark loss).
 * @module
 */
import { fitPose, type PinholeCamera, type PoseFit } from "./pose_fit.ts";
import { refineShape } from "./shape_fit.ts";
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
  /** Frames used: at most this many, evenly spread over the video. @default {40} */
  readonly maxFrames?: number;
  /** Alternations of pose fitting and shape refinement per candidate. @default {6} */
  readonly rounds?: number;
  /** Prior shape. @default {MEAN_FACE_68} */
  readonly model?: ArrayLike<number>;
  /** Per-point weights. @default {RIGID_WEIGHTS_68} */
  readonly weights?: ArrayLike<number>;
  /** Shape prior sigma (model units), see refineShape. @default {1} */
  readonly shapeSigma?: number;
}

/** Result of {@linkcode searchFocal}. */
export interface FocalSearch {
  /** The focal length of least error, pixels. */
  readonly focal: number;
  /** The person's 3-D landmark shape adapted at that focal length (n x 3). */
  readonly shape: Float64Array;
  /** Every focal length tried and its mean reprojection RMSE (pixels), in the order tried. */
  readonly curve: readonly { readonly focal: number; readonly rmse: number }[];
  /** Frame indices used. */
  readonly frames: readonly number[];
}

interface Candidate {
  readonly focal: number;
  readonly rmse: number;
  readonly shape: Float64Array;
  readonly poses: readonly PoseFit[];
}

/**
 * Searches the focal length f that best explains the landmarks of many frames with one rigid face:
 * for each candidate f, alternates `rounds` times between fitting every used frame's pose
 * ({@linkcode fitPose}) and adapting the shared 3-D shape to the person (`refineShape`), and scores f by
 * the mean reprojection RMSE. A generic template alone cannot tell focal lengths apart (its mismatch with
 * the face dominates the error); with the shape adapted, the remaining error is the perspective effect
 * the focal length controls, seen across the head's rotations. Candidates run on a log grid over
 * `range`, each warm-started from the previous one's shape and poses (translation scaled with f), then
 * a golden-section search refines between the best candidate's neighbours.
 * @param landmarks Per frame, 68 x 2 pixel coordinates (frames without a face are left out by the caller).
 * @param camera Principal point (cx, cy) in pixels.
 * @param options Range (required), grid size, frames, rounds, model, weights.
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
  const maxFrames = Math.max(1, options.maxFrames ?? 40);
  const rounds = Math.max(1, options.rounds ?? 6);
  const prior = options.model ?? MEAN_FACE_68;
  const weights = options.weights ?? RIGID_WEIGHTS_68;
  const sigma = options.shapeSigma ?? 1;
  const used = spread(landmarks.length, maxFrames);
  const lms = used.map((i) => landmarks[i]);

  const settings = { rounds, prior, weights, sigma };
  const evaluate = (focal: number, start?: Candidate): Candidate =>
    alternate(lms, { focal, cx: camera.cx, cy: camera.cy }, settings, start);

  const curve: { focal: number; rmse: number }[] = [];
  const grid: Candidate[] = [];
  let prev: Candidate | undefined;
  for (let k = 0; k < steps; k++) {
    const f = lo * Math.pow(hi / lo, k / (steps - 1));
    const c = evaluate(f, prev);
    grid.push(c);
    curve.push({ focal: f, rmse: c.rmse });
    prev = c;
  }
  let best = grid.reduce((a, b) => (b.rmse < a.rmse ? b : a));
  const k = grid.indexOf(best);
  // Golden-section search on log f between the neighbours of the best grid point.
  let a = Math.log(grid[Math.max(0, k - 1)].focal), b = Math.log(grid[Math.min(steps - 1, k + 1)].focal);
  const phi = (Math.sqrt(5) - 1) / 2;
  let x1 = b - phi * (b - a), x2 = a + phi * (b - a);
  let c1 = evaluate(Math.exp(x1), best), c2 = evaluate(Math.exp(x2), best);
  curve.push({ focal: c1.focal, rmse: c1.rmse }, { focal: c2.focal, rmse: c2.rmse });
  for (let it = 0; it < (options.refineIterations ?? 10); it++) {
    if (c1.rmse < c2.rmse) {
      b = x2, x2 = x1, c2 = c1;
      x1 = b - phi * (b - a);
      c1 = evaluate(Math.exp(x1), c2);
      curve.push({ focal: c1.focal, rmse: c1.rmse });
    } else {
      a = x1, x1 = x2, c1 = c2;
      x2 = a + phi * (b - a);
      c2 = evaluate(Math.exp(x2), c1);
      curve.push({ focal: c2.focal, rmse: c2.rmse });
    }
  }
  for (const c of [c1, c2]) if (c.rmse < best.rmse) best = c;
  return { focal: best.focal, shape: best.shape, curve, frames: used };
}

/** Indices of at most `max` frames evenly spread over `n`. */
function spread(n: number, max: number): number[] {
  return n <= max
    ? Array.from({ length: n }, (_, i) => i)
    : Array.from({ length: max }, (_, k) => Math.round((k * (n - 1)) / Math.max(1, max - 1)));
}

interface Settings {
  readonly rounds: number;
  readonly prior: ArrayLike<number>;
  readonly weights: ArrayLike<number>;
  readonly sigma: number;
}

/** Alternates pose fits and shape refinement at one focal length, optionally warm-started. */
function alternate(
  lms: readonly ArrayLike<number>[],
  cam: PinholeCamera,
  o: Settings,
  start?: Candidate,
): Candidate {
  let shape: Float64Array = start ? Float64Array.from(start.shape) : Float64Array.from(o.prior);
  const scale = start ? cam.focal / start.focal : 1;
  let poses: PoseFit[] | undefined = start?.poses.map((p) => ({
    ...p,
    trans: [p.trans[0] * scale, p.trans[1] * scale, p.trans[2] * scale],
  }));
  let rmse = Infinity;
  for (let r = 0; r < o.rounds; r++) {
    let prev: PoseFit | undefined;
    const next: PoseFit[] = lms.map((l, k) => {
      const fit = fitPose(l, cam, {
        model: shape,
        weights: o.weights,
        init: poses?.[k] ?? prev,
        iterations: 20,
      });
      prev = fit;
      return fit;
    });
    poses = next;
    rmse = next.reduce((a, p) => a + p.rmse, 0) / next.length;
    if (r < o.rounds - 1) {
      shape = refineShape(lms, next, cam, o.prior, { sigma: o.sigma, weights: o.weights });
    }
  }
  return { focal: cam.focal, rmse, shape, poses: poses! };
}

/**
 * The person's shape at a known focal length: the alternation of {@linkcode searchFocal} for one
 * candidate (from the template, `rounds` times 2 for want of a warm start).
 * @param landmarks Per frame, 68 x 2 pixel coordinates.
 * @param camera Focal length and principal point.
 * @param options Frames, rounds, model, weights, prior sigma (as for searchFocal; range unused).
 * @returns The adapted shape and the mean reprojection RMSE.
 */
export function fitShapeAtFocal(
  landmarks: readonly ArrayLike<number>[],
  camera: PinholeCamera,
  options: Partial<FocalSearchOptions> = {},
): { shape: Float64Array; rmse: number } {
  if (landmarks.length === 0) {
    throw new Error("focal_search.ts: landmarks is empty: expected at least one frame");
  }
  const used = spread(landmarks.length, Math.max(1, options.maxFrames ?? 40));
  const c = alternate(used.map((i) => landmarks[i]), camera, {
    rounds: 2 * Math.max(1, options.rounds ?? 6),
    prior: options.model ?? MEAN_FACE_68,
    weights: options.weights ?? RIGID_WEIGHTS_68,
    sigma: options.shapeSigma ?? 1,
  });
  return { shape: c.shape, rmse: c.rmse };
}
