/**
 * Training of an SSP-NeRF model on one dataset, one step in stages (as nerfstudio's models): sample a
 * batch (one training frame per step, as AD-NeRF; its rays chosen by the configured pixel sampler, their
 * depths within the occupied interval when empty-space skipping is on) -> model outputs (a coarse and an
 * optional fine pass) -> a dictionary of losses weighted by the config's `loss` section -> Adam with
 * exponential learning-rate decay -> after-step hooks (sampler feedback, occupancy update, NaN check,
 * logging). The model and what rendering it needs live in a {@linkcode Scene}, which the trainer holds.
 *
 * With `train.threads` > 1 stages 2 and 3 run data-parallel (lib/train/data_parallel.ts, the loss module
 * lib/train/ssp_share_loss.ts): the batch, drawn here, is split into contiguous shares, one per thread;
 * the gradients are summed in share order and applied here; the workers start at the first step and end
 * with `dispose()`, `releaseWorkers()` or a failed step.
 *
 * The trainer holds the state (scene, optimizer, generator, sampler, engine) and runs stage 4; the other
 * stages are plain functions of a `StepContext`: stage 1 in lib/train/sample_batch.ts, stages 2
 * and 3 in lib/train/local_step.ts (one thread), lib/train/packed_step.ts (webgpu's packed, pipelined
 * reads) and lib/train/parallel_step.ts (`train.threads` > 1).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset, FrameMeta } from "../data/mod.ts";
import {
  createPixelSampler,
  OccupancyGrid,
  type PixelSampler,
  type SemanticDynamicSampler,
} from "../sampling/mod.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { densityAtFor, densityReadsFor } from "../render/density.ts";
import { updateGridAsync } from "../render/render_grid.ts";
import type { RenderedFrame } from "../render/frame.ts";
import { datasetFrameAudio, type FrameAudio, Scene } from "../render/scene.ts";
import { Adam } from "./adam.ts";
import { psnrFromMse } from "./losses.ts";
import type { StepTiming } from "./data_parallel.ts";
import type { SspLossTensors } from "./ssp_share_loss.ts";
import { sampleTrainBatch } from "./sample_batch.ts";
import { lossAndUpdate, stepInputs } from "./local_step.ts";
import { enqueuePackedStep, type PendingStep, pipelineSteps, readPackedStep } from "./packed_step.ts";
import { type EngineSlot, parallelStep } from "./parallel_step.ts";

export {
  type AfterStepHook,
  learningRate,
  type StepLog,
  type StepResult,
  type TrainBatch,
  type TrainerState,
} from "./step_types.ts";
import {
  type AfterStepHook,
  type StepContext,
  type StepLog,
  type StepResult,
  type TrainBatch,
  type TrainerState,
} from "./step_types.ts";

/** Trains one model on one dataset. Create with {@linkcode Trainer.create}; `dispose()` when done. */
export class Trainer {
  /** The model and what rendering it needs. */
  readonly scene: Scene;
  readonly optimizer: Adam;
  readonly history: StepLog[] = [];
  private rng: Rng;
  private sampler: PixelSampler;
  /** After-step hooks: sampler feedback, occupancy update, NaN check (logging follows them). */
  private readonly hooks: AfterStepHook[];
  /** The data-parallel engine, with `train.threads` > 1 (started at the first step). */
  private readonly workers: EngineSlot = {};
  /** Where the time of the last multi-thread step went (the engine's clocks), for benchmarks. */
  lastTiming?: StepTiming;

  private constructor(readonly dataset: Dataset, readonly config: SspNerfConfig) {
    // The sampler first: it may refuse the dataset (pixelSampler.eyeRegion) before any tensor exists.
    this.sampler = createPixelSampler(config.pixelSampler, dataset);
    this.scene = Scene.create(dataset, config);
    this.optimizer = new Adam(this.model.params, { lrScale: this.model.lrScales() });
    this.rng = createRng(config.train.seed);
    this.hooks = [
      (r) => {
        // Per-class sums reduced on the device (webgpu), else the per-ray errors.
        if (r.classErrors) this.semanticSampler()!.updateClassSums(r.classErrors.sums, r.classErrors.counts);
        else if (r.rayErrors) {
          this.sampler.update?.({ frame: r.batch.frame, pixelIds: r.batch.ids, errors: r.rayErrors });
        }
      },
      (r) => this.updateOccupancy(r.batch.meta, r.step),
      (r) => {
        if (!Number.isFinite(r.total)) {
          throw new Error(
            `training diverged at step ${r.step}: the loss is ${r.total} (terms: ${
              JSON.stringify(r.losses)
            }); ` +
              `resume from the last checkpoint with a lower train.lr`,
          );
        }
      },
    ];
  }

  /** Builds a trainer (scene with its model, optimizer, sampler) for a dataset and a config. */
  static create(dataset: Dataset, config: SspNerfConfig): Trainer {
    return new Trainer(dataset, config);
  }

  /** The model being trained (the scene's). */
  get model(): SspNerfModel {
    return this.scene.model;
  }

  /** Near bound of the rays (the scene's). */
  get near(): number {
    return this.scene.near;
  }

  /** Far bound of the rays (the scene's). */
  get far(): number {
    return this.scene.far;
  }

  /** Radius of the scene ball (the scene's). */
  get sceneRadius(): number {
    return this.scene.sceneRadius;
  }

  /** The occupancy grid of empty-space skipping, when `points.occupancy.enabled` (the scene's). */
  get grid(): OccupancyGrid | undefined {
    return this.scene.occupancy;
  }

  /** Number of steps done. */
  get step(): number {
    return this.optimizer.step;
  }

  /** State to store in a checkpoint besides the parameters. */
  state(): TrainerState {
    const s = this.semanticSampler();
    return {
      step: this.optimizer.step,
      rngState: this.rng.state(),
      sampler: s ? s.state() : undefined,
      grid: this.scene.occupancy?.state(),
    };
  }

  /** Restores `state()` (after the parameters and optimizer moments were loaded). */
  restore(state: TrainerState): void {
    this.optimizer.step = state.step;
    this.rng = createRng(state.rngState);
    const s = this.semanticSampler();
    if (s && state.sampler) s.loadState(state.sampler as ReturnType<SemanticDynamicSampler["state"]>);
    if (this.scene.occupancy && state.grid) this.scene.occupancy = OccupancyGrid.fromState(state.grid);
    this.scene.step = state.step;
    this.scene.weightsChanged();
  }

  /** The semantic dynamic sampler, when the config uses it. */
  semanticSampler(): SemanticDynamicSampler | undefined {
    return this.sampler.kind === "semanticDynamic" ? this.sampler as SemanticDynamicSampler : undefined;
  }

  /** Stage 1: a random training frame, its rays (by the pixel sampler) and their depths and targets. */
  async sampleBatch(): Promise<TrainBatch> {
    return await sampleTrainBatch(this.context());
  }

  /** What the stages of a step read and advance of this trainer (taken anew: `restore` replaces the rng). */
  private context(): StepContext {
    return {
      config: this.config,
      dataset: this.dataset,
      scene: this.scene,
      optimizer: this.optimizer,
      rng: this.rng,
      sampler: this.sampler,
      semantic: this.semanticSampler(),
    };
  }

  /**
   * Runs one optimisation step on a random training frame (on `train.threads` threads). On webgpu the
   * step's loss terms, total and sampler feedback come back as one small tensor read with one `await`
   * (see {@linkcode Trainer.trainSteps} to overlap that read with the next step).
   */
  async trainStep(): Promise<StepLog> {
    const t0 = performance.now();
    try {
      const batch = await this.sampleBatch();
      if (this.packedReads(batch)) return await this.finishStep(this.enqueueStep(batch, t0));
      return await this.stepOn(batch, t0);
    } catch (e) {
      // Parameters blown up by the last update can turn the forward pass into NaN before any loss is
      // computed (e.g. NaN rendering weights reaching the importance sampler): that is a divergence too.
      const message = e instanceof Error ? e.message : String(e);
      if (!/\bNaN\b/.test(message) || message.includes("training diverged")) throw e;
      throw new Error(
        `training diverged at step ${
          this.step + 1
        }: ${message}; resume from the last checkpoint with a lower ` +
          `train.lr`,
        { cause: e },
      );
    }
  }

  /** Stages 2 to 4 of a step on the CPU backends or on `train.threads` threads. */
  private async stepOn(batch: TrainBatch, t0: number): Promise<StepLog> {
    const cfg = this.config;
    const scene = this.scene;
    const { rays } = batch;
    const { allocation, lr, smooth, windows, uv } = stepInputs(this.context(), batch);
    let losses: Record<string, number>;
    let rayErrors: Float32Array;
    let total: number;
    if ((cfg.train.threads ?? 1) > 1 && rays.n > 1) {
      try {
        ({ losses, rayErrors, total } = await parallelStep(
          this.context(),
          this.workers,
          batch,
          uv,
          windows,
          smooth,
          lr,
          (timing) => this.lastTiming = timing,
        ));
      } finally {
        tf.dispose(windows);
      }
    } else {
      // Stages 2 and 3 on a CPU backend: the terms and per-ray errors read back synchronously after the
      // update.
      let kept: SspLossTensors;
      let totalT: tf.Scalar;
      try {
        ({ kept, totalT } = lossAndUpdate(this.context(), batch, uv, windows, smooth, lr));
      } finally {
        tf.dispose(windows);
      }
      const read = (t: tf.Tensor) => t.dataSync() as Float32Array;
      try {
        losses = {};
        for (const [name, t] of Object.entries(kept.terms)) losses[name] = read(t)[0];
        rayErrors = read(kept.rayErrors);
        total = read(totalT)[0];
      } finally {
        tf.dispose([totalT, kept.rayErrors, ...Object.values(kept.terms)]);
      }
    }
    scene.step = this.step;
    losses.total = total;
    return await this.afterStep({ step: this.step, batch, losses, total, rayErrors }, lr, t0, allocation);
  }

  /**
   * Runs `count` optimisation steps, as `count` calls of `trainStep` would, except on webgpu: there the
   * read of step k's values (loss terms, total, per-class errors) waits until step k+1 is enqueued, so the
   * GPU's queue never drains while the CPU waits for a read. The price is a one-step lag of the semantic
   * sampler's feedback: step k's errors reach the sampler after step k+1 was sampled, before step k+2 is
   * (`trainStep` feeds them back before step k+1). A step that updates the occupancy grid is read before
   * the next is sampled (the grid and the jitter it draws then stay where `trainStep` has them), and the
   * NaN check of step k fails after step k+1's update. With a stateless pixel sampler (uniform, face box)
   * the steps are exactly `trainStep`'s. On the CPU backends and with `train.threads` > 1 this is
   * `trainStep` in a loop. Nothing is left pending on return, so `state()` and checkpoints between calls
   * see every step's feedback (on a throw, a step enqueued and not read is dropped: its update stays).
   * A log's `ms` runs from its step's sampling to its read, so on webgpu consecutive steps' times overlap.
   * @param count Steps to run (>= 0).
   * @returns Each step's log, in order (also appended to `history`).
   */
  async trainSteps(count: number): Promise<StepLog[]> {
    if (!Number.isInteger(count) || count < 0) throw new Error(`count must be an integer >= 0: got ${count}`);
    const logs: StepLog[] = [];
    if (!this.asyncReads || (this.config.train.threads ?? 1) > 1) {
      for (let i = 0; i < count; i++) logs.push(await this.trainStep());
      return logs;
    }
    return await pipelineSteps(count, {
      occupancyDue: (step) => this.occupancyDue(step),
      sample: () => this.sampleBatch(),
      enqueue: (batch, t0) => this.enqueueStep(batch, t0),
      finish: (p) => this.finishStep(p),
    });
  }

  /** Whether this step's values come back packed in one tensor read asynchronously (webgpu, one thread). */
  private packedReads(batch: TrainBatch): boolean {
    return this.asyncReads && !((this.config.train.threads ?? 1) > 1 && batch.rays.n > 1);
  }

  /** Whether the after-step hooks of the step that ends with `step` steps done update the occupancy grid. */
  private occupancyDue(step: number): boolean {
    return this.scene.occupancy !== undefined && step % this.config.points.occupancy.updateEvery === 0;
  }

  /** Stages 2 and 3 on webgpu, enqueued and not read (`enqueuePackedStep`). */
  private enqueueStep(batch: TrainBatch, t0: number): PendingStep {
    return enqueuePackedStep(this.context(), batch, t0);
  }

  /** Reads a step enqueued by `enqueueStep` (one `await`), then runs its hooks and logs it. */
  private async finishStep(p: PendingStep): Promise<StepLog> {
    return await this.afterStep(await readPackedStep(p), p.lr, p.t0, p.allocation);
  }

  /** Stage 4: the after-step hooks, then the log. */
  private async afterStep(
    result: StepResult,
    lr: number,
    t0: number,
    allocation: number[] | undefined,
  ): Promise<StepLog> {
    for (const hook of this.hooks) await hook(result);
    const { losses } = result;
    const photometric = losses.rgb_fine ?? losses.rgb;
    const log: StepLog = {
      step: result.step,
      lr,
      imgId: result.batch.meta.imgId,
      losses,
      psnr: psnrFromMse(photometric),
      ms: performance.now() - t0,
      allocation,
    };
    this.history.push(log);
    return log;
  }

  /** Threads of the running data-parallel engine (1 when none runs). */
  get threads(): number {
    return this.workers.engine?.threads ?? 1;
  }

  /** Terminates the gradient workers, if any (they start again at the next multi-thread step). */
  releaseWorkers(): void {
    this.workers.engine?.dispose();
    this.workers.engine = undefined;
  }

  /** Occupancy update (every `points.occupancy.updateEvery` steps): density at jittered cell centres
   * under this frame's audio and pose (no gradient). */
  private async updateOccupancy(meta: FrameMeta, step: number): Promise<void> {
    const grid = this.scene.occupancy;
    if (!grid || !this.occupancyDue(step)) return;
    const scene = this.scene;
    const audio = datasetFrameAudio(this.dataset, meta);
    const options = { jitter: this.rng, threshold: this.config.points.occupancy.threshold };
    if (this.asyncReads) {
      // The same grid and generator state as the synchronous update (tested in lib/render).
      const codes = await scene.frameCodesAsync(meta.c2w, audio);
      await updateGridAsync(grid, densityReadsFor(this.model, scene.setup, codes), options);
    } else {
      grid.update(densityAtFor(this.model, scene.setup, scene.frameCodes(meta.c2w, audio)), options);
    }
  }

  /** Whether this trainer reads tensors back asynchronously (GPU backends, where a synchronous read of a
   * GPU tensor throws in Deno). */
  private get asyncReads(): boolean {
    return tf.getBackend() === "webgpu";
  }

  /** Renders a frame with the model as it is now (`scene.renderFrame`). */
  renderFrame(c2w: Float32Array, audio: FrameAudio): RenderedFrame {
    return this.scene.renderFrame(c2w, audio);
  }

  /** Renders a dataset frame with its own pose and audio (`scene.renderDatasetFrame`). */
  renderDatasetFrame(meta: FrameMeta): RenderedFrame {
    return this.scene.renderDatasetFrame(meta);
  }

  dispose(): void {
    this.releaseWorkers();
    this.scene.dispose();
    this.optimizer.dispose();
  }
}
