/**
 * Rigid transforms of the synthetic renderer, in the AD-NeRF convention: R = Rx(a) Ry(b) Rz(c), a part's
 * points X map to the camera (world) frame as R X + t, and the dataset stores the moving camera of the
 * head's canonical space, c2w = [R^T | -R^T t].
 * @module
 */
import { eulerToMatrix64 } from "../camera/euler.ts";

/** A 3-vector. */
export type Vec3 = [number, number, number];

/** A rigid pose: Euler angles (radians, R = Rx(a) Ry(b) Rz(c)) and a translation (scene units). */
export interface RigidPose {
  readonly euler: readonly [number, number, number];
  readonly trans: readonly [number, number, number];
}

/**
 * Rotation matrix R = Rx(a) Ry(b) Rz(c), row-major 3x3.
 * @param euler (a, b, c) in radians.
 * @returns 9 entries, row-major.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { rotationFromEuler } from "./rigid.ts";
 * const R = rotationFromEuler([0, Math.PI / 2, 0]); // a quarter turn about y maps z to x
 * assertAlmostEquals(R[2], 1); // row 0, column 2
 * ```
 */
export function rotationFromEuler(euler: readonly [number, number, number]): Float64Array {
  return eulerToMatrix64(euler);
}

/** R v for a row-major 3x3 R. */
export function rotate(R: ArrayLike<number>, v: readonly number[]): Vec3 {
  return [
    R[0] * v[0] + R[1] * v[1] + R[2] * v[2],
    R[3] * v[0] + R[4] * v[1] + R[5] * v[2],
    R[6] * v[0] + R[7] * v[1] + R[8] * v[2],
  ];
}

/** R^T v for a row-major 3x3 R (the inverse rotation). */
export function rotateInverse(R: ArrayLike<number>, v: readonly number[]): Vec3 {
  return [
    R[0] * v[0] + R[3] * v[1] + R[6] * v[2],
    R[1] * v[0] + R[4] * v[1] + R[7] * v[2],
    R[2] * v[0] + R[5] * v[1] + R[8] * v[2],
  ];
}

/**
 * Maps a part's point to the world: R X + t.
 * @param pose The part's pose.
 * @param p Point in the part's frame.
 * @returns The world point.
 */
export function applyPose(pose: RigidPose, p: readonly number[]): Vec3 {
  const q = rotate(rotationFromEuler(pose.euler), p);
  return [q[0] + pose.trans[0], q[1] + pose.trans[1], q[2] + pose.trans[2]];
}

/**
 * The translation that turns "rotate by R about `pivot`, then shift by `offset`" into the form R X + t:
 * R (X - pivot) + pivot + offset = R X + (pivot - R pivot + offset).
 * @param R Row-major rotation.
 * @param pivot Centre of rotation in the part's frame.
 * @param offset Where the pivot goes, minus the pivot itself (the part's rest position plus its motion).
 * @returns t.
 */
export function translationAboutPivot(
  R: ArrayLike<number>,
  pivot: readonly number[],
  offset: readonly number[],
): Vec3 {
  const rp = rotate(R, pivot);
  return [pivot[0] - rp[0] + offset[0], pivot[1] - rp[1] + offset[1], pivot[2] - rp[2] + offset[2]];
}

/**
 * Camera-to-world matrix of the head's canonical space: c2w = [[R^T, -R^T t], [0, 0, 0, 1]].
 * @param pose Head pose (canonical head points X are at R X + t in the fixed camera's frame).
 * @returns 4x4 row-major as nested arrays (the JSON form of `transform_matrix`).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { c2wFromPose } from "./rigid.ts";
 * // Head 12 units in front of the camera: in canonical space the camera sits at z = +12.
 * const m = c2wFromPose({ euler: [0, 0, 0], trans: [0, 0, -12] });
 * assertEquals(m[2][3], 12);
 * ```
 */
export function c2wFromPose(pose: RigidPose): number[][] {
  const R = rotationFromEuler(pose.euler);
  const c = rotateInverse(R, pose.trans);
  return [
    [R[0], R[3], R[6], -c[0]],
    [R[1], R[4], R[7], -c[1]],
    [R[2], R[5], R[8], -c[2]],
    [0, 0, 0, 1],
  ];
}

/**
 * Angle of the relative rotation R1^T R2 (radians): how far apart two orientations are.
 * @param R1 Row-major rotation.
 * @param R2 Row-major rotation.
 * @returns Angle in [0, pi].
 */
export function rotationAngleBetween(R1: ArrayLike<number>, R2: ArrayLike<number>): number {
  // trace(R1^T R2) = sum_ij R1_ij R2_ij
  let tr = 0;
  for (let i = 0; i < 9; i++) tr += R1[i] * R2[i];
  return Math.acos(Math.min(1, Math.max(-1, (tr - 1) / 2)));
}
