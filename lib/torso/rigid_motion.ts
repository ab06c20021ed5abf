/**
 * Rigid motions as differentiable tensor ops: the rotation of an axis-angle vector (Rodrigues' formula)
 * and the offset a rigid motion gives each point. Used by the 3-D torso deformation's "rigid" motion.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { matMulT } from "../nn/matmul.ts";

/**
 * Added to |omega|^2 before the square root: keeps theta, sin(theta) / theta and their gradients finite at
 * omega = 0 (d theta / d omega = omega / theta is then 0 / 1e-6 = 0, not 0 / 0). At theta = 1e-6 the
 * float32 values of sin(theta) / theta and (1 - cos theta) / theta^2 are exactly their limits 1 and 1/2, so
 * the epsilon changes no value that float32 can show.
 */
const THETA_EPS = 1e-12;

/**
 * The cross-product matrices [omega]x, [k, 3, 3], of rows omega [k, 3], as one matMul by a constant
 * (differentiable, and a plain product on every backend): [omega]x v = omega x v.
 */
function crossMatrices(omega: tf.Tensor2D): tf.Tensor3D {
  // Column j of the [3, 9] generator holds the coefficients of entry j (row-major) of [omega]x:
  // [[0, -wz, wy], [wz, 0, -wx], [-wy, wx, 0]].
  const g = tf.tensor2d([
    [0, 0, 0, 0, 0, -1, 0, 1, 0],
    [0, 0, 1, 0, 0, 0, -1, 0, 0],
    [0, -1, 0, 1, 0, 0, 0, 0, 0],
  ]);
  return tf.reshape(matMulT(omega, g), [omega.shape[0], 3, 3]);
}

/**
 * R - I for the rotation R = exp([omega]x) of each axis-angle row (Rodrigues' formula):
 * R - I = a K + b K^2, K = [omega]x, a = sin(theta) / theta, b = (1 - cos theta) / theta^2, theta = |omega|,
 * with K^2 = omega omega^T - theta^2 I and b = (1/2) (sin(theta/2) / (theta/2))^2 (no cancellation at small
 * theta). Computed without I, so a small rotation keeps its float32 precision, and omega = 0 gives exactly 0.
 * Gradients are finite everywhere, including omega = 0 (see `THETA_EPS`).
 * @param omega Axis-angle vectors (axis times angle in radians), [k, 3].
 * @returns R - I, [k, 3, 3].
 */
export function rotationMinusIdentity(omega: tf.Tensor2D): tf.Tensor3D {
  if (omega.rank !== 2 || omega.shape[1] !== 3) {
    throw new Error(`rigid_motion.ts: omega must be [k, 3]: got [${omega.shape}]`);
  }
  return tf.tidy(() => {
    const k = omega.shape[0];
    const theta2 = tf.sum(tf.square(omega), 1, true); // [k, 1]
    const theta = tf.sqrt(tf.add(theta2, THETA_EPS));
    const a = tf.div(tf.sin(theta), theta);
    const half = tf.mul(theta, 0.5);
    const b = tf.mul(tf.square(tf.div(tf.sin(half), half)), 0.5);
    const kx = crossMatrices(omega);
    const outer = tf.mul(tf.reshape(omega, [k, 3, 1]), tf.reshape(omega, [k, 1, 3]));
    const k2 = tf.sub(outer, tf.mul(tf.reshape(theta2, [k, 1, 1]), tf.eye(3).reshape([1, 3, 3])));
    return tf.add(tf.mul(tf.reshape(a, [k, 1, 1]), kx), tf.mul(tf.reshape(b, [k, 1, 1]), k2)) as tf.Tensor3D;
  });
}

/**
 * The rotation matrices R = exp([omega]x) of axis-angle rows (Rodrigues' formula, see
 * {@linkcode rotationMinusIdentity}).
 * @param omega Axis-angle vectors (axis times angle in radians), [k, 3].
 * @returns R, [k, 3, 3] (row-major: R[i] x is the rotated column vector x).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { rotationFromAxisAngle } from "./rigid_motion.ts";
 * await initBackend({ log: null });
 * // A quarter turn about z maps x to y: the first column of R is (0, 1, 0).
 * const r = rotationFromAxisAngle(tf.tensor2d([[0, 0, Math.PI / 2]])).dataSync();
 * [r[0], r[3], r[6]].forEach((v, i) => assertAlmostEquals(v, [0, 1, 0][i], 1e-6));
 * ```
 */
export function rotationFromAxisAngle(omega: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => tf.add(rotationMinusIdentity(omega), tf.eye(3).reshape([1, 3, 3])) as tf.Tensor3D);
}

/**
 * The offset of each point under a rigid motion x -> R x + tau: r(x) = (R - I) x + tau, with R from the
 * axis-angle omega (Rodrigues). One motion for all points (k = 1: one [n, 3] x [3, 3] product) or one per
 * point (k = n).
 * @param xyz Points, [n, 3] (may carry gradient).
 * @param omega Axis-angle rotation, [1, 3] or [n, 3].
 * @param tau Translation, [1, 3] or [n, 3] (as many rows as omega).
 * @returns r(x), [n, 3]; exactly 0 when omega and tau are 0.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { rigidOffsets } from "./rigid_motion.ts";
 * await initBackend({ log: null });
 * // A quarter turn about z, then 1 along z: (1, 0, 0) -> (0, 1, 1), an offset of (-1, 1, 1).
 * const r = rigidOffsets(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[0, 0, Math.PI / 2]]), tf.tensor2d([[0, 0, 1]]));
 * Array.from(r.dataSync()).forEach((v, i) => assertAlmostEquals(v, [-1, 1, 1][i], 1e-6));
 * ```
 */
export function rigidOffsets(xyz: tf.Tensor2D, omega: tf.Tensor2D, tau: tf.Tensor2D): tf.Tensor2D {
  const n = xyz.shape[0], k = omega.shape[0];
  if (xyz.rank !== 2 || xyz.shape[1] !== 3) {
    throw new Error(`rigid_motion.ts: xyz must be [n, 3]: got [${xyz.shape}]`);
  }
  if (omega.rank !== 2 || omega.shape[1] !== 3 || (k !== 1 && k !== n)) {
    throw new Error(`rigid_motion.ts: omega must be [1, 3] or [${n}, 3]: got [${omega.shape}]`);
  }
  if (tau.rank !== 2 || tau.shape[1] !== 3 || tau.shape[0] !== k) {
    throw new Error(`rigid_motion.ts: tau must be [${k}, 3] (as omega): got [${tau.shape}]`);
  }
  return tf.tidy(() => {
    const m = rotationMinusIdentity(omega);
    // Rows of xyz times M^T: (M x)^T = x^T M^T.
    const rotated = k === 1
      ? matMulT(xyz, tf.transpose(tf.reshape(m, [3, 3])) as tf.Tensor2D)
      : tf.sum(tf.mul(m, tf.reshape(xyz, [n, 1, 3])), 2) as tf.Tensor2D;
    return tf.add(rotated, tau) as tf.Tensor2D;
  });
}
