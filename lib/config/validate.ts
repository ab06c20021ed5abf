/**
 * Checks a configuration before anything is built from it, so a bad value fails at once with its path
 * instead of as a shape error deep inside tfjs. Each component checks its own section next to its
 * definition (field, pixel sampler, torso, pose encoder); this composes them with the checks of the
 * sections defined in `config.ts`.
 * @module
 */
import type { SspNerfConfig } from "./config.ts";
import { fieldConfigProblems } from "../field/create.ts";
import { pixelSamplerConfigProblems } from "../sampling/create.ts";
import { torsoConfigProblems } from "../torso/config.ts";
import { EULER_POSE, poseEncoderConfigProblems } from "../torso/pose_encoder.ts";
import { eyeConfigProblems } from "../model/eye_code.ts";

/**
 * Throws one error listing every invalid field of `c` (path, value, what was expected).
 * @param source Names where the config came from (a file, a preset) in the message.
 */
export function validateConfig(c: SspNerfConfig, source = "config"): void {
  const problems: string[] = [];
  const posInt = (path: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${path} must be a positive integer: got ${v}`);
  };
  const nonNegInt = (path: string, v: number) => {
    if (!Number.isInteger(v) || v < 0) problems.push(`${path} must be an integer >= 0: got ${v}`);
  };
  const positive = (path: string, v: number) => {
    if (!(v > 0) || !Number.isFinite(v)) problems.push(`${path} must be a finite number > 0: got ${v}`);
  };
  const nonNeg = (path: string, v: number) => {
    if (!(v >= 0) || !Number.isFinite(v)) problems.push(`${path} must be a finite number >= 0: got ${v}`);
  };
  problems.push(...fieldConfigProblems(c.field));
  posInt("audio.dimAud", c.audio.dimAud);
  if (c.audio.convChannels.length !== 4) {
    problems.push(
      `audio.convChannels must list 4 channel counts (16 -> 1 in 4 stride-2 convs): got ${c.audio.convChannels.length}`,
    );
  }
  c.audio.convChannels.forEach((v, i) => posInt(`audio.convChannels[${i}]`, v));
  posInt("audio.smoothing.seqLen", c.audio.smoothing.seqLen);
  nonNegInt("audio.smoothing.startStep", c.audio.smoothing.startStep);
  posInt("points.numCoarse", c.points.numCoarse);
  nonNegInt("points.numFine", c.points.numFine);
  nonNeg("points.boundsMargin", c.points.boundsMargin);
  posInt("points.occupancy.resolution", c.points.occupancy.resolution);
  posInt("points.occupancy.updateEvery", c.points.occupancy.updateEvery);
  nonNeg("points.occupancy.threshold", c.points.occupancy.threshold);
  if (c.architecture !== "unified" && c.architecture !== "twoNerf") {
    problems.push(`architecture must be "unified" or "twoNerf": got ${JSON.stringify(c.architecture)}`);
  }
  problems.push(...pixelSamplerConfigProblems(c.pixelSampler));
  problems.push(...torsoConfigProblems(c.torso));
  problems.push(...poseEncoderConfigProblems(c.pose ?? EULER_POSE));
  if (
    c.torso.kind === "deform3d" && c.torso.motionFrame === "camera" && (c.pose ?? EULER_POSE).kind !== "euler"
  ) {
    problems.push(
      `torso.motionFrame "camera" places points by the head pose of the Euler pose code: needs pose.kind "euler", got ${
        JSON.stringify(c.pose?.kind)
      }`,
    );
  }
  if (c.torso.kind === "deform3d" && c.torso.motionFrame === "camera" && c.pose?.frameCode) {
    problems.push(
      `torso.motionFrame "camera" reads the 6 numbers of the Euler pose code: needs no pose.frameCode, got ${c.pose.frameCode}`,
    );
  }
  problems.push(...eyeConfigProblems(c.eye));
  if (typeof c.loss !== "object" || c.loss === null) {
    problems.push(
      `loss must be the section of loss weights (rgb, rgbCoarse, semantic, semanticCoarse, deformation)`,
    );
  } else {
    for (const k of ["rgb", "rgbCoarse", "semantic", "semanticCoarse", "deformation"] as const) {
      nonNeg(`loss.${k}`, c.loss[k]);
    }
  }
  nonNegInt("train.steps", c.train.steps);
  posInt("train.raysPerStep", c.train.raysPerStep);
  positive("train.lr", c.train.lr);
  positive("train.lrDecayRate", c.train.lrDecayRate);
  positive("train.lrDecaySteps", c.train.lrDecaySteps);
  nonNegInt("train.evalEvery", c.train.evalEvery);
  posInt("train.evalFrames", c.train.evalFrames);
  nonNegInt("train.checkpointEvery", c.train.checkpointEvery);
  if (c.train.threads !== undefined) posInt("train.threads", c.train.threads);
  const share = c.train.closedEyeShare;
  if (share !== undefined && !(typeof share === "number" && share >= 0 && share <= 1)) {
    problems.push(`train.closedEyeShare must be a number in [0, 1]: got ${JSON.stringify(share)}`);
  }
  posInt("render.chunk", c.render.chunk);
  const es = c.render.emptySpace;
  if (!es || typeof es.enabled !== "boolean") {
    problems.push(`render.emptySpace.enabled must be true or false: got ${JSON.stringify(es?.enabled)}`);
  } else {
    posInt("render.emptySpace.resolution", es.resolution);
    nonNeg("render.emptySpace.threshold", es.threshold);
    posInt("render.emptySpace.frames", es.frames);
    if (!(es.minTransmittance >= 0 && es.minTransmittance < 1)) {
      problems.push(`render.emptySpace.minTransmittance must be in [0, 1): got ${es.minTransmittance}`);
    }
    posInt("render.emptySpace.roundSamples", es.roundSamples);
  }
  if (problems.length > 0) {
    throw new Error(`${source}: invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}
