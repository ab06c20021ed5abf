/**
 * Joint bundle adjustment of a face seen in many frames: every frame's head pose and one shared 3-D
 * landmark shape, fitted together to the 2-D landmarks at a given focal length by robust
 * Levenberg-Marquardt, with the shape kept mirror-symmetric and pulled towards a prior.
 * @module
 */
import { huberReprojection, type PinholeCamera } from "./pose_fit.ts";
import { expSO3, mul3, solveSpd, transpose3 } from "./rotation.ts";
import { applySimilarity, fitSimilarity, type RigidPose } from "./shape_fit.ts";
import { TEMPLATE_MIRROR_PAIRS, TEMPLATE_POINTS } from "./template.ts";

/** Options of {@linkcode bundleAdjust}. */
export interface BundleAdjustOptions {
  /** Prior shape, n x 3 (also the starting shape unless `shape` is given). */
  readonly prior: ArrayLike<number>;
  /** Starting shape, n x 3. @default {prior} */
  readonly shape?: ArrayLike<number>;
  /** Starting pose of every frame (e.g. per-frame fitPose results). */
  readonly poses: readonly RigidPose[];
  /** Per-point weights of the reprojection terms; 0 leaves a point out (it stays at the prior). */
  readonly weights: ArrayLike<number>;
  /** Prior scale sigma (model units): moving a point by sigma from the prior costs as much as a 1 px
   * residual in every frame. @default {1} */
  readonly sigma?: number;
  /** Huber threshold delta in pixels. @default {2} */
  readonly huberDelta?: number;
  /** Maximum Levenberg-Marquardt iterations. @default {60} */
  readonly iterations?: number;
  /** Keep the shape mirror-symmetric (68-point shapes only, pairs of TEMPLATE_MIRROR_PAIRS).
   * @default {true for 68 points} */
  readonly symmetric?: boolean;
}

/** Result of {@linkcode bundleAdjust}. */
export interface BundleAdjustment {
  /** The shared shape, n x 3, placed on the prior by the best similarity (see alignment below). */
  readonly shape: Float64Array;
  /** Per frame, the pose of that shape. */
  readonly poses: RigidPose[];
  /** Objective: the sum over frames and weighted points of w Huber(e), plus the prior term. */
  readonly cost: number;
  /** Root mean square reprojection error over all frames' weighted points, pixels. */
  readonly rmse: number;
  /** Levenberg-Marquardt iterations run. */
  readonly iterations: number;
  /** The fitted shape is the prior's mirror image up to a similarity (its depth reversed), so it was
   * not moved onto the prior: a sign that the focal length or the data cannot support a shape. */
  readonly folded: boolean;
}

/** Which shape parameter drives each coordinate (-1: none, the coordinate is fixed), and its sign. */
interface Parametrization {
  readonly index: Int32Array;
  readonly sign: Float64Array;
  readonly count: number;
}

function parametrize(n: number, weights: ArrayLike<number>, symmetric: boolean): Parametrization {
  const index = new Int32Array(3 * n).fill(-1), sign = new Float64Array(3 * n).fill(1);
  let count = 0;
  const used = (j: number) => weights[j] > 0;
  if (symmetric) {
    const paired = new Set<number>();
    for (const [r, l] of TEMPLATE_MIRROR_PAIRS) {
      paired.add(r).add(l);
      if (!used(r) && !used(l)) continue;
      // One (x, y, z) for both: the left point is the right one mirrored, x -> -x.
      for (let c = 0; c < 3; c++) index[3 * r + c] = index[3 * l + c] = count++;
      sign[3 * l] = -1;
    }
    for (let j = 0; j < n; j++) {
      if (paired.has(j) || !used(j)) continue;
      index[3 * j + 1] = count++, index[3 * j + 2] = count++; // midline: x stays 0
    }
  } else {
    for (let j = 0; j < n; j++) if (used(j)) { for (let c = 0; c < 3; c++) index[3 * j + c] = count++; }
  }
  return { index, sign, count };
}

/**
 * Fits all frames' poses (R_i, t_i) and one shape X (n x 3) to landmarks l_ij at a fixed camera:
 * minimises E = sum_i sum_j w_j rho(|pi(R_i X_j + t_i) - l_ij|) + F / (2 sigma^2) sum_j |X_j - P_j|^2
 * (F frames, P the prior, rho the Huber function with rho(e) = e^2 / 2 up to delta, pi the pinhole
 * projection of projectModel). Levenberg-Marquardt on iteratively reweighted least squares, with the
 * analytic Jacobians of fitPose for the poses (R <- exp([w]x) R, t <- t + dt) and
 * d pi / d X_j = d pi / d p R_i for the shape; the normal equations are reduced to the shape by the
 * Schur complement of the 6 x 6 pose blocks (Triggs et al., "Bundle adjustment: a modern synthesis",
 * 2000, sec. 6.1), so a step costs O(F P^2) for P shape parameters. A symmetric shape has one (x, y, z)
 * per mirror pair and (y, z) per midline point. The data term does not change under a similarity of
 * the shape undone by the poses, so at the end the shape is moved onto the prior by the similarity
 * that best aligns its fitted points (fitSimilarity) and the poses are changed to match: a scale s, rotation
 * Q and shift c give R' = R Q^T, t' = s t - R Q^T c, the same projections.
 * @param landmarks Per frame, n x 2 pixel coordinates.
 * @param camera Focal length and principal point.
 * @param options Prior, starting poses, weights, prior sigma, Huber delta, iterations, symmetry.
 * @returns The shape, the poses, the objective and the RMSE.
 * @example
 * ```ts
 * import { assertLess } from "@std/assert";
 * import { bundleAdjust } from "./bundle_adjust.ts";
 * import { projectModel } from "./pose_fit.ts";
 * import { expSO3 } from "./rotation.ts";
 * import { MEAN_FACE_68 } from "./template.ts";
 * const face = MEAN_FACE_68.map((v, k) => (k % 3 === 2 ? 1.2 * v : v)); // a deeper face
 * const camera = { focal: 500, cx: 64, cy: 64 };
 * const truth = [-0.3, 0, 0.3].map((yaw) => ({ rotation: expSO3([0.1, yaw, 0]), trans: [0, 0, -10] }));
 * const lms = truth.map((p) => projectModel(face, p, camera));
 * const start = truth.map(() => ({ rotation: expSO3([0, 0, 0]), trans: [0, 0, -10] }));
 * const weights = new Float64Array(68).fill(1);
 * const ba = bundleAdjust(lms, camera, { prior: MEAN_FACE_68, poses: start, weights, sigma: 10 });
 * assertLess(ba.rmse, 0.01); // pixels: the deeper face is found
 * ```
 */
export function bundleAdjust(
  landmarks: readonly ArrayLike<number>[],
  camera: PinholeCamera,
  options: BundleAdjustOptions,
): BundleAdjustment {
  const prior = options.prior;
  const n = prior.length / 3;
  const F = landmarks.length;
  if (!Number.isInteger(n) || n < 4) {
    throw new Error(
      `bundle_adjust.ts: options.prior must be n x 3 points, n >= 4: got ${prior.length} numbers`,
    );
  }
  if (F === 0 || options.poses.length !== F) {
    throw new Error(
      `bundle_adjust.ts: landmarks and options.poses must be non-empty and of one length: got ${F}, ${options.poses.length}`,
    );
  }
  for (const l of landmarks) {
    if (l.length !== 2 * n) {
      throw new Error(`bundle_adjust.ts: each frame's landmarks must hold ${2 * n} numbers: got ${l.length}`);
    }
  }
  const weights = options.weights;
  if (weights.length !== n) {
    throw new Error(`bundle_adjust.ts: options.weights must hold ${n} numbers: got ${weights.length}`);
  }
  const sigma = options.sigma ?? 1;
  const delta = options.huberDelta ?? 2;
  const maxIt = options.iterations ?? 60;
  const symmetric = options.symmetric ?? n === TEMPLATE_POINTS;
  if (symmetric && n !== TEMPLATE_POINTS) {
    throw new Error(`bundle_adjust.ts: options.symmetric needs ${TEMPLATE_POINTS} points: got ${n}`);
  }
  const par = parametrize(n, weights, symmetric);
  const P = par.count;
  const { focal: f, cx, cy } = camera;
  const precision = F / (sigma * sigma);

  // Shape parameters from the starting shape (a mirror pair takes the mean of the point and its mirror).
  const theta = new Float64Array(P), thetaPrior = new Float64Array(P), hits = new Float64Array(P);
  const start = options.shape ?? prior;
  for (let k = 0; k < 3 * n; k++) {
    const p = par.index[k];
    if (p < 0) continue;
    theta[p] += par.sign[k] * start[k], thetaPrior[p] += par.sign[k] * prior[k], hits[p]++;
  }
  for (let p = 0; p < P; p++) theta[p] /= hits[p], thetaPrior[p] /= hits[p];
  const shapeOf = (th: ArrayLike<number>) => {
    const X = Float64Array.from(prior);
    for (let k = 0; k < 3 * n; k++) if (par.index[k] >= 0) X[k] = par.sign[k] * th[par.index[k]];
    return X;
  };

  let R = options.poses.map((p) => Float64Array.from(p.rotation));
  let t = options.poses.map((p) => [p.trans[0], p.trans[1], p.trans[2]]);
  let X = shapeOf(theta);

  // The prior term, on the parameters: each coordinate it drives counts once.
  const priorCost = (th: ArrayLike<number>) => {
    let s = 0;
    for (let p = 0; p < P; p++) s += hits[p] * (th[p] - thetaPrior[p]) ** 2;
    return (precision / 2) * s;
  };
  const evaluate = (
    Rs: ArrayLike<number>[],
    ts: number[][],
    Xs: ArrayLike<number>,
    th: ArrayLike<number>,
  ) => {
    let cost = 0, sq = 0, wsum = 0;
    for (let i = 0; i < F; i++) {
      const r = huberReprojection(Rs[i], ts[i], Xs, landmarks[i], weights, { focal: f, cx, cy }, delta);
      if (!r) return { cost: Infinity, rmse: Infinity };
      cost += r.cost, sq += r.sq, wsum += r.wsum;
    }
    return { cost: cost + priorCost(th), rmse: Math.sqrt(sq / Math.max(wsum, 1e-300)) };
  };

  let cur = evaluate(R, t, X, theta);
  if (!Number.isFinite(cur.cost)) {
    throw new Error(
      "bundle_adjust.ts: a starting pose puts model points behind the camera: expected t_z < 0",
    );
  }
  // Normal-equation blocks: per frame A_i (6 x 6), B_i (6 x P), g_i (6); shared C (P x P), h (P).
  const A = Array.from({ length: F }, () => new Float64Array(36));
  const B = Array.from({ length: F }, () => new Float64Array(6 * P));
  const g = Array.from({ length: F }, () => new Float64Array(6));
  const C = new Float64Array(P * P), h = new Float64Array(P);
  const Ju = new Float64Array(6),
    Jv = new Float64Array(6),
    Su = new Float64Array(3),
    Sv = new Float64Array(3);
  const pj = new Int32Array(3), sj = new Float64Array(3);
  let lambda = 1e-3;
  let it = 0;
  for (let done = false; it < maxIt && !done; it++) {
    C.fill(0), h.fill(0);
    for (let p = 0; p < P; p++) {
      C[p * P + p] = precision * hits[p];
      h[p] = precision * hits[p] * (theta[p] - thetaPrior[p]);
    }
    for (let i = 0; i < F; i++) {
      const Ri = R[i], ti = t[i], l = landmarks[i], Ai = A[i], Bi = B[i], gi = g[i];
      Ai.fill(0), Bi.fill(0), gi.fill(0);
      for (let j = 0; j < n; j++) {
        const wj = weights[j];
        if (!(wj > 0)) continue;
        const x = X[3 * j], y = X[3 * j + 1], z = X[3 * j + 2];
        const rx = Ri[0] * x + Ri[1] * y + Ri[2] * z, ry = Ri[3] * x + Ri[4] * y + Ri[5] * z;
        const rz = Ri[6] * x + Ri[7] * y + Ri[8] * z;
        const px = rx + ti[0], py = ry + ti[1], pz = rz + ti[2];
        const ru = cx + f * px / -pz - l[2 * j], rv = cy - f * py / -pz - l[2 * j + 1];
        const e = Math.hypot(ru, rv);
        const w = wj * (e <= delta ? 1 : delta / e);
        // d(u, v) / d p, as in fitPose.
        const du0 = -f / pz, du2 = f * px / (pz * pz), dv1 = f / pz, dv2 = -f * py / (pz * pz);
        // Pose: d p / d w = -[r]x, d p / d t = I.
        Ju[0] = du2 * ry, Ju[1] = du0 * rz - du2 * rx, Ju[2] = -du0 * ry;
        Jv[0] = -dv1 * rz + dv2 * ry, Jv[1] = -dv2 * rx, Jv[2] = dv1 * rx;
        Ju[3] = du0, Ju[4] = 0, Ju[5] = du2;
        Jv[3] = 0, Jv[4] = dv1, Jv[5] = dv2;
        // Shape: d p / d X = R.
        for (let c = 0; c < 3; c++) {
          Su[c] = du0 * Ri[c] + du2 * Ri[6 + c];
          Sv[c] = dv1 * Ri[3 + c] + dv2 * Ri[6 + c];
          pj[c] = par.index[3 * j + c], sj[c] = par.sign[3 * j + c];
        }
        for (let a = 0; a < 6; a++) {
          gi[a] += w * (Ju[a] * ru + Jv[a] * rv);
          for (let b = 0; b <= a; b++) Ai[a * 6 + b] += w * (Ju[a] * Ju[b] + Jv[a] * Jv[b]);
        }
        for (let c = 0; c < 3; c++) {
          const p = pj[c];
          if (p < 0) continue;
          const su = sj[c] * Su[c], sv = sj[c] * Sv[c];
          h[p] += w * (su * ru + sv * rv);
          for (let a = 0; a < 6; a++) Bi[a * P + p] += w * (Ju[a] * su + Jv[a] * sv);
          for (let d = 0; d < 3; d++) {
            const q = pj[d];
            if (q < 0) continue;
            C[p * P + q] += w * (su * sj[d] * Su[d] + sv * sj[d] * Sv[d]);
          }
        }
      }
      for (let a = 0; a < 6; a++) for (let b = 0; b < a; b++) Ai[b * 6 + a] = Ai[a * 6 + b];
    }
    let improved = false;
    for (let tries = 0; tries < 10 && !improved; tries++) {
      const step = solveDamped(A, B, g, C, h, lambda, P);
      if (!step) {
        lambda *= 10;
        continue;
      }
      const Rn = R.map((Ri, i) => mul3(expSO3(step.poses[i].subarray(0, 3)), Ri));
      const tn = t.map((ti, i) => [0, 1, 2].map((k) => ti[k] + step.poses[i][3 + k]));
      const thn = theta.map((v, p) => v + step.shape[p]);
      const Xn = shapeOf(thn);
      const next = evaluate(Rn, tn, Xn, thn);
      if (next.cost < cur.cost) {
        const gain = cur.cost - next.cost;
        R = Rn, t = tn, theta.set(thn), X = Xn, cur = next;
        lambda = Math.max(lambda / 3, 1e-9);
        improved = true;
        if (gain <= 1e-10 * cur.cost) done = true;
      } else lambda *= 5;
    }
    if (!improved) break;
  }
  // Move the shape onto the prior (its fitted points) and the poses with it. A similarity of negative
  // scale would put the points behind the camera: a shape folded into the prior's mirror image (depth
  // reversed, which the images may not rule out when the head barely turns) keeps its own placement.
  const fitted = Array.from({ length: n }, (_, j) => j).filter((j) => weights[j] > 0);
  const pick = (s: ArrayLike<number>) =>
    Float64Array.from(fitted.flatMap((j) => [0, 1, 2].map((c) => s[3 * j + c])));
  const sim = fitSimilarity(pick(X), pick(prior));
  const folded = !(sim.scale > 0);
  const moved = folded ? X : applySimilarity(X, sim);
  const shape = Float64Array.from(prior);
  for (const j of fitted) shape.set(moved.subarray(3 * j, 3 * j + 3), 3 * j);
  const Qt = transpose3(sim.rotation), c = sim.shift;
  const poses = R.map((Ri, i) => {
    if (folded) return { rotation: Ri, trans: t[i] };
    const RQt = mul3(Ri, Qt);
    return {
      rotation: RQt,
      trans: [0, 1, 2].map((a) =>
        sim.scale * t[i][a] - (RQt[3 * a] * c[0] + RQt[3 * a + 1] * c[1] + RQt[3 * a + 2] * c[2])
      ),
    };
  });
  return { shape, poses, cost: cur.cost, rmse: cur.rmse, iterations: it, folded };
}

/**
 * One damped Gauss-Newton step of the bundle: solves [A + lambda D_A, B; B^T, C + lambda D_C] [dp; ds]
 * = -[g; h] with D the diagonals, via ds = S^-1 (-h + sum_i B_i^T A_i^-1 g_i), S = C - sum_i B_i^T
 * A_i^-1 B_i, and dp_i = A_i^-1 (-g_i - B_i ds).
 */
function solveDamped(
  A: readonly Float64Array[],
  B: readonly Float64Array[],
  g: readonly Float64Array[],
  C: Float64Array,
  h: Float64Array,
  lambda: number,
  P: number,
): { poses: Float64Array[]; shape: Float64Array } | undefined {
  const S = Float64Array.from(C);
  for (let p = 0; p < P; p++) S[p * P + p] += lambda * (C[p * P + p] + 1e-9);
  const r = h.map((v) => -v);
  const inv: Float64Array[] = [];
  const AiB = new Float64Array(6 * P);
  for (let i = 0; i < A.length; i++) {
    const Ad = Float64Array.from(A[i]);
    for (let a = 0; a < 6; a++) Ad[a * 6 + a] += lambda * (A[i][a * 6 + a] + 1e-9);
    const Ainv = invertSpd6(Ad);
    if (!Ainv) return undefined;
    inv.push(Ainv);
    const Bi = B[i], gi = g[i];
    // AiB = A_i^-1 B_i (6 x P)
    for (let a = 0; a < 6; a++) {
      for (let p = 0; p < P; p++) {
        let s = 0;
        for (let b = 0; b < 6; b++) s += Ainv[a * 6 + b] * Bi[b * P + p];
        AiB[a * P + p] = s;
      }
    }
    const Aig = new Float64Array(6);
    for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) Aig[a] += Ainv[a * 6 + b] * gi[b];
    for (let p = 0; p < P; p++) {
      for (let a = 0; a < 6; a++) r[p] += Bi[a * P + p] * Aig[a];
      for (let q = 0; q <= p; q++) {
        let s = 0;
        for (let a = 0; a < 6; a++) s += Bi[a * P + p] * AiB[a * P + q];
        S[p * P + q] -= s;
      }
    }
  }
  for (let p = 0; p < P; p++) for (let q = 0; q < p; q++) S[q * P + p] = S[p * P + q];
  const shape = P > 0 ? solveSpd(S, r, P) : new Float64Array(0);
  if (!shape) return undefined;
  const poses = A.map((_, i) => {
    const rhs = new Float64Array(6);
    for (let a = 0; a < 6; a++) {
      let s = -g[i][a];
      for (let p = 0; p < P; p++) s -= B[i][a * P + p] * shape[p];
      rhs[a] = s;
    }
    const d = new Float64Array(6);
    for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) d[a] += inv[i][a * 6 + b] * rhs[b];
    return d;
  });
  return { poses, shape };
}

/** Inverse of a symmetric positive definite 6 x 6 matrix (column by column through solveSpd). */
function invertSpd6(a: Float64Array): Float64Array | undefined {
  const out = new Float64Array(36);
  for (let c = 0; c < 6; c++) {
    const e = new Float64Array(6);
    e[c] = 1;
    const x = solveSpd(a, e, 6);
    if (!x) return undefined;
    for (let r = 0; r < 6; r++) out[r * 6 + c] = x[r];
  }
  return out;
}
