/**
 * Builds the torso module and the pose encoder a configuration names (the only places that switch on
 * their `kind`).
 * @module
 */
import { type TorsoConfig, torsoConfigProblems } from "./config.ts";
import { Deform3dTorso, DeformationField3d } from "./deformation_field.ts";
import { FrameCodeEncoder } from "./frame_code.ts";
import { KeypointPoseEncoder } from "./keypoint_pose_encoder.ts";
import {
  EulerPoseEncoder,
  type PoseEncoder,
  type PoseEncoderConfig,
  poseEncoderConfigProblems,
  type PoseEncoderContext,
} from "./pose_encoder.ts";
import { Image2dTorso, Torso2d } from "./torso2d.ts";
import type { TorsoModule } from "./torso_module.ts";

/** The torso module of a run (an alias of {@linkcode TorsoModule}). */
export type Torso = TorsoModule;

/** Options of {@linkcode createTorso}. */
export interface CreateTorsoOptions {
  /** Seed of the initial weights. @default {a hash of each layer's name} */
  readonly seed?: number;
  /** Prefix of the parameter keys. @default {"torso"} */
  readonly name?: string;
  /** Pose-code translation scale / scene radius: needed by `motionFrame: "camera"`. */
  readonly transToBox?: number;
}

/**
 * Builds the torso module of a config (exhaustive: a new `kind` without a case fails to compile).
 * @param config See {@linkcode TorsoConfig}.
 * @param poseDim Length of the pose code (the pose encoder's `dim`).
 * @param options Seed and parameter-key prefix.
 * @returns The module; dispose `module` when done.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { DEFORM3D_DEFAULTS } from "./config.ts";
 * import { createTorso } from "./create.ts";
 * await initBackend({ log: null });
 * const torso = createTorso(DEFORM3D_DEFAULTS, 6, { seed: 1 });
 * assertEquals(torso.kind, "deform3d");
 * assertEquals([...torso.module!.params.keys()][0], "torso.l0f.w");
 * torso.module?.dispose();
 * assertEquals(createTorso({ kind: "none" }, 6).module, null);
 * ```
 */
export function createTorso(config: TorsoConfig, poseDim: number, options: CreateTorsoOptions = {}): Torso {
  if (!Number.isInteger(poseDim) || poseDim < 1) {
    throw new Error(`poseDim must be a positive integer: got ${poseDim}`);
  }
  const name = options.name ?? "torso";
  const valid = () => {
    const problems = torsoConfigProblems(config);
    if (problems.length > 0) throw new Error(problems.join("; "));
  };
  switch (config.kind) {
    case "none":
      return { kind: "none", module: null };
    case "deform3d": {
      valid();
      const { width, depth, posFreqs, poseFreqs, motion, poseMap, motionFrame, gate } = config;
      const module = new DeformationField3d(name, poseDim, {
        width,
        depth,
        posFreqs,
        poseFreqs,
        seed: options.seed,
        motion,
        poseMap,
        motionFrame,
        gate,
        transToBox: options.transToBox,
      });
      return new Deform3dTorso(module, config);
    }
    case "image2d": {
      valid();
      const { width, depth, posFreqs, poseFreqs } = config;
      const module = new Torso2d(name, poseDim, { width, depth, posFreqs, poseFreqs, seed: options.seed });
      return new Image2dTorso(module, config);
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown torso kind: ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Builds the pose encoder of a config (exhaustive, as {@linkcode createTorso}).
 * @param config See {@linkcode PoseEncoderConfig}.
 * @param context What the encoders take from the scene (normalisation, intrinsics, scene radius).
 * @param options Seed of learned encoders.
 * @returns The encoder; dispose `module` when it has one.
 */
export function createPoseEncoder(
  config: PoseEncoderConfig,
  context: PoseEncoderContext,
  options: { readonly seed?: number } = {},
): PoseEncoder {
  const problems = poseEncoderConfigProblems(config);
  if (problems.length > 0) throw new Error(problems.join("; "));
  const base = basePoseEncoder(config, context, options);
  if (!config.frameCode) return base;
  if (!context.trainImgIds) {
    throw new Error("pose.frameCode needs the training frames' ids (the scene's setup)");
  }
  // A seed of its own, so adding codes leaves the base encoder's initial values alone.
  return new FrameCodeEncoder(base, context.trainImgIds, config.frameCode, { seed: (options.seed ?? 1) + 7 });
}

function basePoseEncoder(
  config: PoseEncoderConfig,
  context: PoseEncoderContext,
  options: { readonly seed?: number },
): PoseEncoder {
  switch (config.kind) {
    case "euler":
      return new EulerPoseEncoder(context.poseNorm);
    case "keypoints": {
      if (!context.intrinsics || context.sceneRadius === undefined) {
        throw new Error("pose.kind keypoints needs the scene's intrinsics and radius");
      }
      return new KeypointPoseEncoder(config.count, context.intrinsics, context.sceneRadius, options);
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown pose encoder kind: ${JSON.stringify(unknown)}`);
    }
  }
}
