/**
 * Small 3x3 rotation helpers in double precision (row-major Float64Array of length 9), used by the pose
 * fitter and the pose-path measures: products, the exponential map, angles between rotations, and the
 * projection of a matrix onto the nearest rotation.
 * @module
 */

/** A 3x3 matrix, row-major, length 9. */
export type Mat3 = Float64Array<ArrayBuffer>;

/** The identity rotation. */
export function identity3(): Mat3 {
  return Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
}

/** C = A B. */
export function mul3(a: ArrayLike<number>, b: ArrayLike<number>): Mat3 {
  const c = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      c[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
    }
  }
  return c;
}

/** A^T. */
export function transpose3(a: ArrayLike<number>): Mat3 {
  return Float64Array.of(a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]);
}

/**
 * Rotation of an axis-angle vector w (Rodrigues): exp([w]x) = I + sin(th) K + (1 - cos(th)) K^2 with
 * th = |w| and K = [w / th]x.
 * @param w Axis times angle (radians).
 * @returns The rotation matrix.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { expSO3 } from "./rotation.ts";
 * const R = expSO3([0, 0, Math.PI / 2]); // quarter turn about z: x -> y
 * assertAlmostEquals(R[3], 1, 1e-12);
 * ```
 */
export function expSO3(w: ArrayLike<number>): Mat3 {
  const th = Math.hypot(w[0], w[1], w[2]);
  if (th < 1e-12) return Float64Array.of(1, -w[2], w[1], w[2], 1, -w[0], -w[1], w[0], 1);
  const x = w[0] / th, y = w[1] / th, z = w[2] / th;
  const s = Math.sin(th), c = 1 - Math.cos(th);
  return Float64Array.of(
    1 - c * (y * y + z * z),
    -s * z + c * x * y,
    s * y + c * x * z,
    s * z + c * x * y,
    1 - c * (x * x + z * z),
    -s * x + c * y * z,
    -s * y + c * x * z,
    s * x + c * y * z,
    1 - c * (x * x + y * y),
  );
}

/**
 * Angle of a rotation in radians: atan2(sin, cos) with cos = (trace - 1) / 2 and sin = half the norm of
 * (R21 - R12, R02 - R20, R10 - R01), which stays accurate for small angles where acos does not.
 * @param r A rotation matrix.
 */
export function rotationAngle(r: ArrayLike<number>): number {
  const s = Math.hypot(r[7] - r[5], r[2] - r[6], r[3] - r[1]) / 2;
  return Math.atan2(s, (r[0] + r[4] + r[8] - 1) / 2);
}

/**
 * Angle in radians of the rotation that takes A to B: angle(B A^T).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { angleBetween, expSO3 } from "./rotation.ts";
 * assertAlmostEquals(angleBetween(expSO3([0.1, 0, 0]), expSO3([0.3, 0, 0])), 0.2, 1e-9);
 * ```
 */
export function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return rotationAngle(mul3(b, transpose3(a)));
}

/**
 * The rotation nearest to M in the Frobenius norm (the orthogonal Procrustes solution), from the
 * polar decomposition computed by Higham's scaled Newton iteration X <- (g X + X^-T / g) / 2, with a
 * sign fix so that det = +1. Used to average rotations: the projection of their mean (the chordal L2
 * mean).
 * @param m Any 3x3 matrix of full rank.
 * @returns A rotation.
 */
export function nearestRotation(m: ArrayLike<number>): Mat3 {
  let x = Float64Array.from(m);
  if (det3(x) < 0) x = x.map((v) => -v);
  for (let it = 0; it < 100; it++) {
    const inv = inverse3(x);
    if (!inv) {
      throw new Error(`rotation.ts: nearestRotation needs a full-rank matrix: got [${Array.from(m)}]`);
    }
    const g = Math.sqrt(Math.sqrt(frob2(inv) / frob2(x)));
    const next = new Float64Array(9);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) next[i * 3 + j] = 0.5 * (g * x[i * 3 + j] + inv[j * 3 + i] / g);
    }
    let d = 0;
    for (let k = 0; k < 9; k++) d = Math.max(d, Math.abs(next[k] - x[k]));
    x = next;
    if (d < 1e-14) break;
  }
  return det3(x) < 0 ? x.map((v) => -v) : x;
}

function frob2(a: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < 9; k++) s += a[k] * a[k];
  return s;
}

/** Determinant of a 3x3 matrix. */
export function det3(a: ArrayLike<number>): number {
  return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6]);
}

/** Inverse of a 3x3 matrix, or undefined when singular. */
export function inverse3(a: ArrayLike<number>): Mat3 | undefined {
  const d = det3(a);
  if (!(Math.abs(d) > 1e-300)) return undefined;
  const inv = Float64Array.of(
    a[4] * a[8] - a[5] * a[7],
    a[2] * a[7] - a[1] * a[8],
    a[1] * a[5] - a[2] * a[4],
    a[5] * a[6] - a[3] * a[8],
    a[0] * a[8] - a[2] * a[6],
    a[2] * a[3] - a[0] * a[5],
    a[3] * a[7] - a[4] * a[6],
    a[1] * a[6] - a[0] * a[7],
    a[0] * a[4] - a[1] * a[3],
  );
  for (let k = 0; k < 9; k++) inv[k] /= d;
  return inv;
}

/**
 * Solves the symmetric positive-definite system A x = b by Cholesky factorisation (A is n x n,
 * row-major). Returns undefined when A is not positive definite.
 */
export function solveSpd(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}
