/**
 * Training of an SSP-NeRF model on one dataset: one training frame per step (as AD-NeRF), its rays
 * chosen by the configured pixel sampler, a coarse and an optional fine pass, photometric and parsing
 * losses, Adam with exponential learning-rate decay, NaN detection, checkpoints and resume.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import { validateConfig } from "../config/validate.ts";
import type { Dataset, FrameMeta } from "../data/mod.ts";
import { imageToFloat } from "../io/mod.ts";
import { nearFarFromPoses, raysForPixels } from "../camera/mod.ts";
import {
  createPixelSampler,
  hitIndices,
  OccupancyGrid,
  type PixelSampler,
  type SemanticDynamicSampler,
  stratifiedInIntervals,
  stratifiedSamples,
} from "../sampling/mod.ts";
import {
  buildRenderGrid,
  densityAtFor,
  frameCodes,
  type FrameRenderSetup,
  passOptionsFor,
  renderClasses,
  renderFrameChunks,
  renderSetupFromTrainer,
  type SkipSpace,
} from "./frame_render.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import { smoothingWindow } from "../audio/mod.ts";
import type { PassOptions, RayBatch } from "../model/render_rays.ts";
import { type ModelRenderInputs, renderModel } from "../model/render_model.ts";
import { SspNerfModel } from "../model/ssp_model.ts";
import { poseCodeFromC2w, poseCodeNormalization, type PoseCodeOptions } from "../torso/mod.ts";
import { Adam } from "./adam.ts";
import { mseLoss, psnrFromMse, semanticLoss } from "./losses.ts";

/** Audio features of a clip: one [16, D] window per video frame. */
export interface AudioFeatures {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/** What one training step reports. */
export interface StepLog {
  readonly step: number;
  readonly lr: number;
  readonly imgId: number;
  /** Every loss term by name (e.g. "rgb_fine", "rgb_coarse", "semantic", "total"). */
  readonly losses: Readonly<Record<string, number>>;
  /** PSNR of the step's rays (fine pass, or coarse without one), dB. */
  readonly psnr: number;
  /** Milliseconds the step took. */
  readonly ms: number;
  /** Fraction of the step's rays per parsing class, for the semantic dynamic sampler. */
  readonly allocation?: readonly number[];
}

/** A whole rendered frame. */
export interface RenderedFrame {
  readonly width: number;
  readonly height: number;
  /** RGB in [0, 1], HWC. */
  readonly rgb: Float32Array;
  /** Expected depth per pixel. */
  readonly depth: Float32Array;
  /** Opacity of the field (before the background) per pixel. */
  readonly accumulation: Float32Array;
  /** Most likely class per pixel, when the model parses. */
  readonly parsing?: Uint8Array;
}

/** Pixel values of an HWC float image at the given pixel ids, [n, c]. */
export function gatherPixels(img: Float32Array, ids: Int32Array, channels = 3): Float32Array {
  const out = new Float32Array(ids.length * channels);
  for (let i = 0; i < ids.length; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = img[ids[i] * channels + c];
  }
  return out;
}

/** Learning rate at a step: lr * rate^(step / decaySteps). */
export function learningRate(config: SspNerfConfig["train"], step: number): number {
  return config.lr * config.lrDecayRate ** (step / config.lrDecaySteps);
}

/** Everything a trainer needs to continue where it stopped (written into checkpoints). */
export interface TrainerState {
  readonly step: number;
  readonly rngState: number;
  /** The pixel sampler's statistics (semantic dynamic sampler), when it has any. */
  readonly sampler?: unknown;
  /** The occupancy grid, when empty-space skipping is on. */
  readonly grid?: ReturnType<OccupancyGrid["state"]>;
}

/** Pixel centres of `ids` in [-1, 1]^2 (u right, v down), [n, 2]: the 2-D torso's coordinates. */
export function pixelUv(ids: Int32Array, width: number, height: number): Float32Array {
  const uv = new Float32Array(ids.length * 2);
  for (let i = 0; i < ids.length; i++) {
    uv[2 * i] = ((ids[i] % width) + 0.5) / width * 2 - 1;
    uv[2 * i + 1] = (Math.floor(ids[i] / width) + 0.5) / height * 2 - 1;
  }
  return uv;
}

/** Trains one model on one dataset. Create with {@linkcode Trainer.create}; `dispose()` when done. */
export class Trainer {
  readonly model: SspNerfModel;
  readonly optimizer: Adam;
  readonly near: number;
  readonly far: number;
  /** Radius of the scene ball around the canonical origin: boundsMargin x the mean camera distance
   * (scale-free across trackers' units). Positions are divided by it before the field sees them. */
  readonly sceneRadius: number;
  readonly history: StepLog[] = [];
  private rng: Rng;
  private sampler: PixelSampler;
  private readonly background: Float32Array;
  private readonly audioFeatureDim: number;
  private readonly poseNorm: Required<PoseCodeOptions>;
  private readonly classes?: ModelRenderInputs["classes"];
  /** The occupancy grid of empty-space skipping, when `points.occupancy.enabled`. */
  grid?: OccupancyGrid;
  private setupCache?: FrameRenderSetup;
  private renderGridCache?: { readonly step: number; readonly grid: OccupancyGrid };

  private constructor(readonly dataset: Dataset, readonly config: SspNerfConfig) {
    validateConfig(config, `config "${config.name}"`);
    if (!dataset.audio) {
      throw new Error(
        `${dataset.root}: the dataset has no audio features (aud.npy): an audio-driven model needs them`,
      );
    }
    if (dataset.train.length === 0) throw new Error(`${dataset.root}: transforms_train.json lists no frames`);
    this.audioFeatureDim = dataset.audio.shape[2];
    this.model = new SspNerfModel(config, {
      audioFeatureDim: this.audioFeatureDim,
      numClasses: dataset.numClasses,
    });
    this.optimizer = new Adam(this.model.params, { lrScale: this.model.lrScales() });
    this.rng = createRng(config.train.seed);
    this.sampler = createPixelSampler(config.pixelSampler);
    const c2ws = dataset.train.map((f) => f.c2w);
    this.sceneRadius = config.points.boundsMargin *
      c2ws.reduce((s, m) => s + Math.hypot(m[3], m[7], m[11]), 0) /
      c2ws.length;
    const bounds = nearFarFromPoses(c2ws, { radius: this.sceneRadius });
    this.near = bounds.near;
    this.far = bounds.far;
    this.background = imageToFloat(dataset.background);
    this.poseNorm = poseCodeNormalization(c2ws);
    if (config.points.occupancy.enabled) {
      this.grid = new OccupancyGrid({ resolution: config.points.occupancy.resolution });
    }
    this.classes = renderClasses(dataset.palette);
  }

  /** Builds a trainer (model, optimizer, sampler) for a dataset and a config. */
  static create(dataset: Dataset, config: SspNerfConfig): Trainer {
    return new Trainer(dataset, config);
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
      grid: this.grid?.state(),
    };
  }

  /** Restores `state()` (after the parameters and optimizer moments were loaded). */
  restore(state: TrainerState): void {
    this.optimizer.step = state.step;
    this.rng = createRng(state.rngState);
    const s = this.semanticSampler();
    if (s && state.sampler) s.loadState(state.sampler as ReturnType<SemanticDynamicSampler["state"]>);
    if (this.grid && state.grid) this.grid = OccupancyGrid.fromState(state.grid);
    this.renderGridCache = undefined;
  }

  /** The plain-data render setup of this trainer (camera, background, bounds), built once. */
  renderSetup(): FrameRenderSetup {
    return this.setupCache ??= renderSetupFromTrainer(this);
  }

  /** The semantic dynamic sampler, when the config uses it. */
  semanticSampler(): SemanticDynamicSampler | undefined {
    return this.sampler.kind === "semanticDynamic" ? this.sampler as SemanticDynamicSampler : undefined;
  }

  /** The frame's pose code, [1, P]. */
  private poseTensor(c2w: Float32Array): tf.Tensor2D {
    const code = poseCodeFromC2w(c2w, this.poseNorm);
    return tf.tensor2d(code, [1, code.length]);
  }

  private passOptions(): PassOptions {
    return passOptionsFor(this.config, this.sceneRadius);
  }

  /** Whether audio smoothing is active at the current step. */
  private smoothingOn(): boolean {
    const s = this.config.audio.smoothing;
    return s.enabled && this.step >= s.startStep;
  }

  /** Feature windows for the frame `audId` of `audio`: [S, 16, D]. */
  audioWindows(audio: AudioFeatures, audId: number, smooth: boolean): tf.Tensor3D {
    const [n, w, d] = audio.shape;
    if (d !== this.audioFeatureDim) {
      throw new Error(
        `audio features have width D = ${d}, but the model was trained on D = ${this.audioFeatureDim} ` +
          `(use the same feature extractor as the training data)`,
      );
    }
    if (audId < 0 || audId >= n) {
      throw new Error(`audio frame ${audId} is out of range: the audio has ${n} frames`);
    }
    const ids = smooth ? smoothingWindow(audId, n, this.config.audio.smoothing.seqLen) : Int32Array.of(audId);
    const out = new Float32Array(ids.length * w * d);
    for (let i = 0; i < ids.length; i++) {
      out.set(audio.data.subarray(ids[i] * w * d, (ids[i] + 1) * w * d), i * w * d);
    }
    return tf.tensor3d(out, [ids.length, w, d]);
  }

  /** Runs one optimisation step on a random training frame. */
  async trainStep(): Promise<StepLog> {
    const t0 = performance.now();
    const cfg = this.config;
    const ds = this.dataset;
    const meta = ds.train[this.rng.int(ds.train.length)];
    const img = await ds.imageFloat(meta.imgId);
    const useSem = cfg.parsing.enabled && ds.numClasses > 0;
    const parsing = ds.has.parsing ? await ds.parsing(meta.imgId) : undefined;
    const { width, height } = ds.intrinsics;
    let ids = this.sampler.sample(
      { width, height, faceRect: meta.faceRect, parsing },
      cfg.train.raysPerStep,
      this.rng,
    );
    let rays = raysForPixels(meta.c2w, ids, ds.intrinsics);
    const jitter = cfg.points.perturb ? this.rng : null;
    let tC: Float32Array;
    if (this.grid) {
      // Empty-space skipping: a ray through empty cells only shows the background; train on the others,
      // sampling only their occupied interval. (With no ray hitting anything, fall back to [near, far].)
      const iv = this.grid.rayIntervals(
        rays.origins,
        rays.dirs,
        ids.length,
        this.near,
        this.far,
        1 / this.sceneRadius,
      );
      const keep = hitIndices(iv.hit);
      if (keep.length > 0) {
        const all = ids;
        ids = Int32Array.from(keep, (j) => all[j]);
        rays = { origins: gatherPixels(rays.origins, keep), dirs: gatherPixels(rays.dirs, keep) };
        tC = stratifiedInIntervals(
          Float32Array.from(keep, (j) => iv.tNear[j]),
          Float32Array.from(keep, (j) => iv.tFar[j]),
          keep.length,
          cfg.points.numCoarse,
          jitter,
        );
      } else {
        tC = stratifiedSamples(ids.length, this.near, this.far, cfg.points.numCoarse, jitter);
      }
    } else {
      tC = stratifiedSamples(ids.length, this.near, this.far, cfg.points.numCoarse, jitter);
    }
    const n = ids.length;
    const { origins, dirs } = rays;
    const batch: RayBatch = { n, origins, dirs, background: gatherPixels(this.background, ids) };
    const target = gatherPixels(img, ids);
    const labels = useSem ? Int32Array.from(ids, (p) => parsing![p]) : undefined;
    const lr = learningRate(cfg.train, this.step);
    const smooth = this.smoothingOn();
    const windows = this.audioWindows(ds.audio!, meta.audId, smooth);
    const pose = this.poseTensor(meta.c2w);
    const uv = pixelUv(ids, width, height);
    const losses: Record<string, number> = {};
    let rayErrors: Float32Array | undefined;
    const total = this.optimizer.minimize(() => {
      const aud = this.model.encodeAudio(windows, smooth);
      const targetT = tf.tensor2d(target, [n, 3]);
      const out = renderModel(this.model, {
        batch,
        uv,
        tCoarse: tC,
        aud,
        pose,
        rng: cfg.points.perturb ? this.rng : null,
        pass: this.passOptions(),
        classes: this.classes,
      });
      const main = out.fine ?? out.coarse;
      const terms: [string, tf.Scalar, number][] = [];
      if (out.fine) {
        terms.push(["rgb_fine", mseLoss(out.fine.rgb, targetT), 1]);
        if (cfg.train.coarseWeight > 0) {
          terms.push(["rgb_coarse", mseLoss(out.coarse.rgb, targetT), cfg.train.coarseWeight]);
        }
      } else {
        terms.push(["rgb", mseLoss(out.coarse.rgb, targetT), 1]);
      }
      if (useSem && labels && main.semantics) {
        terms.push(["semantic", semanticLoss(main.semantics, labels), cfg.parsing.lambdaSem]);
        if (out.fine && out.coarse.semantics) {
          terms.push([
            "semantic_coarse",
            semanticLoss(out.coarse.semantics, labels),
            cfg.parsing.lambdaSem * cfg.train.coarseWeight,
          ]);
        }
      }
      if (out.penalty && cfg.torso.kind === "deform3d") {
        terms.push(["deformation", out.penalty, cfg.torso.penalty]);
      }
      rayErrors = tf.sum(tf.squaredDifference(main.rgb, targetT), 1).dataSync() as Float32Array;
      let sum = tf.scalar(0);
      for (const [name, value, weight] of terms) {
        losses[name] = value.dataSync()[0];
        if (weight > 0) sum = tf.add(sum, tf.mul(value, weight));
      }
      return sum as tf.Scalar;
    }, lr);
    tf.dispose([windows, pose]);
    this.sampler.update?.({
      frame: { width, height, faceRect: meta.faceRect, parsing },
      pixelIds: ids,
      errors: rayErrors!,
    });
    if (this.grid && this.step % cfg.points.occupancy.updateEvery === 0) {
      // Density at jittered cell centres under this frame's audio and pose (no gradient).
      const setup = this.renderSetup();
      const codes = frameCodes(this, setup, meta.c2w, { features: ds.audio!, index: meta.audId });
      this.grid.update(densityAtFor(this.model, setup, codes), {
        jitter: this.rng,
        threshold: cfg.points.occupancy.threshold,
      });
    }
    losses.total = total;
    const photometric = losses.rgb_fine ?? losses.rgb;
    if (!Number.isFinite(total)) {
      throw new Error(
        `training diverged at step ${this.step}: the loss is ${total} (terms: ${JSON.stringify(losses)}); ` +
          `resume from the last checkpoint with a lower train.lr`,
      );
    }
    const log: StepLog = {
      step: this.step,
      lr,
      imgId: meta.imgId,
      losses,
      psnr: psnrFromMse(photometric),
      ms: performance.now() - t0,
      allocation: this.semanticSampler()?.lastAllocation(),
    };
    this.history.push(log);
    return log;
  }

  /**
   * Renders a whole frame from a camera pose and an audio frame, in chunks of `render.chunk` rays.
   * Deterministic: midpoint samples and evenly spaced importance samples.
   * @param c2w Camera-to-world pose (row-major 4x4).
   * @param audio Audio features and the frame of them to use.
   */
  renderFrame(c2w: Float32Array, audio: { features: AudioFeatures; index: number }): RenderedFrame {
    const setup = this.renderSetup();
    return renderFrameChunks(this.model, setup, frameCodes(this, setup, c2w, audio), this.renderSkip());
  }

  /**
   * How frames of the model as it is now are rendered: with the training occupancy grid when
   * `points.occupancy` is on (its own interval sampling, as trained); else, when
   * `render.emptySpace.enabled` and the config has no importance samples, with a grid built from the field at this step (`buildRenderGrid` over
   * `render.emptySpace.frames` training frames; built on first use and kept until the step or the weights
   * change) and "aligned" sampling with early ray termination; else undefined (plain sampling).
   */
  renderSkip(): SkipSpace | undefined {
    if (this.grid) return { grid: this.grid, sampling: "interval" };
    const es = this.config.render.emptySpace;
    // Importance samples are drawn from the whole ray's coarse weights: with the coarse samples thinned
    // out, their bins stretch over the skipped stretches (and the fine field has its own density), which
    // moved the paper preset's pixels by up to 0.1 in the bench. Such configs render every sample.
    if (!es.enabled || this.config.points.numFine > 0) return undefined;
    if (this.renderGridCache?.step !== this.step) {
      const setup = this.renderSetup();
      const ds = this.dataset;
      const count = Math.min(es.frames, ds.train.length);
      const frames = Array.from({ length: count }, (_, i) => {
        const meta = ds.train[Math.floor((i * ds.train.length) / count)];
        return frameCodes(this, setup, meta.c2w, { features: ds.audio!, index: meta.audId });
      });
      const grid = buildRenderGrid(this.model, setup, frames, {
        resolution: es.resolution,
        threshold: es.threshold,
      });
      this.renderGridCache = { step: this.step, grid };
    }
    return {
      grid: this.renderGridCache.grid,
      sampling: "aligned",
      minTransmittance: es.minTransmittance,
      roundSamples: es.roundSamples,
    };
  }

  /** Renders a dataset frame with its own pose and audio. */
  renderDatasetFrame(meta: FrameMeta): RenderedFrame {
    return this.renderFrame(meta.c2w, { features: this.dataset.audio!, index: meta.audId });
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }
}
