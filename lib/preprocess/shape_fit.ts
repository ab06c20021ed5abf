/**
 * Adapting the generic mean face to one person: the 3-D landmark shape shared by all frames of a video,
 * estimated from the 2-D landmarks and the per-frame poses (the structure half of a bundle adjustment,
 * with a prior that keeps it near the template). A face-tracker would fit identity coefficients of a
 * morphable model here; with 68 points a direct per-point update with a symmetry constraint suffices.
 * @module
 */
import { type Mat3, mul3, nearestRotation, solveSpd, transpose3 } from "./rotation.ts";
import type { PinholeCamera } from "./pose_fit.ts";
import { symmetrizeShape } from "./template.ts";

/** A pose as used here: camera point = R X + t. */
export interface RigidPose {
  readonly rotation: ArrayLike<number>;
  readonly trans: readonly number[];
}

/** Options of {@linkcode refineShape}. */
export interface RefineShapeOptions {
  /** Prior scale sigma (model units): moving a point by sigma from the prior costs as much as a 1 px
   * residual in every frame. @default {0.1} (1 cm in decimetres) */
  readonly sigma?: number;
  /** Per-point weights of the reprojection terms (0 keeps the point at its prior). @default all 1 */
  readonly weights?: ArrayLike<number>;
  /** Gauss-Newton iterations per point. @default {3} */
  readonly iterations?: number;
}

/**
 * One structure update: each point X_j minimises
 * sum_i w_j |pi(R_i X_j + t_i) - l_ij|^2 + F |X_j - P_j|^2 / sigma^2 (F frames, P the prior shape) by
 * Gauss-Newton, then the shape is made mirror-symmetric ({@linkcode symmetrizeShape}) and mapped back
 * onto the prior's position, orientation and size by the similarity that best aligns it to the prior
 * ({@linkcode alignSimilarity}): scale and rigid placement are not observable from the images (they
 * trade against the poses' translation and rotation), so they stay those of the prior.
 * @param landmarks Per frame, n x 2 pixel coordinates.
 * @param poses Per frame, the pose of the current shape.
 * @param camera Pinhole camera.
 * @param prior Prior shape, n x 3 (e.g. MEAN_FACE_68).
 * @param options Prior strength, weights, iterations.
 * @returns The refined shape, n x 3.
 */
export function refineShape(
  landmarks: readonly ArrayLike<number>[],
  poses: readonly RigidPose[],
  camera: PinholeCamera,
  prior: ArrayLike<number>,
  options: RefineShapeOptions = {},
): Float64Array {
  const n = prior.length / 3;
  const F = landmarks.length;
  if (poses.length !== F || F === 0) {
    throw new Error(
      `shape_fit.ts: landmarks and poses must be non-empty and of one length: got ${F}, ${poses.length}`,
    );
  }
  const sigma = options.sigma ?? 0.1;
  const iters = options.iterations ?? 3;
  const prec = F / (sigma * sigma);
  const { focal: f, cx, cy } = camera;
  const out = Float64Array.from(prior);
  const H = new Float64Array(9), g = new Float64Array(3);
  for (let j = 0; j < n; j++) {
    const wj = options.weights ? options.weights[j] : 1;
    if (wj <= 0) continue;
    const X = [prior[3 * j], prior[3 * j + 1], prior[3 * j + 2]];
    for (let it = 0; it < iters; it++) {
      H.fill(0), g.fill(0);
      for (let k = 0; k < 3; k++) {
        H[k * 4] += prec;
        g[k] += prec * (X[k] - prior[3 * j + k]);
      }
      for (let i = 0; i < F; i++) {
        const R = poses[i].rotation, t = poses[i].trans;
        const px = R[0] * X[0] + R[1] * X[1] + R[2] * X[2] + t[0];
        const py = R[3] * X[0] + R[4] * X[1] + R[5] * X[2] + t[1];
        const pz = R[6] * X[0] + R[7] * X[1] + R[8] * X[2] + t[2];
        if (!(pz < 0)) continue;
        const ru = cx - f * px / pz - landmarks[i][2 * j];
        const rv = cy + f * py / pz - landmarks[i][2 * j + 1];
        const du = [-f / pz, 0, f * px / (pz * pz)];
        const dv = [0, f / pz, -f * py / (pz * pz)];
        // d p / d X = R
        const Ju = [0, 1, 2].map((c) => du[0] * R[c] + du[1] * R[3 + c] + du[2] * R[6 + c]);
        const Jv = [0, 1, 2].map((c) => dv[0] * R[c] + dv[1] * R[3 + c] + dv[2] * R[6 + c]);
        for (let a = 0; a < 3; a++) {
          g[a] += wj * (Ju[a] * ru + Jv[a] * rv);
          for (let b = 0; b < 3; b++) H[a * 3 + b] += wj * (Ju[a] * Ju[b] + Jv[a] * Jv[b]);
        }
      }
      const step = solveSpd(H, g.map((v) => -v), 3);
      if (!step) break;
      for (let k = 0; k < 3; k++) X[k] += step[k];
    }
    out.set(X, 3 * j);
  }
  return alignSimilarity(symmetrizeShape(out), prior);
}

/** A similarity transform x -> s Q x + c. */
export interface Similarity {
  /** Scale s. */
  readonly scale: number;
  /** Rotation Q, row-major 3x3. */
  readonly rotation: Mat3;
  /** Translation c. */
  readonly shift: readonly [number, number, number];
}

/**
 * The similarity (scale s, rotation Q, translation c) that minimises sum_j |s Q source_j + c - target_j|^2
 * (Umeyama, "Least-squares estimation of transformation parameters between two point patterns", 1991:
 * Q from the polar factor of the cross-covariance Sigma, s = trace(Q^T Sigma) / var(source),
 * c = mean(target) - s Q mean(source)).
 * @param source n x 3 points.
 * @param target n x 3 points.
 * @returns The transform.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { fitSimilarity } from "./shape_fit.ts";
 * const target = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
 * const source = target.map((v, k) => 2 * v + (k % 3 === 0 ? 5 : 0)); // doubled and shifted
 * const t = fitSimilarity(source, target);
 * assertAlmostEquals(t.scale, 0.5, 1e-9);
 * assertAlmostEquals(t.shift[0], -2.5, 1e-9);
 * ```
 */
export function fitSimilarity(source: ArrayLike<number>, target: ArrayLike<number>): Similarity {
  const n = source.length / 3;
  const ms = [0, 0, 0], mt = [0, 0, 0];
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < 3; k++) ms[k] += source[3 * j + k] / n, mt[k] += target[3 * j + k] / n;
  }
  const S = new Float64Array(9); // cross-covariance sum (t - mt)(s - ms)^T
  let vs = 0;
  for (let j = 0; j < n; j++) {
    for (let a = 0; a < 3; a++) {
      const da = target[3 * j + a] - mt[a];
      for (let b = 0; b < 3; b++) S[a * 3 + b] += da * (source[3 * j + b] - ms[b]);
      vs += (source[3 * j + a] - ms[a]) ** 2;
    }
  }
  const Q = nearestRotation(S);
  const QtS = mul3(transpose3(Q), S);
  const s = (QtS[0] + QtS[4] + QtS[8]) / vs;
  const c = [0, 1, 2].map((a) =>
    mt[a] - s * (Q[a * 3] * ms[0] + Q[a * 3 + 1] * ms[1] + Q[a * 3 + 2] * ms[2])
  );
  return { scale: s, rotation: Q, shift: [c[0], c[1], c[2]] };
}

/**
 * Points moved by a similarity: s Q x + c for each.
 * @param points n x 3 points.
 * @param t The similarity.
 * @returns n x 3 points.
 */
export function applySimilarity(points: ArrayLike<number>, t: Similarity): Float64Array {
  const out = new Float64Array(points.length);
  const Q = t.rotation;
  for (let j = 0; j < points.length / 3; j++) {
    const x = points[3 * j], y = points[3 * j + 1], z = points[3 * j + 2];
    for (let a = 0; a < 3; a++) {
      out[3 * j + a] = t.scale * (Q[a * 3] * x + Q[a * 3 + 1] * y + Q[a * 3 + 2] * z) + t.shift[a];
    }
  }
  return out;
}

/**
 * The shape `source` moved by the similarity that best aligns it onto `target` ({@linkcode fitSimilarity}).
 * @param source n x 3 points.
 * @param target n x 3 points.
 * @returns source aligned onto target, n x 3.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { alignSimilarity } from "./shape_fit.ts";
 * const target = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
 * const source = target.map((v, k) => 2 * v + (k % 3 === 0 ? 5 : 0)); // doubled and shifted
 * const a = alignSimilarity(source, target);
 * assertAlmostEquals(a[3], 1, 1e-9);
 * ```
 */
export function alignSimilarity(source: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  return applySimilarity(source, fitSimilarity(source, target));
}
