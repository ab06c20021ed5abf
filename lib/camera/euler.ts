/**
 * Head rotation as Euler angles, in the convention of the AD-NeRF / SSP-NeRF face tracker.
 * @module
 */

/** Euler angles (a, b, c) in radians, applied as R = Rx(a) Ry(b) Rz(c). */
export type Euler = readonly [number, number, number];

/**
 * Rotation matrix of Euler angles, R = Rx(a) Ry(b) Rz(c) (AD-NeRF `euler2rot`):
 * ```
 * R = [ cb cc,                 -cb sc,                  sb    ]
 *     [ ca sc + sa sb cc,       ca cc - sa sb sc,      -sa cb ]
 *     [ sa sc - ca sb cc,       sa cc + ca sb sc,       ca cb ]
 * ```
 * with sa = sin a, cb = cos b and so on. Computed in double precision, stored as float32.
 * @param euler Angles (a, b, c) in radians.
 * @returns R, 3x3 row-major, length 9.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { eulerToMatrix } from "./euler.ts";
 * // A quarter turn about z maps x to y: the first column of R is (0, 1, 0).
 * const R = eulerToMatrix([0, 0, Math.PI / 2]);
 * assertAlmostEquals(R[0], 0);
 * assertAlmostEquals(R[3], 1);
 * assertAlmostEquals(R[6], 0);
 * ```
 */
export function eulerToMatrix(euler: Euler): Float32Array {
  return new Float32Array(eulerToMatrix64(euler));
}

/** {@linkcode eulerToMatrix} in double precision (internal: keeps composed poses exact to float64). */
export function eulerToMatrix64(euler: Euler): Float64Array {
  if (euler.length !== 3 || !euler.every(Number.isFinite)) {
    throw new Error(`euler must be 3 finite angles in radians: got [${euler}]`);
  }
  const [a, b, c] = euler;
  const sa = Math.sin(a), ca = Math.cos(a);
  const sb = Math.sin(b), cb = Math.cos(b);
  const sc = Math.sin(c), cc = Math.cos(c);
  return Float64Array.of(
    cb * cc,
    -cb * sc,
    sb,
    ca * sc + sa * sb * cc,
    ca * cc - sa * sb * sc,
    -sa * cb,
    sa * sc - ca * sb * cc,
    sa * cc + ca * sb * sc,
    ca * cb,
  );
}

/**
 * Euler angles of a rotation matrix, the inverse of {@linkcode eulerToMatrix} for |b| < pi/2:
 * b = asin(R02), a = atan2(-R12, R22), c = atan2(-R01, R00). At |b| = pi/2 (gimbal lock) a and c are
 * not separable; then c = 0 is returned and a carries the whole rotation about x.
 * @param R 3x3 row-major rotation (length 9); a 4x4 matrix is not accepted (pass its rotation block).
 * @returns (a, b, c) in radians, a and c in (-pi, pi], b in [-pi/2, pi/2].
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { eulerToMatrix, matrixToEuler } from "./euler.ts";
 * const [a, b, c] = matrixToEuler(eulerToMatrix([0.1, -0.2, 0.3]));
 * assertAlmostEquals(a, 0.1, 1e-6);
 * assertAlmostEquals(b, -0.2, 1e-6);
 * assertAlmostEquals(c, 0.3, 1e-6);
 * ```
 */
export function matrixToEuler(R: ArrayLike<number>): [number, number, number] {
  if (R.length !== 9) throw new Error(`R must be a 3x3 row-major matrix of length 9: got length ${R.length}`);
  const s = Math.min(1, Math.max(-1, R[2]));
  const b = Math.asin(s);
  if (Math.abs(s) > 1 - 1e-7) {
    // Gimbal lock: Rx(a) Ry(+-pi/2) Rz(c) depends only on a +- c, so put it all in a (c = 0);
    // then R10 = sa sb and R11 = ca.
    return [Math.atan2(R[3] * s, R[4]), b, 0];
  }
  return [Math.atan2(-R[5], R[8]), b, Math.atan2(-R[1], R[0])];
}
