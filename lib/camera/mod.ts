/**
 * Cameras in the AD-NeRF convention (OpenGL frame: x right, y up, looking along -z; pixel id
 * v * width + u; rays through pixel centres): head pose <-> camera-to-world, rays, projection, bounds.
 * @module
 */
export { type Euler, eulerToMatrix, matrixToEuler } from "./euler.ts";
export { c2wToPose, checkC2w, type HeadPose, poseToC2w } from "./pose.ts";
export { checkIntrinsics, type RayOptions, type Rays, raysForImage, raysForPixels } from "./rays.ts";
export { projectPoints } from "./project.ts";
export { nearFarFromPoses, type NearFarOptions } from "./bounds.ts";
export { fovFromIntrinsics, intrinsicsFromFov, scaleIntrinsics } from "./intrinsics.ts";
export {
  parsePoseFile,
  parsePosePathSpec,
  pingPong,
  type PoseEntry,
  poseJitterDeg,
  type PosePathSpec,
  readPoseFile,
  type ResolvedPosePath,
  resolvePosePath,
  smoothPosePath,
} from "./pose_path.ts";
