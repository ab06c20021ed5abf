/**
 * Head pose <-> camera-to-world matrix. AD-NeRF models the head as fixed in a canonical space and moves
 * the camera instead: a tracked head pose (R, t), which maps canonical head points x to camera
 * coordinates R x + t, becomes the camera pose c2w = [R^T | -R^T t].
 * @module
 */
import { type Euler, eulerToMatrix64, matrixToEuler } from "./euler.ts";

/** A head pose: rotation as Euler angles (radians, R = Rx Ry Rz) and translation. */
export interface HeadPose {
  readonly euler: [number, number, number];
  readonly trans: [number, number, number];
}

/**
 * Camera-to-world matrix of a head pose: c2w = [[R^T, -R^T t], [0, 0, 0, 1]] with R = eulerToMatrix(euler)
 * (AD-NeRF `process_data.py`: the head is fixed in the canonical space and the camera moves).
 * @param euler Head rotation (a, b, c) in radians.
 * @param trans Head translation t (scene units, e.g. AD-NeRF's tracked translation / 10).
 * @returns c2w, 4x4 row-major, length 16.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { poseToC2w } from "./pose.ts";
 * // No rotation, head 2 units in front of the camera (camera looks along -z): the camera sits at z = +2.
 * const c2w = poseToC2w([0, 0, 0], [0, 0, -2]);
 * assertEquals([c2w[3], c2w[7], c2w[11], c2w[15]], [0, 0, 2, 1]);
 * ```
 */
export function poseToC2w(euler: Euler, trans: readonly [number, number, number]): Float32Array {
  if (trans.length !== 3 || !trans.every(Number.isFinite)) {
    throw new Error(`trans must be 3 finite numbers: got [${trans}]`);
  }
  const R = eulerToMatrix64(euler);
  const out = new Float32Array(16);
  for (let i = 0; i < 3; i++) {
    let ti = 0;
    for (let j = 0; j < 3; j++) {
      out[i * 4 + j] = R[j * 3 + i]; // R^T
      ti -= R[j * 3 + i] * trans[j];
    }
    out[i * 4 + 3] = ti;
  }
  out[15] = 1;
  return out;
}

/**
 * Head pose of a camera-to-world matrix, the inverse of {@linkcode poseToC2w}: R = (c2w rotation)^T,
 * t = -R c (c = camera centre, the last column), euler = matrixToEuler(R) (exact for |b| < pi/2).
 * @param c2w 4x4 row-major (length 16) rigid transform.
 * @returns The head pose.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { c2wToPose, poseToC2w } from "./pose.ts";
 * const { euler, trans } = c2wToPose(poseToC2w([0.1, 0.2, 0.3], [0.5, -0.5, -3]));
 * assertAlmostEquals(euler[1], 0.2, 1e-6);
 * assertAlmostEquals(trans[2], -3, 1e-5);
 * ```
 */
export function c2wToPose(c2w: ArrayLike<number>): HeadPose {
  checkC2w(c2w);
  const R = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R[i * 3 + j] = c2w[j * 4 + i];
  const trans: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    trans[i] = -(R[i * 3] * c2w[3] + R[i * 3 + 1] * c2w[7] + R[i * 3 + 2] * c2w[11]);
  }
  return { euler: matrixToEuler(R), trans };
}

/** Throws unless `c2w` is a 4x4 row-major matrix with finite entries. */
export function checkC2w(c2w: ArrayLike<number>): void {
  if (c2w.length !== 16) {
    throw new Error(`c2w must be a 4x4 row-major matrix of length 16: got length ${c2w.length}`);
  }
  for (let i = 0; i < 16; i++) {
    if (!Number.isFinite(c2w[i])) throw new Error(`c2w must be finite: entry ${i} is ${c2w[i]}`);
  }
}
