/**
 * Temporal smoothing of tracked signals (landmarks, head poses) with a Savitzky-Golay filter, and the
 * jitter measure reported for pose paths.
 * @module
 */
import { eulerToMatrix64, matrixToEuler } from "../camera/euler.ts";
import { angleBetween } from "./rotation.ts";

/** Options of {@linkcode savitzkyGolay}. */
export interface SavitzkyGolayOptions {
  /** Window length in samples (odd; clipped to the series length, made odd). @default {9} */
  readonly window?: number;
  /** Degree of the local polynomial (< window). @default {2} */
  readonly order?: number;
}

/**
 * Savitzky-Golay smoothing: each sample is replaced by the value at its own time of the polynomial of
 * degree `order` fitted by least squares to the `window` samples around it. Polynomials up to that
 * degree pass unchanged, so slow head turns keep their shape while frame-to-frame jitter (white noise)
 * shrinks by about sqrt(window) for order 0-1 (less for higher orders). Near the ends the window is
 * shifted to stay inside the series (a one-sided fit) instead of padding, so no end effects arise.
 * @param x Samples at equal time steps.
 * @param options Window and polynomial order.
 * @returns The smoothed samples, same length.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { savitzkyGolay } from "./smooth.ts";
 * // A parabola passes through an order-2 filter unchanged.
 * const x = Float64Array.from({ length: 12 }, (_, i) => 0.5 * i * i - i);
 * const y = savitzkyGolay(x, { window: 5, order: 2 });
 * assertAlmostEquals(y[0], x[0], 1e-9);
 * assertAlmostEquals(y[7], x[7], 1e-9);
 * ```
 */
export function savitzkyGolay(x: ArrayLike<number>, options: SavitzkyGolayOptions = {}): Float64Array {
  const n = x.length;
  const out = Float64Array.from(x);
  let w = Math.min(options.window ?? 9, n);
  if (w % 2 === 0) w -= 1;
  const order = Math.min(options.order ?? 2, w - 1);
  if (!Number.isInteger(order) || order < 0) {
    throw new Error(`smooth.ts: options.order must be an integer >= 0: got ${options.order}`);
  }
  if (w <= 1 || n < 2) return out;
  const half = (w - 1) / 2;
  const m = order + 1;
  // Coefficients depend only on the evaluation offset within the window: cache them per offset.
  const cache = new Map<number, Float64Array>();
  const coefficients = (offset: number): Float64Array => {
    let c = cache.get(offset);
    if (c) return c;
    // Least squares of a polynomial in s = j - offset (j = 0..w-1); its value at s = 0 is the first
    // coefficient: c = e0^T (A^T A)^-1 A^T, A_jk = (j - offset)^k.
    const A = Array.from(
      { length: w },
      (_, j) => Array.from({ length: m }, (_, k) => Math.pow(j - offset, k)),
    );
    const AtA = Array.from(
      { length: m },
      (_, a) => Array.from({ length: m }, (_, b) => A.reduce((s, r) => s + r[a] * r[b], 0)),
    );
    const inv = invertSmall(AtA);
    c = Float64Array.from(A, (r) => r.reduce((s, v, k) => s + inv[0][k] * v, 0));
    cache.set(offset, c);
    return c;
  };
  for (let i = 0; i < n; i++) {
    const start = Math.min(Math.max(0, i - half), n - w);
    const c = coefficients(i - start);
    let s = 0;
    for (let j = 0; j < w; j++) s += c[j] * x[start + j];
    out[i] = s;
  }
  return out;
}

function invertSmall(a: number[][]): number[][] {
  const m = a.length;
  const aug = a.map((r, i) => [...r, ...Array.from({ length: m }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(aug[r][c]) > Math.abs(aug[p][c])) p = r;
    [aug[c], aug[p]] = [aug[p], aug[c]];
    const d = aug[c][c];
    for (let j = 0; j < 2 * m; j++) aug[c][j] /= d;
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = aug[r][c];
      for (let j = 0; j < 2 * m; j++) aug[r][j] -= f * aug[c][j];
    }
  }
  return aug.map((r) => r.slice(m));
}

/**
 * Smooths each coordinate of per-frame vectors (e.g. 136 landmark numbers per frame) over time with
 * {@linkcode savitzkyGolay}.
 * @param frames Per frame, a vector of the same length.
 * @param options Window and order.
 * @returns New smoothed vectors.
 */
export function smoothSeries(
  frames: readonly ArrayLike<number>[],
  options: SavitzkyGolayOptions = {},
): Float64Array[] {
  if (frames.length === 0) return [];
  const d = frames[0].length;
  const out = frames.map(() => new Float64Array(d));
  const col = new Float64Array(frames.length);
  for (let k = 0; k < d; k++) {
    frames.forEach((f, i) => col[i] = f[k]);
    savitzkyGolay(col, options).forEach((v, i) => out[i][k] = v);
  }
  return out;
}

/** A head pose as Euler angles (radians, R = Rx Ry Rz) and translation. */
export interface EulerPose {
  readonly euler: readonly [number, number, number];
  readonly trans: readonly [number, number, number];
}

/**
 * Smooths a head-pose path: Euler angles (unwrapped, so a jump of 2 pi never averages to zero) and
 * translations, each with {@linkcode savitzkyGolay}. Angles are smoothed as numbers, which is accurate
 * away from gimbal lock (|b| near 90 degrees), far outside the range of talking-head poses; the result is
 * re-read through the rotation matrix so angles stay in their canonical ranges.
 * @param poses Per-frame poses.
 * @param options Window and order.
 * @returns Smoothed poses.
 */
export function smoothPoses(poses: readonly EulerPose[], options: SavitzkyGolayOptions = {}): EulerPose[] {
  const eul = [0, 1, 2].map((k) => unwrap(poses.map((p) => p.euler[k])));
  const tr = [0, 1, 2].map((k) => poses.map((p) => p.trans[k]));
  const se = eul.map((s) => savitzkyGolay(s, options));
  const st = tr.map((s) => savitzkyGolay(s, options));
  return poses.map((_, i) => ({
    euler: matrixToEuler(eulerToMatrix64([se[0][i], se[1][i], se[2][i]])),
    trans: [st[0][i], st[1][i], st[2][i]] as const,
  }));
}

function unwrap(a: number[]): Float64Array {
  const out = Float64Array.from(a);
  for (let i = 1; i < out.length; i++) {
    let d = out[i] - out[i - 1];
    while (d > Math.PI) d -= 2 * Math.PI, out[i] -= 2 * Math.PI;
    while (d < -Math.PI) d += 2 * Math.PI, out[i] += 2 * Math.PI;
  }
  return out;
}

/**
 * Jitter of a pose path: the mean over consecutive frames of the angle of R_{i+1} R_i^T, in degrees.
 * @param poses Per-frame Euler angles.
 * @returns Mean angular change per frame (0 for fewer than 2 frames).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { meanAngularStep } from "./smooth.ts";
 * const path = [0, 1, 2].map((i) => ({ euler: [0, (i * Math.PI) / 180, 0] as const }));
 * assertAlmostEquals(meanAngularStep(path), 1, 1e-9);
 * ```
 */
export function meanAngularStep(
  poses: readonly { readonly euler: readonly [number, number, number] }[],
): number {
  if (poses.length < 2) return 0;
  let s = 0;
  let prev = eulerToMatrix64(poses[0].euler);
  for (let i = 1; i < poses.length; i++) {
    const cur = eulerToMatrix64(poses[i].euler);
    s += angleBetween(prev, cur);
    prev = cur;
  }
  return (s / (poses.length - 1)) * 180 / Math.PI;
}
