/**
 * Stage 1 of a training step: a random training frame, its rays (by the pixel sampler) and their depths
 * (within the occupied interval when empty-space skipping is on) and targets.
 * @module
 */
import { raysForPixels } from "../camera/mod.ts";
import { hitIndices, stratifiedInIntervals, stratifiedSamples } from "../sampling/mod.ts";
import { gatherPixels } from "../render/frame.ts";
import type { FrameMeta } from "../data/mod.ts";
import type { StepContext, TrainBatch } from "./step_types.ts";

/** Eye openness under which a frame counts as closed for `train.closedEyeShare`. */
const CLOSED_EYE = 0.5;

/** The closed-eye frames of a frame list (a dataset's `train`), found once rather than every step. */
const closedFrames = new WeakMap<readonly FrameMeta[], readonly FrameMeta[]>();

/**
 * The step's training frame: uniform; with `closedEyeShare` q, first a draw u in [0, 1): u < q takes a
 * frame among those with the eyes closing or shut (when there are any), else any frame.
 * @param frames The training frames.
 * @param closedEyeShare `train.closedEyeShare` (absent: uniform, one draw as before).
 * @param rng The trainer's generator.
 * @returns The frame.
 */
export function drawFrame(
  frames: readonly FrameMeta[],
  closedEyeShare: number | undefined,
  rng: { next(): number; int(n: number): number },
): FrameMeta {
  if (closedEyeShare === undefined) return frames[rng.int(frames.length)];
  let closed = closedFrames.get(frames);
  if (!closed) {
    closed = frames.filter((f) => f.eye !== undefined && f.eye < CLOSED_EYE);
    closedFrames.set(frames, closed);
  }
  return rng.next() < closedEyeShare && closed.length > 0
    ? closed[rng.int(closed.length)]
    : frames[rng.int(frames.length)];
}

/**
 * Stage 1: a random training frame, its rays (by the pixel sampler) and their depths and targets
 * (`Trainer.sampleBatch`).
 * @param ctx The trainer's step context; its generator draws the frame, the rays and the depths' jitter.
 * @returns The step's batch.
 */
export async function sampleTrainBatch(ctx: StepContext): Promise<TrainBatch> {
  const { config: cfg, dataset: ds, scene, rng, sampler } = ctx;
  const meta = drawFrame(ds.train, cfg.train.closedEyeShare, rng);
  const img = await ds.imageFloat(meta.imgId);
  const useSem = cfg.parsing.enabled && ds.numClasses > 0;
  const parsing = ds.has.parsing ? await ds.parsing(meta.imgId) : undefined;
  const { width, height } = ds.intrinsics;
  // Landmarks for the eye-region sampler only (which refuses a dataset without them); else as before.
  const eyes = cfg.pixelSampler.kind === "semanticDynamic" && cfg.pixelSampler.eyeRegion;
  const landmarks = eyes ? await ds.landmarks(meta.imgId) : undefined;
  const frame = { width, height, faceRect: meta.faceRect, parsing, ...(landmarks && { landmarks }) };
  let ids = sampler.sample(frame, cfg.train.raysPerStep, rng);
  let rays = raysForPixels(meta.c2w, ids, ds.intrinsics);
  const jitter = cfg.points.perturb ? rng : null;
  const grid = scene.occupancy;
  let tCoarse: Float32Array | undefined;
  if (grid) {
    // Empty-space skipping: a ray through empty cells only shows the background; train on the others,
    // sampling only their occupied interval. (With no ray hitting anything, fall back to [near, far].)
    const iv = grid.rayIntervals(
      rays.origins,
      rays.dirs,
      ids.length,
      scene.near,
      scene.far,
      1 / scene.sceneRadius,
    );
    const keep = hitIndices(iv.hit);
    if (keep.length > 0) {
      const all = ids;
      ids = Int32Array.from(keep, (j) => all[j]);
      rays = { origins: gatherPixels(rays.origins, keep), dirs: gatherPixels(rays.dirs, keep) };
      tCoarse = stratifiedInIntervals(
        Float32Array.from(keep, (j) => iv.tNear[j]),
        Float32Array.from(keep, (j) => iv.tFar[j]),
        keep.length,
        cfg.points.numCoarse,
        jitter,
      );
    }
  }
  tCoarse ??= stratifiedSamples(ids.length, scene.near, scene.far, cfg.points.numCoarse, jitter);
  const n = ids.length;
  return {
    meta,
    frame,
    ids,
    rays: {
      n,
      origins: rays.origins,
      dirs: rays.dirs,
      background: gatherPixels(scene.setup.background, ids),
    },
    tCoarse,
    target: gatherPixels(img, ids),
    labels: useSem ? Int32Array.from(ids, (p) => parsing![p]) : undefined,
  };
}
