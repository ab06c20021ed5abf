/**
 * How far query poses (held-out frames) lie from the poses a model was trained on. A talking-portrait
 * split holds out the last frames of a video, so where the head drifts late in the clip the held-out
 * frames ask a pose-conditioned module (the torso) to extrapolate; this says how much.
 * @module
 */

/** Distances of each query pose to a reference set (see {@linkcode poseCoverage}). */
export interface PoseCoverage {
  /** Mahalanobis distance of each query to the reference poses' mean, under their covariance. */
  readonly mahalanobis: Float64Array;
  /** Euclidean distance of each query to its nearest reference pose, every dimension divided by the
   * reference's standard deviation. */
  readonly nearest: Float64Array;
  /** The 95th percentile of the reference poses' own Mahalanobis distances: a query beyond it lies
   * outside where 95 % of the training poses are. */
  readonly reference95: number;
}

/** Inverse of a symmetric positive (semi-)definite d x d matrix (row-major), by Gauss-Jordan elimination
 * with partial pivoting; `ridge` is added to the diagonal first so a constant dimension stays finite. */
function invert(m: Float64Array, d: number, ridge: number): Float64Array {
  const a = new Float64Array(d * 2 * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) a[i * 2 * d + j] = m[i * d + j] + (i === j ? ridge : 0);
    a[i * 2 * d + d + i] = 1;
  }
  const w = 2 * d;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * w + c]) > Math.abs(a[p * w + c])) p = r;
    if (p !== c) {
      for (let j = 0; j < w; j++) [a[c * w + j], a[p * w + j]] = [a[p * w + j], a[c * w + j]];
    }
    const piv = a[c * w + c];
    for (let j = 0; j < w; j++) a[c * w + j] /= piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r * w + c];
      if (f !== 0) { for (let j = 0; j < w; j++) a[r * w + j] -= f * a[c * w + j]; }
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) inv[i * d + j] = a[i * w + d + j];
  return inv;
}

/**
 * Distances of `query` poses to the `reference` poses: Mahalanobis to their mean (sample covariance,
 * n - 1) and Euclidean to the nearest one after dividing each dimension by its standard deviation.
 * Any pose vector works; `diagnose` uses the head's Euler angles and translation.
 * @param reference Reference poses (e.g. the training frames'), n >= 2 rows of d numbers.
 * @param query Query poses (e.g. the held-out frames'), rows of d numbers.
 * @returns The distances per query and the reference's own 95th percentile.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { poseCoverage } from "./pose_coverage.ts";
 * // One dimension: mean 1, standard deviation sqrt(2); the query 4 lies 3 / sqrt(2) from the mean and
 * // 2 / sqrt(2) from the nearest reference pose, 2.
 * const c = poseCoverage([[0], [2]], [[4]]);
 * assertAlmostEquals(c.mahalanobis[0], 3 / Math.SQRT2, 1e-8);
 * assertAlmostEquals(c.nearest[0], Math.SQRT2, 1e-8);
 * ```
 */
export function poseCoverage(
  reference: readonly (readonly number[])[],
  query: readonly (readonly number[])[],
): PoseCoverage {
  const n = reference.length;
  if (n < 2) throw new Error(`poseCoverage: needs at least 2 reference poses: got ${n}`);
  const d = reference[0].length;
  for (const [name, rows] of [["reference", reference], ["query", query]] as const) {
    rows.forEach((r, i) => {
      if (r.length !== d || !r.every(Number.isFinite)) {
        throw new Error(`poseCoverage: ${name} pose ${i} must be ${d} finite numbers: got [${r.join(", ")}]`);
      }
    });
  }
  const mean = new Float64Array(d);
  for (const r of reference) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const cov = new Float64Array(d * d);
  for (const r of reference) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) cov[i * d + j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (n - 1);
    }
  }
  let maxVar = 0;
  for (let i = 0; i < d; i++) maxVar = Math.max(maxVar, cov[i * d + i]);
  // A dimension that never changes (e.g. a fixed translation) would make the covariance singular.
  const ridge = 1e-9 * maxVar + 1e-300;
  const inv = invert(cov, d, ridge);
  const std = Array.from({ length: d }, (_, i) => Math.sqrt(cov[i * d + i] + ridge));
  const mahal = (r: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) s += (r[i] - mean[i]) * inv[i * d + j] * (r[j] - mean[j]);
    }
    return Math.sqrt(Math.max(0, s));
  };
  const own = reference.map(mahal).sort((a, b) => a - b);
  // Linear interpolation between order statistics (the "R-7" rule of numpy's default percentile).
  const pos = 0.95 * (n - 1), lo = Math.floor(pos);
  const reference95 = own[lo] + (own[Math.min(lo + 1, n - 1)] - own[lo]) * (pos - lo);
  const mahalanobis = Float64Array.from(query, mahal);
  const nearest = Float64Array.from(query, (q) => {
    let best = Infinity;
    for (const r of reference) {
      let s = 0;
      for (let j = 0; j < d; j++) s += ((q[j] - r[j]) / std[j]) ** 2;
      best = Math.min(best, s);
    }
    return Math.sqrt(best);
  });
  return { mahalanobis, nearest, reference95 };
}
