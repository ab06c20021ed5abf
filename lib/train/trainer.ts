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
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset, FrameMeta } from "../data/mod.ts";
import { raysForPixels } from "../camera/mod.ts";
import {
  createPixelSampler,
  hitIndices,
  OccupancyGrid,
  type PixelSampler,
  type SemanticDynamicSampler,
  stratifiedInIntervals,
  stratifiedSamples,
} from "../sampling/mod.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { densityAtFor, densityReadsFor } from "../render/density.ts";
import { updateGridAsync } from "../render/render_grid.ts";
import { gatherPixels, pixelUv, type RenderedFrame } from "../render/frame.ts";
import type { FrameRenderSetup } from "../render/scene_setup.ts";
import { type FrameAudio, Scene } from "../render/scene.ts";
import { Adam } from "./adam.ts";
import { psnrFromMse } from "./losses.ts";
import {
  DataParallel,
  mergeExtras,
  type ParallelStepResult,
  shareRanges,
  type StepTiming,
} from "./data_parallel.ts";
import {
  classSums,
  replicaOf,
  splitShare,
  type SspLossTensors,
  sspLossTensors,
  type SspShare,
} from "./ssp_share_loss.ts";

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
  learningRate,
  type StepLog,
  type StepResult,
  type TrainBatch,
  type TrainerState,
} from "./step_types.ts";

/** A step enqueued on webgpu whose packed values are not read yet (`Trainer.enqueueStep`). */
interface PendingStep {
  readonly batch: TrainBatch;
  readonly lr: number;
  /** When the step started (its sampling), for the log's ms. */
  readonly t0: number;
  /** Steps done after its update. */
  readonly step: number;
  /** The sampler's allocation of its batch. */
  readonly allocation?: number[];
  /** Its loss terms' names, in the order of the packed values. */
  readonly names: string[];
  /** [terms..., total, feedback...] (see `enqueueStep`). */
  readonly packed: tf.Tensor1D;
  /** Rays per class when the feedback is per-class sums. */
  readonly classCounts?: Int32Array;
  /** Whether the feedback is the per-ray errors. */
  readonly perRay: boolean;
}

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
  private engine?: DataParallel<SspShare>;
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
    const cfg = this.config;
    const ds = this.dataset;
    const scene = this.scene;
    const meta = ds.train[this.rng.int(ds.train.length)];
    const img = await ds.imageFloat(meta.imgId);
    const useSem = cfg.parsing.enabled && ds.numClasses > 0;
    const parsing = ds.has.parsing ? await ds.parsing(meta.imgId) : undefined;
    const { width, height } = ds.intrinsics;
    // Landmarks for the eye-region sampler only (which refuses a dataset without them); else as before.
    const eyes = cfg.pixelSampler.kind === "semanticDynamic" && cfg.pixelSampler.eyeRegion;
    const landmarks = eyes ? await ds.landmarks(meta.imgId) : undefined;
    const frame = { width, height, faceRect: meta.faceRect, parsing, ...(landmarks && { landmarks }) };
    let ids = this.sampler.sample(frame, cfg.train.raysPerStep, this.rng);
    let rays = raysForPixels(meta.c2w, ids, ds.intrinsics);
    const jitter = cfg.points.perturb ? this.rng : null;
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

  /**
   * Runs one optimisation step on a random training frame (on `train.threads` threads). On webgpu the
   * step's loss terms, total and sampler feedback come back as one small tensor read with one `await`
   * (see {@linkcode Trainer.trainSteps} to overlap that read with the next step).
   */
  async trainStep(): Promise<StepLog> {
    const t0 = performance.now();
    const batch = await this.sampleBatch();
    if (this.packedReads(batch)) return await this.finishStep(this.enqueueStep(batch, t0));
    return await this.stepOn(batch, t0);
  }

  /** Stages 2 to 4 of a step on the CPU backends or on `train.threads` threads. */
  private async stepOn(batch: TrainBatch, t0: number): Promise<StepLog> {
    const cfg = this.config;
    const scene = this.scene;
    const allocation = this.semanticSampler()?.lastAllocation();
    const { meta, ids, rays } = batch;
    const lr = learningRate(cfg.train, this.step);
    const smooth = scene.smoothingOn();
    const windows = scene.audioWindows(this.dataset.audio!, meta.audId, smooth);
    const uv = pixelUv(ids, batch.frame.width, batch.frame.height);
    let losses: Record<string, number>;
    let rayErrors: Float32Array;
    let total: number;
    if ((cfg.train.threads ?? 1) > 1 && rays.n > 1) {
      try {
        ({ losses, rayErrors, total } = await this.parallelStep(batch, uv, windows, smooth, lr));
      } finally {
        tf.dispose(windows);
      }
    } else {
      // Stages 2 and 3 on a CPU backend: the terms and per-ray errors read back synchronously after the
      // update.
      let kept: SspLossTensors;
      let totalT: tf.Scalar;
      try {
        ({ kept, totalT } = this.lossAndUpdate(batch, uv, windows, smooth, lr));
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
    let pending: PendingStep | undefined;
    try {
      for (let i = 0; i < count; i++) {
        if (pending && this.occupancyDue(pending.step)) {
          const done = pending;
          pending = undefined;
          logs.push(await this.finishStep(done));
        }
        const t0 = performance.now();
        const batch = await this.sampleBatch();
        const done = pending;
        pending = this.enqueueStep(batch, t0);
        if (done) logs.push(await this.finishStep(done));
      }
      if (pending) {
        const done = pending;
        pending = undefined;
        logs.push(await this.finishStep(done));
      }
    } finally {
      pending?.packed.dispose();
    }
    return logs;
  }

  /** Whether this step's values come back packed in one tensor read asynchronously (webgpu, one thread). */
  private packedReads(batch: TrainBatch): boolean {
    return this.asyncReads && !((this.config.train.threads ?? 1) > 1 && batch.rays.n > 1);
  }

  /** Whether the after-step hooks of the step that ends with `step` steps done update the occupancy grid. */
  private occupancyDue(step: number): boolean {
    return this.scene.occupancy !== undefined && step % this.config.points.occupancy.updateEvery === 0;
  }

  /**
   * Stages 2 and 3 (model outputs, the losses by name weighted by the config's loss section, the update),
   * keeping the terms and per-ray errors as tensors to read after the update.
   */
  private lossAndUpdate(
    batch: TrainBatch,
    uv: Float32Array,
    windows: tf.Tensor3D,
    smooth: boolean,
    lr: number,
  ): { kept: SspLossTensors; totalT: tf.Scalar } {
    const cfg = this.config;
    const { meta, rays, labels } = batch;
    let kept: SspLossTensors | undefined;
    const totalT = this.optimizer.minimizeTensor(() => {
      const r = sspLossTensors(this.model, this.scene.setup, {
        rays,
        uv,
        tCoarse: batch.tCoarse,
        target: batch.target,
        labels,
        windows,
        smooth,
        eye: meta.eye,
        c2w: meta.c2w,
        rng: cfg.points.perturb ? this.rng : null,
      });
      kept = r;
      tf.keep(r.rayErrors);
      for (const t of Object.values(r.terms)) tf.keep(t);
      return r.loss;
    }, lr);
    return { kept: kept!, totalT };
  }

  /**
   * Stages 2 and 3 on webgpu, enqueued and not read: the update, then one tensor packing what the hooks
   * and the log need, [terms..., total, feedback...]. The feedback is, for the semantic dynamic sampler
   * (with a parsing map), the squared errors summed per class of the rays' pixels (`classSums`: one number
   * per class crosses, not one per ray; the ray counts per class are known here); for another sampler that
   * takes feedback (none today), the per-ray errors; otherwise nothing.
   */
  private enqueueStep(batch: TrainBatch, t0: number): PendingStep {
    const cfg = this.config;
    const scene = this.scene;
    const { meta, ids } = batch;
    const allocation = this.semanticSampler()?.lastAllocation();
    const lr = learningRate(cfg.train, this.step);
    const smooth = scene.smoothingOn();
    const windows = scene.audioWindows(this.dataset.audio!, meta.audId, smooth);
    const uv = pixelUv(ids, batch.frame.width, batch.frame.height);
    let kept: SspLossTensors;
    let totalT: tf.Scalar;
    try {
      ({ kept, totalT } = this.lossAndUpdate(batch, uv, windows, smooth, lr));
    } finally {
      tf.dispose(windows);
    }
    const names = Object.keys(kept.terms);
    // The sampler's classes (with its eye region), not the parsing's: its EMA is kept over those.
    const classMap = this.semanticSampler()?.classMap(batch.frame);
    const classes = classMap ? Int32Array.from(ids, (p) => classMap[p]) : undefined;
    let classCounts: Int32Array | undefined;
    const perRay = !classes && this.sampler.update !== undefined;
    let packed: tf.Tensor1D;
    try {
      packed = tf.tidy(() => {
        const parts: tf.Tensor[] = names.map((n) => tf.reshape(kept.terms[n], [1]));
        parts.push(tf.reshape(totalT, [1]));
        if (classes) {
          const c = classSums(kept.rayErrors, classes);
          classCounts = c.counts;
          parts.push(c.sums);
        } else if (perRay) {
          parts.push(kept.rayErrors);
        }
        return tf.concat(parts) as tf.Tensor1D;
      });
    } finally {
      tf.dispose([totalT, kept.rayErrors, ...Object.values(kept.terms)]);
    }
    scene.step = this.step;
    return { batch, lr, t0, step: this.step, allocation, names, packed, classCounts, perRay };
  }

  /** Reads a step enqueued by `enqueueStep` (one `await`), then runs its hooks and logs it. */
  private async finishStep(p: PendingStep): Promise<StepLog> {
    let v: Float32Array;
    try {
      v = await p.packed.data() as Float32Array;
    } finally {
      p.packed.dispose();
    }
    const losses: Record<string, number> = {};
    p.names.forEach((name, i) => losses[name] = v[i]);
    const at = p.names.length;
    const total = v[at];
    losses.total = total;
    const tail = v.slice(at + 1);
    const result: StepResult = {
      step: p.step,
      batch: p.batch,
      losses,
      total,
      rayErrors: p.perRay ? tail : undefined,
      classErrors: p.classCounts ? { sums: tail, counts: p.classCounts } : undefined,
    };
    return await this.afterStep(result, p.lr, p.t0, p.allocation);
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

  /**
   * Stages 2 and 3 on `train.threads` threads: the batch in contiguous shares (one per thread), each
   * share's loss terms means over its rays weighted by its rays / the step's, so the weighted sum is the
   * whole batch's loss; the update (`Adam.applyFlat`) applied here (the workers load these parameters
   * next step). The fine
   * samples' jitter of share i comes from a seed drawn here, once per step.
   */
  private async parallelStep(
    batch: TrainBatch,
    uv: Float32Array,
    windows: tf.Tensor3D,
    smooth: boolean,
    lr: number,
  ): Promise<{ losses: Record<string, number>; rayErrors: Float32Array; total: number }> {
    const cfg = this.config;
    const threads = cfg.train.threads ?? 1;
    this.engine ??= await DataParallel.create<FrameRenderSetup, SspShare>({
      module: new URL("./ssp_share_loss.ts", import.meta.url),
      init: this.scene.setup,
      threads,
      replica: replicaOf(this.model, this.scene.setup),
    });
    const { rays } = batch;
    const ranges = shareRanges(rays.n, threads);
    const base = cfg.points.perturb ? this.rng.int(0x100000000) : null;
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
      seed: null,
    };
    // A distinct seed per share, all from one draw of the trainer's generator.
    const seeds = ranges.map((_, i) => base === null ? null : (base ^ Math.imul(i + 1, 0x9e3779b9)) >>> 0);
    const shares = splitShare(whole, ranges, seeds);
    const weights = ranges.map(([, , w]) => w);
    let r: ParallelStepResult;
    try {
      // Adam on the flat sum in the engine's shared buffer: no gradient tensors, and the workers read
      // the new parameters from where the update wrote them.
      r = await this.engine.step(shares, weights, {
        flat: (layout, g, reached, p) => this.optimizer.applyFlat(layout, g, reached, p, lr),
      });
    } catch (e) {
      this.engine = undefined; // the engine disposed itself (workers terminated)
      throw e;
    }
    this.lastTiming = r.timing;
    const merged = mergeExtras(r.extras, weights);
    const losses: Record<string, number> = {};
    for (const [k, v] of Object.entries(merged)) if (typeof v === "number") losses[k] = v;
    return { losses, rayErrors: merged.rayErrors as Float32Array, total: r.loss };
  }

  /** Threads of the running data-parallel engine (1 when none runs). */
  get threads(): number {
    return this.engine?.threads ?? 1;
  }

  /** Terminates the gradient workers, if any (they start again at the next multi-thread step). */
  releaseWorkers(): void {
    this.engine?.dispose();
    this.engine = undefined;
  }

  /** Occupancy update (every `points.occupancy.updateEvery` steps): density at jittered cell centres
   * under this frame's audio and pose (no gradient). */
  private async updateOccupancy(meta: FrameMeta, step: number): Promise<void> {
    const grid = this.scene.occupancy;
    if (!grid || !this.occupancyDue(step)) return;
    const scene = this.scene;
    const audio = { features: this.dataset.audio!, index: meta.audId, eye: meta.eye };
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
