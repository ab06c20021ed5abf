/**
 * Stages 2 and 3 of a training step on the calling thread (the CPU backends and webgpu with one thread):
 * the model's outputs, the losses weighted by the config's loss section, and the Adam update, with the
 * loss terms and per-ray errors kept as tensors to read after the update.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type SspLossTensors, sspLossTensors } from "./ssp_share_loss.ts";
import { pixelUv } from "../render/frame.ts";
import { learningRate, type StepContext, type TrainBatch } from "./step_types.ts";

/** What stages 2 and 3 of a step read besides the batch, the same on every path. */
export interface StepInputs {
  /** The learning rate of this step. */
  readonly lr: number;
  /** Whether audio smoothing is on at this step. */
  readonly smooth: boolean;
  /** The frame's audio windows (the caller disposes them). */
  readonly windows: tf.Tensor3D;
  /** The rays' pixel coordinates. */
  readonly uv: Float32Array;
  /** The semantic sampler's allocation of this batch, for the log. */
  readonly allocation?: number[];
}

/**
 * The inputs of a step's stages 2 and 3 for a batch (one place for the CPU, webgpu and data-parallel paths).
 * @param ctx The trainer's step context.
 * @param batch The step's batch.
 * @returns Learning rate, smoothing, audio windows (to dispose), pixel coordinates and the allocation.
 */
export function stepInputs(ctx: StepContext, batch: TrainBatch): StepInputs {
  const smooth = ctx.scene.smoothingOn();
  return {
    allocation: ctx.semantic?.lastAllocation(),
    lr: learningRate(ctx.config.train, ctx.optimizer.step),
    smooth,
    windows: ctx.scene.audioWindows(ctx.dataset.audio!, batch.meta.audId, smooth),
    uv: pixelUv(batch.ids, batch.frame.width, batch.frame.height),
  };
}

/**
 * Stages 2 and 3 (model outputs, the losses by name weighted by the config's loss section, the update),
 * keeping the terms and per-ray errors as tensors to read after the update.
 * @param ctx The trainer's step context (its generator jitters the fine samples when `points.perturb`).
 * @param batch The step's batch (stage 1).
 * @param uv The rays' pixel centres in [-1, 1]^2 (`pixelUv`), [n, 2].
 * @param windows The frame's audio windows (`Scene.audioWindows`); the caller disposes them.
 * @param smooth Whether audio smoothing is on at this step (`Scene.smoothingOn`).
 * @param lr The step's learning rate.
 * @returns The kept terms and per-ray errors, and the total loss; the caller disposes them.
 */
export function lossAndUpdate(
  ctx: StepContext,
  batch: TrainBatch,
  uv: Float32Array,
  windows: tf.Tensor3D,
  smooth: boolean,
  lr: number,
): { kept: SspLossTensors; totalT: tf.Scalar } {
  const cfg = ctx.config;
  const { meta, rays, labels } = batch;
  let kept: SspLossTensors | undefined;
  const totalT = ctx.optimizer.minimizeTensor(() => {
    const r = sspLossTensors(ctx.scene.model, ctx.scene.setup, {
      rays,
      uv,
      tCoarse: batch.tCoarse,
      target: batch.target,
      labels,
      windows,
      smooth,
      eye: meta.eye,
      c2w: meta.c2w,
      imgId: meta.imgId,
      rng: cfg.points.perturb ? ctx.rng : null,
    });
    kept = r;
    tf.keep(r.rayErrors);
    for (const t of Object.values(r.terms)) tf.keep(t);
    return r.loss;
  }, lr);
  return { kept: kept!, totalT };
}
