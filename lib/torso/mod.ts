/**
 * Torso modules: SSP-NeRF's pose-conditioned deformation of sample points ([ours] reconstruction), a
 * RAD-NeRF-style image-space torso as a cheap alternative, the pose code that conditions both, the
 * deformation penalty, torso weights from parsing probabilities, and the config/factory.
 * @module
 */
export {
  POSE_CODE_DIM,
  poseCode,
  poseCodeFromC2w,
  poseCodeNormalization,
  type PoseCodeOptions,
} from "./pose_code.ts";
export { ConditionedMlp, type ConditionedMlpDims, type ConditionedMlpOptions } from "./conditioned_mlp.ts";
export {
  Deform3dTorso,
  DeformationField3d,
  type DeformationField3dOptions,
  type DeformationMotion,
  RIGID_POSE_MAPS,
  type RigidMotionFrame,
  type RigidPoseMap,
} from "./deformation_field.ts";
export { rigidOffsets, rotationFromAxisAngle, rotationMinusIdentity } from "./rigid_motion.ts";
export { cameraPlacement, poseProducts } from "./pose_features.ts";
export { deformationPenalty } from "./deformation_penalty.ts";
export { TORSO_CLASSES, torsoWeightFromParsing } from "./torso_weight.ts";
export { Image2dTorso, Torso2d, type Torso2dOptions, type Torso2dOutputs } from "./torso2d.ts";
export type { ImageLayer, PointOffsets, TorsoModule } from "./torso_module.ts";
export {
  EULER_POSE,
  EulerPoseEncoder,
  type PoseEncoder,
  type PoseEncoderConfig,
  poseEncoderConfigProblems,
  type PoseEncoderContext,
} from "./pose_encoder.ts";
export { KeypointPoseEncoder, type KeypointPoseEncoderOptions } from "./keypoint_pose_encoder.ts";
export {
  DEFORM3D_DEFAULTS,
  type Deform3dTorsoConfig,
  IMAGE2D_DEFAULTS,
  type Image2dTorsoConfig,
  NO_TORSO,
  type NoTorsoConfig,
  type TorsoConfig,
  torsoConfigProblems,
} from "./config.ts";
export { createPoseEncoder, createTorso, type CreateTorsoOptions, type Torso } from "./create.ts";
export { FRAME_CODE_INIT_STD, FrameCodeEncoder } from "./frame_code.ts";
