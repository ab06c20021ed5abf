/**
 * Pose encoders: what the torso (and AD-NeRF's torso field) is conditioned on, computed from the frame's
 * camera pose. Each encoder owns its code and its size; the model asks it for both.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Intrinsics } from "../data/mod.ts";
import type { Module } from "../nn/module.ts";
import { POSE_CODE_DIM, poseCodeFromC2w, type PoseCodeOptions } from "./pose_code.ts";

/** What every pose encoding may add to its code. */
export interface PoseCodeExtras {
  /**
   * Length D of a learned code per training frame, appended to the pose code (`FrameCodeEncoder`:
   * RAD-NeRF's individual torso codes); frames outside the training set get the mean code. Absent or 0:
   * none.
   */
  readonly frameCode?: number;
}

/** The pose encoding of a run; `kind` selects the encoder. */
export type PoseEncoderConfig =
  /** The head pose as Euler angles and normalised translation (`poseCode`), 6 numbers. */
  | ({ readonly kind: "euler" } & PoseCodeExtras)
  /**
   * ER-NeRF's adaptive pose encoding (Li et al. 2023, "Efficient Region-Aware Neural Radiance Fields",
   * torso section): `count` learned 3-D keypoints, moved rigidly with the head and projected into the
   * image; their 2-D coordinates are the code (2 x count numbers).
   */
  | ({ readonly kind: "keypoints"; readonly count: number } & PoseCodeExtras);

/** The default pose encoding (what configs without a `pose` section use). */
export const EULER_POSE: PoseEncoderConfig = { kind: "euler" };

/** What encoders may take from the scene. */
export interface PoseEncoderContext {
  /** Normalisation of the training cameras' translations (`poseCodeNormalization`). */
  readonly poseNorm?: Required<PoseCodeOptions>;
  /** Camera intrinsics (keypoint projection). */
  readonly intrinsics?: Intrinsics;
  /** Scene radius: keypoints live in the normalised box and are scaled by it into scene units. */
  readonly sceneRadius?: number;
  /** Image ids of the training frames, in the dataset's order (one learned code each with `frameCode`). */
  readonly trainImgIds?: readonly number[];
}

/** Turns a frame's camera pose into the pose code. */
export interface PoseEncoder {
  readonly kind: PoseEncoderConfig["kind"];
  /** Length P of the code. */
  readonly dim: number;
  /** Learned parameters (null when the code is fixed). */
  readonly module: Module | null;
  /**
   * The code of a frame, [1, P]; differentiable with respect to the encoder's parameters.
   * @param c2w Camera-to-world, row-major 4x4.
   * @param imgId The frame's image id: with per-frame codes, a training frame gets its own code and any
   * other frame (or none given) the mean code; other encoders ignore it.
   */
  encode(c2w: Float32Array, imgId?: number): tf.Tensor2D;
}

/**
 * The fixed pose code of SSP-NeRF / AD-NeRF's torso: Euler angles and normalised translation.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { EulerPoseEncoder } from "./pose_encoder.ts";
 * await initBackend({ log: null });
 * // A camera 2 units along z, unrotated: the head sits at -2 in the camera's frame; scale 4.
 * const c2w = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 0, 0, 0, 1);
 * const code = new EulerPoseEncoder({ transScale: 4 }).encode(c2w);
 * assertEquals(code.shape, [1, 6]);
 * assertEquals(Array.from(code.dataSync(), (v) => v + 0), [0, 0, 0, 0, 0, -0.5]); // (+ 0: no -0)
 * code.dispose();
 * ```
 */
export class EulerPoseEncoder implements PoseEncoder {
  readonly kind = "euler";
  readonly dim = POSE_CODE_DIM;
  readonly module = null;

  /** @param norm Translation normalisation. @default {none} */
  constructor(readonly norm: PoseCodeOptions = {}) {}

  encode(c2w: Float32Array): tf.Tensor2D {
    const code = poseCodeFromC2w(c2w, this.norm);
    return tf.tensor2d(code, [1, code.length]);
  }
}

/**
 * Every problem of a pose-encoder configuration; empty when it is valid.
 * @param p The configuration.
 * @param path Its path in the whole configuration. @default {"pose"}
 */
export function poseEncoderConfigProblems(p: PoseEncoderConfig, path = "pose"): string[] {
  const fc = p.frameCode;
  const extras = fc === undefined || (Number.isInteger(fc) && fc >= 0) ? [] : [
    `${path}.frameCode must be an integer >= 0 (absent or 0: no per-frame code): got ${JSON.stringify(fc)}`,
  ];
  switch (p.kind) {
    case "euler":
      return extras;
    case "keypoints":
      return Number.isInteger(p.count) && p.count >= 1
        ? extras
        : [`${path}.count must be a positive integer: got ${p.count}`, ...extras];
    default:
      return [
        `${path}.kind must be euler or keypoints: got ${JSON.stringify((p as { kind: unknown }).kind)}`,
      ];
  }
}
