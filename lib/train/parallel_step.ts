/**
 * Stages 2 and 3 of a training step on `train.threads` threads (the engine lib/train/data_parallel.ts,
 * the loss module lib/train/ssp_share_loss.ts): the batch in contiguous shares, one per thread; the
 * gradients summed in share order and the Adam update, each split by parameter range over the threads.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { FrameRenderSetup } from "../render/scene_setup.ts";
import {
  DataParallel,
  mergeExtras,
  type ParallelStepResult,
  shareRanges,
  type StepTiming,
} from "./data_parallel.ts";
import { replicaOf, splitShare, type SspShare } from "./ssp_share_loss.ts";
import type { StepContext, TrainBatch } from "./step_types.ts";

/**
 * This thread's share of a step's rays relative to an even split. It spends a little longer than a worker
 * on a share of the same size (the demo config, 512 rays each, this 2-core machine idle: 96 against 92 ms,
 * about 3 % more without the gradients' read-out; 5 to 16 % more CPU time, measured under load), and the
 * worker's share waits for two messages; a share 1.4 % smaller is meant to let both finish together on
 * average. The split is fixed: results depend on it only through rounding, and are the same every run.
 */
const OWN_RAY_SCALE = 0.986;

/**
 * Where a trainer keeps its data-parallel engine: started at the first multi-thread step, emptied when a
 * step fails (the engine then disposed itself) or the trainer releases its workers.
 */
export interface EngineSlot {
  engine?: DataParallel<SspShare>;
}

/**
 * Stages 2 and 3 on `train.threads` threads: the batch in contiguous shares (one per thread, this
 * thread's a little smaller, see `OWN_RAY_SCALE`), each
 * share's loss terms means over its rays weighted by its rays / the step's, so the weighted sum is the
 * whole batch's loss; the update (`Adam.applyFlat`'s, split by parameter range over the threads) written
 * into shared memory, which the workers load before the next step. The fine
 * samples' jitter of share i comes from a seed drawn here, once per step.
 * @param ctx The trainer's step context (its generator draws the step's seed when `points.perturb`).
 * @param slot The trainer's engine, started here when empty.
 * @param batch The step's batch (stage 1).
 * @param uv The rays' pixel centres in [-1, 1]^2 (`pixelUv`), [n, 2].
 * @param windows The frame's audio windows (`Scene.audioWindows`); the caller disposes them.
 * @param smooth Whether audio smoothing is on at this step (`Scene.smoothingOn`).
 * @param lr The step's learning rate.
 * @param onTiming Receives where the step's time went (the engine's clocks), once the step succeeded.
 * @returns The loss terms by name, the per-ray errors and the total loss.
 */
export async function parallelStep(
  ctx: StepContext,
  slot: EngineSlot,
  batch: TrainBatch,
  uv: Float32Array,
  windows: tf.Tensor3D,
  smooth: boolean,
  lr: number,
  onTiming: (timing: StepTiming) => void,
): Promise<{ losses: Record<string, number>; rayErrors: Float32Array; total: number }> {
  const cfg = ctx.config;
  const threads = cfg.train.threads ?? 1;
  slot.engine ??= await DataParallel.create<FrameRenderSetup, SspShare>({
    module: new URL("./ssp_share_loss.ts", import.meta.url),
    init: ctx.scene.setup,
    threads,
    replica: replicaOf(ctx.scene.model, ctx.scene.setup),
  });
  const { rays } = batch;
  const ranges = shareRanges(rays.n, threads, OWN_RAY_SCALE);
  const base = cfg.points.perturb ? ctx.rng.int(0x100000000) : null;
  const whole: SspShare = {
    n: rays.n,
    origins: rays.origins,
    dirs: rays.dirs,
    background: rays.background,
    target: batch.target,
    uv,
    tCoarse: batch.tCoarse,
    labels: batch.labels,
    windows: windows.dataSync() as Float32Array,
    windowsShape: windows.shape,
    smooth,
    eye: batch.meta.eye,
    c2w: batch.meta.c2w,
    imgId: batch.meta.imgId,
    seed: null,
  };
  // A distinct seed per share, all from one draw of the trainer's generator.
  const seeds = ranges.map((_, i) => base === null ? null : (base ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0);
  const shares = splitShare(whole, ranges, seeds);
  const weights = ranges.map(([, , w]) => w);
  let r: ParallelStepResult;
  try {
    // Adam on the flat parameters in the engine's shared memory, split by range over the threads: no
    // gradient tensors, the serial part of the step shrinks, and the workers read the new parameters
    // from where the update wrote them.
    r = await slot.engine.step(shares, weights, { adam: ctx.optimizer, lr });
  } catch (e) {
    slot.engine = undefined; // the engine disposed itself (workers terminated)
    throw e;
  }
  onTiming(r.timing);
  const merged = mergeExtras(r.extras, weights);
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(merged)) if (typeof v === "number") losses[k] = v;
  return { losses, rayErrors: merged.rayErrors as Float32Array, total: r.loss };
}
