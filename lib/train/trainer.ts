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
  type PixelSampler,
  type SemanticDynamicSampler,
  stratifiedSamples,
} from "../sampling/mod.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import { smoothingWindow } from "../audio/mod.ts";
import type { PassOptions, RayBatch } from "../model/render_rays.ts";
import { type ModelRenderInputs, renderModel } from "../model/render_model.ts";
import { SspNerfModel } from "../model/ssp_model.ts";
import { poseCodeFromC2w, poseCodeNormalization, type PoseCodeOptions, TORSO_CLASSES } from "../torso/mod.ts";
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
    if (dataset.palette) {
      const torsoLike = TORSO_CLASSES[dataset.palette.name];
      this.classes = { torso: torsoLike[torsoLike.length - 1], torsoLike };
    }
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
    return { step: this.optimizer.step, rngState: this.rng.state(), sampler: s ? s.state() : undefined };
  }

  /** Restores `state()` (after the parameters and optimizer moments were loaded). */
  restore(state: TrainerState): void {
    this.optimizer.step = state.step;
    this.rng = createRng(state.rngState);
    const s = this.semanticSampler();
    if (s && state.sampler) s.loadState(state.sampler as ReturnType<SemanticDynamicSampler["state"]>);
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
    const f = this.config.field;
    return {
      positionScale: 1 / this.sceneRadius,
      backgroundClass: 0,
      posFreqs: f.kind === "mlp" ? f.posFreqs : 0,
      dirFreqs: f.dirFreqs,
      viewDirs: f.viewDirs,
      background: this.config.background.mode,
    };
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
    const n = cfg.train.raysPerStep;
    const ids = this.sampler.sample({ width, height, faceRect: meta.faceRect, parsing }, n, this.rng);
    const { origins, dirs } = raysForPixels(meta.c2w, ids, ds.intrinsics);
    const batch: RayBatch = { n, origins, dirs, background: gatherPixels(this.background, ids) };
    const target = gatherPixels(img, ids);
    const labels = useSem ? Int32Array.from(ids, (p) => parsing![p]) : undefined;
    const tC = stratifiedSamples(
      n,
      this.near,
      this.far,
      cfg.points.numCoarse,
      cfg.points.perturb ? this.rng : null,
    );
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
    const { width, height } = this.dataset.intrinsics;
    const total = width * height;
    const rgb = new Float32Array(total * 3);
    const depth = new Float32Array(total);
    const acc = new Float32Array(total);
    const K = this.config.parsing.enabled ? this.dataset.numClasses : 0;
    const parsing = K > 0 ? new Uint8Array(total) : undefined;
    const opts = this.passOptions();
    const smooth = this.smoothingOn();
    const windows = this.audioWindows(audio.features, audio.index, smooth);
    const aud = tf.tidy(() => this.model.encodeAudio(windows, smooth));
    const pose = this.poseTensor(c2w);
    windows.dispose();
    try {
      for (let start = 0; start < total; start += this.config.render.chunk) {
        const n = Math.min(this.config.render.chunk, total - start);
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) ids[i] = start + i;
        const { origins, dirs } = raysForPixels(c2w, ids, this.dataset.intrinsics);
        const batch: RayBatch = { n, origins, dirs, background: gatherPixels(this.background, ids) };
        const tC = stratifiedSamples(n, this.near, this.far, this.config.points.numCoarse, null);
        const out = tf.tidy(() => {
          const r = renderModel(this.model, {
            batch,
            uv: pixelUv(ids, width, height),
            tCoarse: tC,
            aud,
            pose,
            rng: null,
            pass: opts,
            classes: this.classes,
          });
          const main = r.fine ?? r.coarse;
          const o: tf.Tensor[] = [main.rgb, main.depth, main.accumulation];
          if (main.semantics) o.push(tf.argMax(main.semantics, 1));
          return o;
        });
        rgb.set(out[0].dataSync(), start * 3);
        depth.set(out[1].dataSync(), start);
        acc.set(out[2].dataSync(), start);
        if (parsing && out[3]) parsing.set(out[3].dataSync(), start);
        tf.dispose(out);
      }
    } finally {
      tf.dispose([aud, pose]);
    }
    return { width, height, rgb, depth, accumulation: acc, parsing };
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
