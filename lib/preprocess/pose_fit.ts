/**
 * Head pose from 2-D landmarks: the rotation and translation that carry a 3-D landmark model into the
 * camera so that its perspective projection lands on the detected points, by robust Levenberg-Marquardt.
 * @module
 */
import { matrixToEuler } from "../camera/euler.ts";
import { expSO3, identity3, type Mat3, mul3, solveSpd } from "./rotation.ts";
import { MEAN_FACE_68 } from "./template.ts";

/** Pinhole camera of the pose fit, in the pixel convention of lib/camera. */
export interface PinholeCamera {
  /** Focal length in pixels. */
  readonly focal: number;
  /** Principal point x (pixels; pixel centres at +0.5). */
  readonly cx: number;
  /** Principal point y (pixels, measured downwards). */
  readonly cy: number;
}

/** A fitted head pose. */
export interface PoseFit {
  /** Rotation R (row-major 3x3): camera point = R X + t. */
  readonly rotation: Mat3;
  /** Euler angles of R (radians, R = Rx(a) Ry(b) Rz(c), lib/camera convention). */
  readonly euler: [number, number, number];
  /** Translation t (model units). */
  readonly trans: [number, number, number];
  /** Root mean square reprojection error over the points used, pixels. */
  readonly rmse: number;
  /** Mean Huber cost per point (pixels^2). */
  readonly cost: number;
  /** Levenberg-Marquardt iterations run. */
  readonly iterations: number;
}

/** Options of {@linkcode fitPose}. */
export interface PoseFitOptions {
  /** 3-D model, n x 3 points (same count and order as the landmarks). @default {MEAN_FACE_68} */
  readonly model?: ArrayLike<number>;
  /** Starting pose, e.g. the previous frame's; default: a frontal guess from the landmarks' spread. */
  readonly init?: { readonly rotation: ArrayLike<number>; readonly trans: readonly number[] };
  /** Huber threshold delta in pixels: residuals longer than delta count linearly. @default {2} */
  readonly huberDelta?: number;
  /** Maximum Levenberg-Marquardt iterations. @default {50} */
  readonly iterations?: number;
  /** Per-point weights (0 drops a point). @default all 1 */
  readonly weights?: ArrayLike<number>;
}

/**
 * Projects model points with a pose: p = R X + t (camera frame, x right, y up, looking along -z), then
 * u = cx + f p_x / (-p_z), v = cy - f p_y / (-p_z), as `projectPoints` of lib/camera does.
 * @param model n x 3 points.
 * @param pose Rotation (row-major 3x3) and translation.
 * @param camera Focal length and principal point.
 * @returns n x 2 pixel coordinates.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { projectModel } from "./pose_fit.ts";
 * const uv = projectModel([0.1, 0.2, 0], { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], trans: [0, 0, -2] },
 *   { focal: 100, cx: 50, cy: 50 });
 * assertAlmostEquals(uv[0], 55, 1e-9); // 50 + 100 * 0.1 / 2
 * assertAlmostEquals(uv[1], 40, 1e-9); // 50 - 100 * 0.2 / 2
 * ```
 */
export function projectModel(
  model: ArrayLike<number>,
  pose: { readonly rotation: ArrayLike<number>; readonly trans: readonly number[] },
  camera: PinholeCamera,
): Float64Array {
  const n = model.length / 3;
  const out = new Float64Array(2 * n);
  const R = pose.rotation, t = pose.trans;
  for (let i = 0; i < n; i++) {
    const X = model[3 * i], Y = model[3 * i + 1], Z = model[3 * i + 2];
    const px = R[0] * X + R[1] * Y + R[2] * Z + t[0];
    const py = R[3] * X + R[4] * Y + R[5] * Z + t[1];
    const pz = R[6] * X + R[7] * Y + R[8] * Z + t[2];
    out[2 * i] = camera.cx + camera.focal * px / -pz;
    out[2 * i + 1] = camera.cy - camera.focal * py / -pz;
  }
  return out;
}

/** Sums of the robust reprojection error of one view, from {@linkcode huberReprojection}. */
export interface ReprojectionSums {
  /** sum_i w_i huber_delta(e_i), e_i the pixel distance of point i. */
  readonly cost: number;
  /** sum_i w_i e_i^2. */
  readonly sq: number;
  /** sum_i w_i over the points with w_i > 0. */
  readonly wsum: number;
}

/**
 * The Huber-weighted reprojection error of 3-D points seen by a camera at [R | t] (points in front of it
 * have z < 0, NeRF's OpenGL convention), shared by the pose fit and the bundle adjustment:
 * e_i = |(cx + f x_i / -z_i, cy - f y_i / -z_i) - l_i|, huber(e) = e^2 / 2 for e <= delta, else
 * delta (e - delta / 2).
 * @param R Rotation, row-major 3x3.
 * @param t Translation.
 * @param points n x 3 points.
 * @param landmarks n x 2 pixel positions.
 * @param weights Per-point weights (points with w <= 0 are left out), or null for all 1.
 * @param camera Focal length and principal point.
 * @param delta Huber threshold, pixels.
 * @returns The sums, or null when a weighted point is not in front of the camera.
 */
export function huberReprojection(
  R: ArrayLike<number>,
  t: ArrayLike<number>,
  points: ArrayLike<number>,
  landmarks: ArrayLike<number>,
  weights: ArrayLike<number> | null,
  camera: PinholeCamera,
  delta: number,
): ReprojectionSums | null {
  const { focal: f, cx, cy } = camera;
  let cost = 0, sq = 0, wsum = 0;
  for (let i = 0; i < landmarks.length / 2; i++) {
    const wi = weights ? weights[i] : 1;
    if (!(wi > 0)) continue;
    const X = points[3 * i], Y = points[3 * i + 1], Z = points[3 * i + 2];
    const px = R[0] * X + R[1] * Y + R[2] * Z + t[0];
    const py = R[3] * X + R[4] * Y + R[5] * Z + t[1];
    const pz = R[6] * X + R[7] * Y + R[8] * Z + t[2];
    if (!(pz < 0)) return null;
    const e = Math.hypot(cx + f * px / -pz - landmarks[2 * i], cy - f * py / -pz - landmarks[2 * i + 1]);
    cost += wi * (e <= delta ? e * e / 2 : delta * (e - delta / 2));
    sq += wi * e * e;
    wsum += wi;
  }
  return { cost, sq, wsum };
}

function checkInputs(landmarks: ArrayLike<number>, model: ArrayLike<number>, camera: PinholeCamera): number {
  const n = model.length / 3;
  if (!Number.isInteger(n) || n < 4) {
    throw new Error(`pose_fit.ts: model must be n x 3 points with n >= 4: got ${model.length} numbers`);
  }
  if (landmarks.length !== 2 * n) {
    throw new Error(
      `pose_fit.ts: landmarks must hold ${
        2 * n
      } numbers (${n} points as x, y) to match the model: got ${landmarks.length}`,
    );
  }
  for (let k = 0; k < landmarks.length; k++) {
    if (!Number.isFinite(landmarks[k])) {
      throw new Error(`pose_fit.ts: landmarks[${k}] is ${landmarks[k]}: expected finite pixel coordinates`);
    }
  }
  if (!(camera.focal > 0) || !Number.isFinite(camera.cx) || !Number.isFinite(camera.cy)) {
    throw new Error(
      `pose_fit.ts: camera needs focal > 0 and finite cx, cy: got ${camera.focal}, ${camera.cx}, ${camera.cy}`,
    );
  }
  return n;
}

/**
 * A frontal starting pose: no rotation, depth from the ratio of the model's spread to the landmarks'
 * spread (z = -f s_model / s_image), x and y from back-projecting the landmarks' centroid.
 */
export function initialPose(
  landmarks: ArrayLike<number>,
  model: ArrayLike<number>,
  camera: PinholeCamera,
): { rotation: Mat3; trans: [number, number, number] } {
  const n = model.length / 3;
  let mu = 0, mv = 0, mx = 0, my = 0, mz = 0;
  for (let i = 0; i < n; i++) {
    mu += landmarks[2 * i] / n, mv += landmarks[2 * i + 1] / n;
    mx += model[3 * i] / n, my += model[3 * i + 1] / n, mz += model[3 * i + 2] / n;
  }
  let si = 0, sm = 0;
  for (let i = 0; i < n; i++) {
    si += (landmarks[2 * i] - mu) ** 2 + (landmarks[2 * i + 1] - mv) ** 2;
    sm += (model[3 * i] - mx) ** 2 + (model[3 * i + 1] - my) ** 2;
  }
  const depth = camera.focal * Math.sqrt(sm / Math.max(si, 1e-12));
  const zc = -depth; // depth of the model's centroid
  const xc = (mu - camera.cx) * depth / camera.focal;
  const yc = -(mv - camera.cy) * depth / camera.focal;
  return { rotation: identity3(), trans: [xc - mx, yc - my, zc - mz] };
}

/**
 * Fits a head pose to 2-D landmarks: minimises sum_i w_i rho(|pi(R X_i + t) - l_i|) over R and t, with
 * pi the pinhole projection of {@linkcode projectModel} and rho the Huber function (rho(e) = e^2 / 2
 * for e <= delta, delta (e - delta / 2) beyond), by Levenberg-Marquardt on iteratively reweighted
 * least squares (IRLS weight min(1, delta / e) per point). Rotation updates are left-multiplied,
 * R <- exp([w]x) R, so the 6 parameters (w, t) have the analytic Jacobian
 * d p / d w = -[R X]x, d p / d t = I, and
 * d u / d p = (-f / p_z, 0, f p_x / p_z^2), d v / d p = (0, f / p_z, -f p_y / p_z^2).
 * Without `init`, starts from {@linkcode initialPose} and also from that pose turned by +-25 degrees
 * about y (yaw), keeping the best, so a face turned aside does not converge to its mirror pose.
 * @param landmarks n x 2 pixel coordinates (e.g. 68 face-api points).
 * @param camera Focal length and principal point in pixels.
 * @param options Model, starting pose, Huber delta, iterations, weights.
 * @returns The pose, its Euler angles and the reprojection error.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { fitPose, projectModel } from "./pose_fit.ts";
 * import { eulerToMatrix } from "../camera/euler.ts";
 * import { MEAN_FACE_68 } from "./template.ts";
 * const camera = { focal: 500, cx: 128, cy: 128 };
 * const truth = { rotation: eulerToMatrix([0.1, -0.2, 0.05]), trans: [0.1, -0.2, -8] };
 * const fit = fitPose(projectModel(MEAN_FACE_68, truth, camera), camera);
 * assertAlmostEquals(fit.euler[1], -0.2, 1e-6);
 * assertAlmostEquals(fit.trans[2], -8, 1e-5);
 * ```
 */
export function fitPose(
  landmarks: ArrayLike<number>,
  camera: PinholeCamera,
  options: PoseFitOptions = {},
): PoseFit {
  const model = options.model ?? MEAN_FACE_68;
  checkInputs(landmarks, model, camera);
  if (options.init) return refinePose(landmarks, camera, model, options.init, options);
  const base = initialPose(landmarks, model, camera);
  let best: PoseFit | undefined;
  for (const yaw of [0, 25, -25]) {
    const rotation = yaw === 0 ? base.rotation : expSO3([0, (yaw * Math.PI) / 180, 0]);
    const fit = refinePose(landmarks, camera, model, { rotation, trans: base.trans }, options);
    if (!best || fit.cost < best.cost - 1e-9) best = fit;
  }
  return best!;
}

function refinePose(
  landmarks: ArrayLike<number>,
  camera: PinholeCamera,
  model: ArrayLike<number>,
  init: { readonly rotation: ArrayLike<number>; readonly trans: readonly number[] },
  options: PoseFitOptions,
): PoseFit {
  const n = model.length / 3;
  const delta = options.huberDelta ?? 2;
  const maxIt = options.iterations ?? 50;
  const w0 = options.weights;
  if (w0 && w0.length !== n) {
    throw new Error(`pose_fit.ts: options.weights must hold ${n} numbers: got ${w0.length}`);
  }
  if (!(delta > 0)) throw new Error(`pose_fit.ts: options.huberDelta must be > 0: got ${delta}`);
  const { focal: f, cx, cy } = camera;
  let R: Mat3 = Float64Array.from(init.rotation);
  let t = [init.trans[0], init.trans[1], init.trans[2]];

  const evaluate = (Rm: ArrayLike<number>, tv: number[]) => {
    const r = huberReprojection(Rm, tv, model, landmarks, w0 ?? null, { focal: f, cx, cy }, delta);
    return r ? { cost: r.cost / r.wsum, rmse: Math.sqrt(r.sq / r.wsum) } : { cost: Infinity, rmse: Infinity };
  };

  let cur = evaluate(R, t);
  if (!Number.isFinite(cur.cost)) {
    throw new Error(
      `pose_fit.ts: the starting pose puts model points behind the camera (t = [${t}]): expected t_z < 0`,
    );
  }
  let lambda = 1e-3;
  let it = 0;
  let converged = false;
  const H = new Float64Array(36), g = new Float64Array(6);
  for (; it < maxIt && !converged; it++) {
    H.fill(0), g.fill(0);
    for (let i = 0; i < n; i++) {
      const wi = w0 ? w0[i] : 1;
      if (wi <= 0) continue;
      const X = model[3 * i], Y = model[3 * i + 1], Z = model[3 * i + 2];
      const rx = R[0] * X + R[1] * Y + R[2] * Z, ry = R[3] * X + R[4] * Y + R[5] * Z;
      const rz = R[6] * X + R[7] * Y + R[8] * Z;
      const px = rx + t[0], py = ry + t[1], pz = rz + t[2];
      const ru = cx + f * px / -pz - landmarks[2 * i];
      const rv = cy - f * py / -pz - landmarks[2 * i + 1];
      const e = Math.hypot(ru, rv);
      const w = wi * (e <= delta ? 1 : delta / e);
      // d(u, v) / d p
      const du = [-f / pz, 0, f * px / (pz * pz)];
      const dv = [0, f / pz, -f * py / (pz * pz)];
      // d p / d w = -[r]x (d (w x r) / d w), rows p_x, p_y, p_z.
      const dpw = [[0, rz, -ry], [-rz, 0, rx], [ry, -rx, 0]];
      const Ju = new Float64Array(6), Jv = new Float64Array(6);
      for (let k = 0; k < 3; k++) {
        Ju[k] = du[0] * dpw[0][k] + du[1] * dpw[1][k] + du[2] * dpw[2][k];
        Jv[k] = dv[0] * dpw[0][k] + dv[1] * dpw[1][k] + dv[2] * dpw[2][k];
        Ju[3 + k] = du[k];
        Jv[3 + k] = dv[k];
      }
      for (let a = 0; a < 6; a++) {
        g[a] += w * (Ju[a] * ru + Jv[a] * rv);
        for (let b = 0; b <= a; b++) H[a * 6 + b] += w * (Ju[a] * Ju[b] + Jv[a] * Jv[b]);
      }
    }
    for (let a = 0; a < 6; a++) for (let b = 0; b < a; b++) H[b * 6 + a] = H[a * 6 + b];
    let improved = false;
    for (let tries = 0; tries < 10; tries++) {
      const A = Float64Array.from(H);
      for (let a = 0; a < 6; a++) A[a * 6 + a] += lambda * (H[a * 6 + a] + 1e-9);
      const step = solveSpd(A, g.map((v) => -v), 6);
      if (!step) {
        lambda *= 10;
        continue;
      }
      const Rn = mul3(expSO3([step[0], step[1], step[2]]), R);
      const tn = [t[0] + step[3], t[1] + step[4], t[2] + step[5]];
      const next = evaluate(Rn, tn);
      if (next.cost < cur.cost) {
        const gain = cur.cost - next.cost;
        R = Rn, t = tn, cur = next;
        lambda = Math.max(lambda / 3, 1e-9);
        improved = true;
        if (gain <= 1e-10 * cur.cost || cur.cost < 1e-18) converged = true;
        break;
      }
      lambda *= 5;
    }
    if (!improved) break;
  }
  return {
    rotation: R,
    euler: matrixToEuler(R),
    trans: [t[0], t[1], t[2]],
    rmse: cur.rmse,
    cost: cur.cost,
    iterations: it,
  };
}
