/**
 * The pose code that conditions the torso modules: the head pose of a frame as a small unit-free vector.
 * @module
 */
import { c2wToPose, checkC2w } from "../camera/pose.ts";

/** Length of a pose code: three Euler angles and three translation components. */
export const POSE_CODE_DIM = 6;

/** Options of {@linkcode poseCode}. */
export interface PoseCodeOptions {
  /** Translations are divided by this (e.g. the mean camera distance), so the code is unit-free.
   * @default {1} */
  readonly transScale?: number;
  /** Subtracted from the translation before scaling (e.g. the mean head translation), so the code is
   * centred on the training poses. @default {[0, 0, 0]} */
  readonly transOrigin?: readonly [number, number, number];
}

/**
 * Pose code p = [a, b, c, (t - o) / s]: the Euler angles (radians, R = Rx(a) Ry(b) Rz(c)) and the
 * translation t relative to an origin o, divided by a scale s.
 * @param euler Head rotation (a, b, c) in radians.
 * @param trans Head translation t (scene units).
 * @param options Scale s and origin o of the translation.
 * @returns The code, length {@linkcode POSE_CODE_DIM}.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { poseCode } from "./pose_code.ts";
 * const p = poseCode([0.5, 0, -0.25], [1, 2, -4], { transScale: 4, transOrigin: [0, 0, -4] });
 * assertEquals(Array.from(p), [0.5, 0, -0.25, 0.25, 0.5, 0]);
 * ```
 */
export function poseCode(
  euler: readonly [number, number, number],
  trans: readonly [number, number, number],
  options: PoseCodeOptions = {},
): Float32Array {
  const s = options.transScale ?? 1;
  const o = options.transOrigin ?? [0, 0, 0];
  if (!(s > 0 && Number.isFinite(s))) throw new Error(`transScale must be finite and > 0: got ${s}`);
  if (euler.length !== 3 || !euler.every(Number.isFinite)) {
    throw new Error(`euler must be 3 finite angles in radians: got [${euler}]`);
  }
  if (trans.length !== 3 || !trans.every(Number.isFinite)) {
    throw new Error(`trans must be 3 finite numbers: got [${trans}]`);
  }
  if (o.length !== 3 || !o.every(Number.isFinite)) {
    throw new Error(`transOrigin must be 3 finite numbers: got [${o}]`);
  }
  return Float32Array.of(...euler, ...trans.map((t, i) => (t - o[i]) / s));
}

/**
 * Pose code of a camera-to-world matrix in the AD-NeRF convention c2w = [R^T | -R^T t] (the head is
 * fixed and the camera moves): the head pose (R, t) is recovered with `c2wToPose`, then
 * {@linkcode poseCode}.
 * @param c2w 4x4 row-major camera-to-world matrix (length 16).
 * @param options Scale and origin of the translation.
 * @returns The code, length {@linkcode POSE_CODE_DIM}.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { poseToC2w } from "../camera/pose.ts";
 * import { poseCodeFromC2w } from "./pose_code.ts";
 * const p = poseCodeFromC2w(poseToC2w([0.1, -0.2, 0.3], [0, 0, -2]), { transScale: 2 });
 * [0.1, -0.2, 0.3, 0, 0, -1].forEach((want, i) => assertAlmostEquals(p[i], want, 1e-6));
 * ```
 */
export function poseCodeFromC2w(c2w: ArrayLike<number>, options: PoseCodeOptions = {}): Float32Array {
  const { euler, trans } = c2wToPose(c2w);
  return poseCode(euler, trans, options);
}

/**
 * Pose-code options that centre and scale the translations of a set of training cameras: the origin is
 * the mean head translation and the scale the mean camera distance |c| from the canonical origin (the
 * quantity the trainer's scene radius is built on), so codes are O(1) whatever the tracker's units.
 * @param c2ws Camera-to-world matrices (row-major 4x4), at least one.
 * @returns Options for {@linkcode poseCode} / {@linkcode poseCodeFromC2w}.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { poseToC2w } from "../camera/pose.ts";
 * import { poseCodeNormalization } from "./pose_code.ts";
 * const opts = poseCodeNormalization([poseToC2w([0, 0, 0], [0, 0, -3]), poseToC2w([0, 0, 0], [0, 0, -5])]);
 * assertAlmostEquals(opts.transScale!, 4, 1e-6);
 * assertAlmostEquals(opts.transOrigin![2], -4, 1e-6);
 * ```
 */
export function poseCodeNormalization(c2ws: readonly ArrayLike<number>[]): Required<PoseCodeOptions> {
  if (c2ws.length === 0) throw new Error("poseCodeNormalization needs at least one camera");
  const origin: [number, number, number] = [0, 0, 0];
  let dist = 0;
  for (const m of c2ws) {
    checkC2w(m);
    const { trans } = c2wToPose(m);
    for (let i = 0; i < 3; i++) origin[i] += trans[i] / c2ws.length;
    dist += Math.hypot(m[3], m[7], m[11]) / c2ws.length;
  }
  if (!(dist > 0)) throw new Error("poseCodeNormalization: every camera sits at the canonical origin");
  return { transScale: dist, transOrigin: origin };
}
