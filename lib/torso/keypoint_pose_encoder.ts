/**
 * ER-NeRF's adaptive pose encoding (Li et al. 2023, "Efficient Region-Aware Neural Radiance Fields for
 * High-Fidelity Talking Portrait Synthesis", section on the torso): instead of the pose as angles, the
 * torso sees where a few learned 3-D keypoints of the head land in the image. The keypoints p_k sit in
 * the head's canonical frame (the normalised scene box); a frame's camera c2w = [R | t] sees them at
 * X = R^T (r p_k - t) (r the scene radius), projected with the dataset's intrinsics as the renderer's rays
 * are cast (camera looking down -z): u = cx + f X_x / (-X_z), v = cy + f X_y / X_z, and normalised to
 * [-1, 1] like the 2-D torso's pixel coordinates. The code [u_1, v_1, ..., u_K, v_K] is differentiable in
 * the keypoints, so they move to where the torso's motion is best explained.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Intrinsics } from "../data/mod.ts";
import { createRng } from "../nn/rng.ts";
import { type Module, namedVariable } from "../nn/module.ts";
import type { PoseEncoder } from "./pose_encoder.ts";

/** Options of {@linkcode KeypointPoseEncoder}. */
export interface KeypointPoseEncoderOptions {
  /** Seed of the keypoints' initial positions. @default {1} */
  readonly seed?: number;
  /** Prefix of the parameter key. @default {"pose"} */
  readonly name?: string;
}

/**
 * Learned keypoints projected into the image as the pose code (2 numbers per keypoint).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend } from "../backend/backend.ts";
 * import { KeypointPoseEncoder } from "./keypoint_pose_encoder.ts";
 * await initBackend({ log: null });
 * const intr = { width: 100, height: 100, focal: 100, cx: 50, cy: 50 };
 * const enc = new KeypointPoseEncoder(1, intr, 1);
 * enc.keypoints.assign(tf.tensor2d([[0.5, 0, 0]])); // half a radius to the right of the origin
 * // Camera at z = 2 looking down -z: the point is 2 units in front, 0.5 right: u = 50 + 100 * 0.25.
 * const c2w = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1);
 * const [u, v] = enc.encode(c2w).dataSync();
 * assertAlmostEquals(u, 75 / 100 * 2 - 1, 1e-6);
 * assertAlmostEquals(v, 0, 1e-6);
 * enc.module.dispose();
 * ```
 */
export class KeypointPoseEncoder implements PoseEncoder {
  readonly kind = "keypoints";
  readonly dim: number;
  /** Keypoints in the normalised box, [K, 3]. */
  readonly keypoints: tf.Variable<tf.Rank.R2>;
  readonly module: Module;

  /**
   * @param count Number of keypoints K (>= 1).
   * @param intrinsics Camera of the training images.
   * @param sceneRadius Scene units per box unit.
   * @param options Seed, parameter name.
   */
  constructor(
    count: number,
    readonly intrinsics: Intrinsics,
    readonly sceneRadius: number,
    options: KeypointPoseEncoderOptions = {},
  ) {
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`pose.count must be a positive integer: got ${count}`);
    }
    if (!(sceneRadius > 0)) throw new Error(`sceneRadius must be > 0: got ${sceneRadius}`);
    this.dim = 2 * count;
    // Spread within a tenth of the box around the head's centre: distinct points from the start, so each
    // carries some of the rotation.
    const rng = createRng(options.seed ?? 1);
    const init = Float32Array.from({ length: 3 * count }, () => 0.2 * (rng.next() - 0.5));
    const name = `${options.name ?? "pose"}.keypoints`;
    const initial = tf.tensor2d(init, [count, 3]);
    this.keypoints = namedVariable(name, initial) as tf.Variable<tf.Rank.R2>;
    initial.dispose();
    const params = new Map<string, tf.Variable>([[name, this.keypoints]]);
    const keypoints = this.keypoints;
    this.module = { params, dispose: () => keypoints.dispose() };
  }

  encode(c2w: Float32Array): tf.Tensor2D {
    const { focal, cx, cy, width, height } = this.intrinsics;
    return tf.tidy(() => {
      // R^T (r p - t) for every keypoint, as rows: (r p - t) R.
      const rot = tf.tensor2d([c2w[0], c2w[1], c2w[2], c2w[4], c2w[5], c2w[6], c2w[8], c2w[9], c2w[10]], [
        3,
        3,
      ]);
      const t = tf.tensor2d([c2w[3], c2w[7], c2w[11]], [1, 3]);
      const cam = tf.matMul(tf.sub(tf.mul(this.keypoints, this.sceneRadius), t), rot);
      const [x, y, z] = tf.split(cam, 3, 1);
      const depth = tf.neg(z);
      const u = tf.add(cx, tf.div(tf.mul(focal, x), depth));
      const v = tf.sub(cy, tf.div(tf.mul(focal, y), depth));
      const uv = tf.concat(
        [tf.sub(tf.mul(tf.div(u, width), 2), 1), tf.sub(tf.mul(tf.div(v, height), 2), 1)],
        1,
      );
      return uv.reshape([1, this.dim]) as tf.Tensor2D;
    });
  }
}
