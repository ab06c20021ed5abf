/**
 * Functions of the Euler pose code that the torso deformation's rigid motion uses: the second-order
 * features of the "quadratic" pose map, and the head's placement in the camera frame ("camera" motion frame).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The products p_i p_j, i <= j, of each row of a pose code, in the order (0,0), (0,1), ..., (0,P-1),
 * (1,1), ...: the second-order terms of the "quadratic" pose map.
 * @param pose Pose codes, [k, P].
 * @returns [k, P (P + 1) / 2].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { poseProducts } from "./pose_features.ts";
 * await initBackend({ log: null });
 * assertEquals(Array.from(poseProducts(tf.tensor2d([[2, 3]])).dataSync()), [4, 6, 9]);
 * ```
 */
export function poseProducts(pose: tf.Tensor2D): tf.Tensor2D {
  const [k, p] = pose.shape;
  return tf.tidy(() => {
    // Rows i of the [P, P] outer product, from column i on: one gather of the upper triangle.
    const outer = tf.reshape(tf.mul(tf.reshape(pose, [k, p, 1]), tf.reshape(pose, [k, 1, p])), [k, p * p]);
    const index: number[] = [];
    for (let i = 0; i < p; i++) for (let j = i; j < p; j++) index.push(i * p + j);
    return tf.gather(outer, tf.tensor1d(index, "int32"), 1) as tf.Tensor2D;
  });
}

/**
 * The rigid map of each pose code that puts a point of the head's canonical frame where it sits in the
 * camera's frame, relative to the head's rest pose (rotation I, translation the code's origin), in the
 * normalised box: x -> R(a, b, c) x + k t, with (a, b, c) the code's Euler angles (R = Rx(a) Ry(b) Rz(c),
 * as `poseCode`) and t its normalised translation; k = the code's translation scale / the scene radius.
 * @param pose Euler pose codes (`poseCode`), [k, 6].
 * @param transToBox k.
 * @returns `[rot, trans]`: R, [k, 3, 3] (row-major), and k t, [k, 3].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { cameraPlacement } from "./pose_features.ts";
 * await initBackend({ log: null });
 * // A quarter turn about z and a shift of 0.5 along x (scale 2): the x axis goes to y, t to (1, 0, 0).
 * const [r, t] = cameraPlacement(tf.tensor2d([[0, 0, Math.PI / 2, 0.5, 0, 0]]), 2);
 * [0, 1, 0].forEach((v, i) => assertAlmostEquals(r.dataSync()[3 * i], v, 1e-6));
 * [1, 0, 0].forEach((v, i) => assertAlmostEquals(t.dataSync()[i], v, 1e-6));
 * ```
 */
export function cameraPlacement(pose: tf.Tensor2D, transToBox: number): [tf.Tensor3D, tf.Tensor2D] {
  if (pose.rank !== 2 || pose.shape[1] !== 6) {
    throw new Error(`cameraPlacement: pose must be Euler pose codes [k, 6]: got [${pose.shape}]`);
  }
  return tf.tidy(() => {
    const k = pose.shape[0];
    const [a, b, c, t] = tf.split(pose, [1, 1, 1, 3], 1) as tf.Tensor2D[];
    const [sa, ca, sb, cb, sc, cc] = [tf.sin(a), tf.cos(a), tf.sin(b), tf.cos(b), tf.sin(c), tf.cos(c)];
    const m = tf.mul, s = tf.sub, p = tf.add;
    // R = Rx(a) Ry(b) Rz(c), row-major (the formula of lib/camera/euler.ts).
    const entries = [
      m(cb, cc),
      tf.neg(m(cb, sc)),
      sb,
      p(m(ca, sc), m(m(sa, sb), cc)),
      s(m(ca, cc), m(m(sa, sb), sc)),
      tf.neg(m(sa, cb)),
      s(m(sa, sc), m(m(ca, sb), cc)),
      p(m(sa, cc), m(m(ca, sb), sc)),
      m(ca, cb),
    ];
    const rot = tf.reshape(tf.concat(entries, 1), [k, 3, 3]) as tf.Tensor3D;
    return [rot, tf.mul(t, transToBox) as tf.Tensor2D];
  });
}
