/**
 * Checks a configuration before anything is built from it, so a bad value fails at once with its path
 * instead of as a shape error deep inside tfjs.
 * @module
 */
import type { SspNerfConfig } from "./config.ts";

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
  const f = c.field;
  posInt("field.colorWidth", f.colorWidth);
  nonNegInt("field.dirFreqs", f.dirFreqs);
  switch (f.kind) {
    case "mlp":
      posInt("field.depth", f.depth);
      posInt("field.width", f.width);
      nonNegInt("field.posFreqs", f.posFreqs);
      for (const s of f.skips) {
        if (!Number.isInteger(s) || s < 1 || s >= f.depth) {
          problems.push(`field.skips entries must be layer indices in [1, ${f.depth - 1}]: got ${s}`);
        }
      }
      break;
    case "triplane":
      posInt("field.levels", f.levels);
      posInt("field.baseResolution", f.baseResolution);
      posInt("field.featuresPerLevel", f.featuresPerLevel);
      posInt("field.hiddenWidth", f.hiddenWidth);
      nonNegInt("field.hiddenLayers", f.hiddenLayers);
      nonNegInt("field.log2HashSize", f.log2HashSize);
      positive("field.gridLrScale", f.gridLrScale);
      if (!(f.maxResolution >= f.baseResolution)) {
        problems.push(
          `field.maxResolution must be >= field.baseResolution (${f.baseResolution}): got ${f.maxResolution}`,
        );
      }
      break;
    default:
      problems.push(
        `field.kind must be "mlp" or "triplane": got ${JSON.stringify((f as { kind: unknown }).kind)}`,
      );
  }
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
  const ps = c.pixelSampler;
  switch (ps.kind) {
    case "uniform":
      break;
    case "faceRect": {
      const f = ps.insideFraction ?? 0.95;
      if (!(f >= 0 && f <= 1)) problems.push(`pixelSampler.insideFraction must be in [0, 1]: got ${f}`);
      break;
    }
    case "semanticDynamic":
      if (!["error", "area", "errorArea"].includes(ps.allocation)) {
        problems.push(
          `pixelSampler.allocation must be error, area or errorArea: got ${JSON.stringify(ps.allocation)}`,
        );
      }
      nonNeg("pixelSampler.beta", ps.beta);
      if (!(ps.floor >= 0 && ps.floor <= 1)) {
        problems.push(`pixelSampler.floor must be in [0, 1]: got ${ps.floor}`);
      }
      if (!(ps.emaRate > 0 && ps.emaRate <= 1)) {
        problems.push(`pixelSampler.emaRate must be in (0, 1]: got ${ps.emaRate}`);
      }
      break;
    default:
      problems.push(
        `pixelSampler.kind must be uniform, faceRect or semanticDynamic: got ${
          JSON.stringify((ps as { kind: unknown }).kind)
        }`,
      );
  }
  const t = c.torso;
  switch (t.kind) {
    case "none":
      break;
    case "deform3d":
    case "image2d":
      posInt("torso.width", t.width);
      posInt("torso.depth", t.depth);
      nonNegInt("torso.posFreqs", t.posFreqs);
      nonNegInt("torso.poseFreqs", t.poseFreqs);
      if (t.kind === "deform3d") {
        nonNeg("torso.penalty", t.penalty);
        if (t.weighting !== "parsing" && t.weighting !== "none") {
          problems.push(`torso.weighting must be "parsing" or "none": got ${JSON.stringify(t.weighting)}`);
        }
      }
      break;
    default:
      problems.push(
        `torso.kind must be none, deform3d or image2d: got ${JSON.stringify((t as { kind: unknown }).kind)}`,
      );
  }
  nonNeg("parsing.lambdaSem", c.parsing.lambdaSem);
  nonNegInt("train.steps", c.train.steps);
  posInt("train.raysPerStep", c.train.raysPerStep);
  positive("train.lr", c.train.lr);
  positive("train.lrDecayRate", c.train.lrDecayRate);
  positive("train.lrDecaySteps", c.train.lrDecaySteps);
  nonNegInt("train.evalEvery", c.train.evalEvery);
  posInt("train.evalFrames", c.train.evalFrames);
  nonNegInt("train.checkpointEvery", c.train.checkpointEvery);
  nonNeg("train.coarseWeight", c.train.coarseWeight);
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
