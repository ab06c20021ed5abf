/**
 * How much of the torso's motion the current head pose predicts: a least-squares regression on linear
 * and squared pose terms, fitted on training frames and scored on held-out frames. The number says how
 * far a model that sees only the current head pose (SSP-NeRF's torso deformation) can explain the torso.
 * @module
 */
import { applyPose, type RigidPose, type Vec3 } from "./rigid.ts";

/** Torso points whose camera-frame positions stand for the torso's motion (torso coordinates, scene
 * units): the two shoulders and the middle of the chest. */
export const TORSO_REFERENCE_POINTS: readonly Vec3[] = [[1.2, -0.4, 0], [-1.2, -0.4, 0], [0, -1.2, 0.6]];

/** A held-out fit's score. */
export interface HeldOutFit {
  /** Variance-weighted R^2 over the targets: 1 - sum_k SSE_k / sum_k SST_k on the held-out rows, SST_k
   * about the held-out mean of target k. 1: perfect; 0: no better than the held-out mean; can be < 0. */
  readonly r2: number;
  /** R^2 of each target on the held-out rows. */
  readonly perTarget: number[];
  /** The same score with SST about the training mean (the motion about the average training pose, which
   * is what a model has to reproduce; less harsh than `r2` when the held-out rows span a short time). */
  readonly r2AboutTrainMean: number;
  /** Sums over targets and held-out rows of the squared errors and of the squares about the held-out mean. */
  readonly sse: number;
  readonly sst: number;
}

/**
 * The regression features of a head pose: its 6 numbers (euler, trans) and their squares, 12 in all
 * (a constant is added by the fit).
 * @param p Head pose.
 * @returns 12 numbers.
 */
export function poseFeatures(p: RigidPose): number[] {
  const v = [...p.euler, ...p.trans];
  return [...v, ...v.map((x) => x * x)];
}

/** Solves A x = b (A square, copied) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    if (Math.abs(M[c][c]) < 1e-300) throw new Error("predictability.ts: singular normal equations");
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * Fits Y ~ [1, X] by least squares on the `train` rows (features standardised on those rows, a ridge
 * of `ridge` times the row count to keep near-collinear features solvable) and scores it on the `test`
 * rows.
 * @param X Features per row.
 * @param Y Targets per row.
 * @param train Rows to fit on.
 * @param test Rows to score (at least 2).
 * @param ridge Relative ridge. @default {1e-8}
 * @returns Variance-weighted and per-target R^2 on `test`.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { heldOutR2 } from "./predictability.ts";
 * const X = [[0], [1], [2], [3], [4]], Y = X.map(([x]) => [2 * x + 1]);
 * assertAlmostEquals(heldOutR2(X, Y, [0, 1, 2], [3, 4]).r2, 1, 1e-6); // a line extrapolates exactly
 * ```
 */
export function heldOutR2(
  X: readonly (readonly number[])[],
  Y: readonly (readonly number[])[],
  train: readonly number[],
  test: readonly number[],
  ridge = 1e-8,
): HeldOutFit {
  if (X.length !== Y.length) {
    throw new Error(
      `predictability.ts: heldOutR2 needs as many feature rows as target rows: ${X.length} vs ${Y.length}`,
    );
  }
  if (train.length < 2 || test.length < 2) {
    throw new Error(
      `predictability.ts: heldOutR2 needs >= 2 train and >= 2 test rows: got ${train.length} and ${test.length}`,
    );
  }
  const d = X[0].length, m = Y[0].length;
  const mean = new Array<number>(d).fill(0), sd = new Array<number>(d).fill(0);
  for (const i of train) for (let j = 0; j < d; j++) mean[j] += X[i][j] / train.length;
  for (const i of train) for (let j = 0; j < d; j++) sd[j] += (X[i][j] - mean[j]) ** 2 / train.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const row = (i: number) => [1, ...X[i].map((v, j) => (v - mean[j]) / sd[j])];
  const p = d + 1;
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const B = Array.from({ length: m }, () => new Array<number>(p).fill(0));
  for (const i of train) {
    const z = row(i);
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) A[a][b] += z[a] * z[b];
      for (let k = 0; k < m; k++) B[k][a] += z[a] * Y[i][k];
    }
  }
  for (let a = 1; a < p; a++) A[a][a] += ridge * train.length;
  const W = B.map((b) => solve(A, b));
  const perTarget: number[] = [];
  let sse = 0, sst = 0, sstTrain = 0;
  for (let k = 0; k < m; k++) {
    const mu = test.reduce((s, i) => s + Y[i][k], 0) / test.length;
    const muTrain = train.reduce((s, i) => s + Y[i][k], 0) / train.length;
    let e = 0, t = 0;
    for (const i of test) {
      const z = row(i);
      const yhat = z.reduce((s, v, a) => s + v * W[k][a], 0);
      e += (Y[i][k] - yhat) ** 2;
      t += (Y[i][k] - mu) ** 2;
      sstTrain += (Y[i][k] - muTrain) ** 2;
    }
    perTarget.push(t > 0 ? 1 - e / t : NaN);
    sse += e;
    sst += t;
  }
  return {
    r2: sst > 0 ? 1 - sse / sst : NaN,
    perTarget,
    r2AboutTrainMean: sstTrain > 0 ? 1 - sse / sstTrain : NaN,
    sse,
    sst,
  };
}

/**
 * The share of the held-out torso motion that the current head pose predicts: targets are the
 * camera-frame positions of the {@linkcode TORSO_REFERENCE_POINTS} (9 coordinates, all in scene units,
 * so the variance weighting is a weighting by how far each coordinate moves), features are
 * {@linkcode poseFeatures} of the head pose, fitted on `train` frames, scored on `test` frames.
 *
 * Read `r2` with care on a short held-out span: its SST is the motion about the held-out frames' own
 * mean, which is small when the head barely moves there, so that even a torso that is an exact function
 * of the pose can score low (the regression is only linear + squared); `r2AboutTrainMean` and
 * {@linkcode torsoPredictabilityFolds} are steadier.
 * @param head Head poses per frame.
 * @param torso Torso poses per frame.
 * @param split Frame indices to fit on (`train`) and to score (`test`), e.g. `frameSplit(N)`'s.
 * @returns Variance-weighted R^2 (`r2`) and per coordinate (shoulder 1 x y z, shoulder 2, chest).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { coupledTorsoPath, headPosePath } from "./motion.ts";
 * import { torsoPredictability } from "./predictability.ts";
 * const head = headPosePath(120, { seed: 2 });
 * const torso = coupledTorsoPath(head, { seed: 2, residual: 0 }).poses; // follows the head only
 * const train = [...Array(100).keys()], test = train.slice(0, 20).map((i) => i + 100);
 * const r = torsoPredictability(head, torso, { train, test });
 * assert(r.r2 > 0.8 && r.r2AboutTrainMean > 0.99);
 * ```
 */
export function torsoPredictability(
  head: readonly RigidPose[],
  torso: readonly RigidPose[],
  split: { readonly train: readonly number[]; readonly test: readonly number[] },
): HeldOutFit {
  if (head.length !== torso.length) {
    throw new Error(
      `predictability.ts: torsoPredictability needs one torso pose per head pose: ${head.length} vs ${torso.length}`,
    );
  }
  const X = head.map(poseFeatures);
  const Y = torso.map((t) => TORSO_REFERENCE_POINTS.flatMap((y) => applyPose(t, y)));
  return heldOutR2(X, Y, split.train, split.test);
}

/**
 * {@linkcode torsoPredictability} in `folds` contiguous blocks: each block of frames is held out in turn
 * and predicted from a fit on all the others. The held-out split of a dataset covers a short time (the
 * last 1/11 of the clip), where the torso barely moves and an R^2 about its own mean is dominated by
 * small errors; the folds score every part of the clip.
 * @param head Head poses per frame.
 * @param torso Torso poses per frame.
 * @param folds Number of blocks. @default {11}
 * @returns `r2`: variance-weighted R^2 of all held-out predictions pooled (SST about each block's own
 *   mean, summed); `perFold`: each block's `r2`.
 */
export function torsoPredictabilityFolds(
  head: readonly RigidPose[],
  torso: readonly RigidPose[],
  folds = 11,
): { r2: number; perFold: number[] } {
  const n = head.length;
  if (!Number.isInteger(folds) || folds < 2 || n < 2 * folds) {
    throw new Error(
      `predictability.ts: torsoPredictabilityFolds needs 2 <= folds <= N / 2: got ${folds} for ${n}`,
    );
  }
  const perFold: number[] = [];
  let sse = 0, sst = 0;
  for (let f = 0; f < folds; f++) {
    const a = Math.floor((f * n) / folds), b = Math.floor(((f + 1) * n) / folds);
    const test = Array.from({ length: b - a }, (_, i) => a + i);
    const train = Array.from({ length: n }, (_, i) => i).filter((i) => i < a || i >= b);
    const r = torsoPredictability(head, torso, { train, test });
    perFold.push(r.r2);
    sse += r.sse;
    sst += r.sst;
  }
  return { r2: 1 - sse / sst, perFold };
}
