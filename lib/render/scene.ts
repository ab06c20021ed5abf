/**
 * A trained (or training) scene, ready to render: the model plus everything rendering needs (camera,
 * bounds, scene radius, pose normalisation, background, parsing classes; see {@linkcode FrameRenderSetup}),
 * the occupancy grids of empty-space skipping, and the dataset it was built from (poses, audio). Built
 * once from a dataset and a config, at the start of training (the trainer holds one) or from a checkpoint.
 * It owns no optimizer: rendering, evaluation and videos need only this.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import { validateConfig } from "../config/validate.ts";
import type { Dataset, FrameMeta } from "../data/mod.ts";
import { OccupancyGrid } from "../sampling/mod.ts";
import { SspNerfModel } from "../model/ssp_model.ts";
import { EYE_OPEN } from "../model/eye_code.ts";
import { renderFrameChunks, renderFrameChunksAsync } from "./chunks.ts";
import type { RenderedFrame } from "./frame.ts";
import { buildRenderGrid, buildRenderGridAsync } from "./render_grid.ts";
import {
  type AudioFeatures,
  audioWindows,
  type FrameCodes,
  type FrameRenderSetup,
  sceneSetup,
} from "./scene_setup.ts";
import type { SkipSpace } from "./skip_space.ts";

/** Audio of a frame: a clip's features and the frame of them (and the frame's eye openness). */
export interface FrameAudio {
  readonly features: AudioFeatures;
  readonly index: number;
  /** Eye openness in [0, 1] (1 open, 0 shut), read by models with eye conditioning (`config.eye`).
   * @default {1} (open) */
  readonly eye?: number;
  /**
   * Image id of the dataset frame being rendered, if it is one: with per-frame pose codes
   * (`pose.frameCode`) a training frame renders with its own code, any other frame with the mean code.
   */
  readonly imgId?: number;
}

/**
 * What a dataset frame renders with: the dataset's audio features, the frame's row of them, its eye
 * openness and its image id.
 * @param dataset The dataset (with audio).
 * @param meta One of its frames.
 */
export function datasetFrameAudio(dataset: Dataset, meta: FrameMeta): FrameAudio {
  return { features: dataset.audio!, index: meta.audId, eye: meta.eye, imgId: meta.imgId };
}

/** A model and what rendering it needs. Create with {@linkcode Scene.create}; `dispose()` when done. */
export class Scene {
  readonly model: SspNerfModel;
  /** Camera, background, bounds, pose normalisation, classes (plain data, for workers too). */
  readonly setup: FrameRenderSetup;
  /**
   * Steps the model has been trained for: audio smoothing is on from `audio.smoothing.startStep`, and the
   * render grid is rebuilt when it changes (the trainer advances it; a checkpoint sets it).
   */
  step = 0;
  /** The training occupancy grid, when `points.occupancy.enabled` (training samples and renders with it). */
  occupancy?: OccupancyGrid;
  private renderGridCache?: { readonly step: number; readonly grid: OccupancyGrid };

  private constructor(readonly dataset: Dataset, readonly config: SspNerfConfig) {
    validateConfig(config, `config "${config.name}"`);
    this.setup = sceneSetup(dataset, config);
    const s = this.setup;
    this.model = new SspNerfModel(config, s.modelDims, {
      poseNorm: s.poseNorm,
      intrinsics: s.intrinsics,
      sceneRadius: s.sceneRadius,
      trainImgIds: s.trainImgIds,
    });
    if (config.points.occupancy.enabled) {
      this.occupancy = new OccupancyGrid({ resolution: config.points.occupancy.resolution });
    }
  }

  /**
   * Builds the scene of a dataset and a config, with freshly initialised weights (load trained ones into
   * `model.params`, then set `step`).
   * @param dataset The training data (cameras, background, audio width, palette).
   * @param config The model's configuration (validated here).
   */
  static create(dataset: Dataset, config: SspNerfConfig): Scene {
    return new Scene(dataset, config);
  }

  get near(): number {
    return this.setup.near;
  }

  get far(): number {
    return this.setup.far;
  }

  /** Radius of the scene ball around the canonical origin (see `sceneBounds`). */
  get sceneRadius(): number {
    return this.setup.sceneRadius;
  }

  /** Whether audio smoothing is active at the current step. */
  smoothingOn(): boolean {
    const s = this.config.audio.smoothing;
    return s.enabled && this.step >= s.startStep;
  }

  /** Feature windows of frame `index` of `audio`, [S, 16, D] (see `audioWindows`). */
  audioWindows(audio: AudioFeatures, index: number, smooth: boolean): tf.Tensor3D {
    return audioWindows(this.setup, audio, index, smooth);
  }

  /**
   * The frame's pose code, [1, P] (the model's pose encoder; differentiable in its parameters).
   * @param c2w Camera pose.
   * @param imgId Image id of the dataset frame, if it is one (a training frame's own `pose.frameCode`).
   */
  poseCode(c2w: Float32Array, imgId?: number): tf.Tensor2D {
    return this.model.poseEncoder.encode(c2w, imgId);
  }

  /**
   * The codes of a frame as the model renders it now (audio smoothing on from
   * `audio.smoothing.startStep`; with eye conditioning, the eye code of `audio.eye` after the audio code).
   * @param c2w Camera pose.
   * @param audio Audio features and the frame of them, and the eye openness (default open).
   */
  frameCodes(c2w: Float32Array, audio: FrameAudio): FrameCodes {
    const smooth = this.smoothingOn();
    const windows = this.audioWindows(audio.features, audio.index, smooth);
    const eye = audio.eye ?? EYE_OPEN;
    const [code, pose] = tf.tidy(
      () => [this.model.frameCode(windows, smooth, eye), this.poseCode(c2w, audio.imgId)],
    );
    const aud = code.dataSync() as Float32Array;
    const poseCode = pose.dataSync() as Float32Array;
    tf.dispose([windows, code, pose]);
    return { c2w, aud, pose: poseCode };
  }

  /**
   * Renders a whole frame from a camera pose and an audio frame, in chunks of `render.chunk` rays.
   * Deterministic: midpoint samples and evenly spaced importance samples.
   * @param c2w Camera-to-world pose (row-major 4x4).
   * @param audio Audio features and the frame of them to use.
   */
  renderFrame(c2w: Float32Array, audio: FrameAudio): RenderedFrame {
    return renderFrameChunks(this.model, this.setup, this.frameCodes(c2w, audio), this.renderSkip());
  }

  /** Renders a dataset frame with its own pose, audio and eye openness. */
  renderDatasetFrame(meta: FrameMeta): RenderedFrame {
    return this.renderFrame(meta.c2w, datasetFrameAudio(this.dataset, meta));
  }

  /** {@linkcode Scene.frameCodes} with asynchronous reads (GPU backends); equal to it on CPU backends. */
  async frameCodesAsync(c2w: Float32Array, audio: FrameAudio): Promise<FrameCodes> {
    const smooth = this.smoothingOn();
    const windows = this.audioWindows(audio.features, audio.index, smooth);
    const eye = audio.eye ?? EYE_OPEN;
    const [code, pose] = tf.tidy(
      () => [this.model.frameCode(windows, smooth, eye), this.poseCode(c2w, audio.imgId)],
    );
    tf.dispose(windows);
    try {
      const [aud, poseCode] = await Promise.all([code.data(), pose.data()]) as Float32Array[];
      return { c2w, aud, pose: poseCode };
    } finally {
      tf.dispose([code, pose]);
    }
  }

  /**
   * {@linkcode Scene.renderFrame} with asynchronous reads (`await data()`): how frames render on a GPU
   * backend, where Deno cannot read a tensor synchronously. Bit-identical to `renderFrame` on CPU backends.
   */
  async renderFrameAsync(c2w: Float32Array, audio: FrameAudio): Promise<RenderedFrame> {
    const codes = await this.frameCodesAsync(c2w, audio);
    return renderFrameChunksAsync(this.model, this.setup, codes, await this.renderSkipAsync());
  }

  /** {@linkcode Scene.renderDatasetFrame} with asynchronous reads (see {@linkcode Scene.renderFrameAsync}). */
  renderDatasetFrameAsync(meta: FrameMeta): Promise<RenderedFrame> {
    return this.renderFrameAsync(meta.c2w, datasetFrameAudio(this.dataset, meta));
  }

  /** {@linkcode Scene.renderSkip} with the render grid built with asynchronous reads. */
  async renderSkipAsync(): Promise<SkipSpace | undefined> {
    const es = this.config.render.emptySpace;
    const builds = !this.occupancy && es.enabled && this.config.points.numFine === 0;
    if (builds && this.renderGridCache?.step !== this.step) {
      const step = this.step, ds = this.dataset;
      const count = Math.min(es.frames, ds.train.length);
      const frames = [];
      for (let i = 0; i < count; i++) {
        const meta = ds.train[Math.floor((i * ds.train.length) / count)];
        frames.push(await this.frameCodesAsync(meta.c2w, datasetFrameAudio(ds, meta)));
      }
      const options = { resolution: es.resolution, threshold: es.threshold };
      this.renderGridCache = {
        step,
        grid: await buildRenderGridAsync(this.model, this.setup, frames, options),
      };
    }
    return this.renderSkip();
  }

  /**
   * How frames of the model as it is now are rendered: with the training occupancy grid when
   * `points.occupancy` is on (its own interval sampling, as trained); else, when
   * `render.emptySpace.enabled` and the config has no importance samples, with a grid built from the field
   * at this step (`buildRenderGrid` over `render.emptySpace.frames` training frames; built on first use
   * and kept until the step changes or {@linkcode Scene.weightsChanged}) and "aligned" sampling with early
   * ray termination; else undefined (plain sampling).
   */
  renderSkip(): SkipSpace | undefined {
    if (this.occupancy) return { grid: this.occupancy, sampling: "interval" };
    const es = this.config.render.emptySpace;
    // Importance samples are drawn from the whole ray's coarse weights: with the coarse samples thinned
    // out, their bins stretch over the skipped stretches (and the fine field has its own density), which
    // moved the paper preset's pixels by up to 0.1 in the bench. Such configs render every sample.
    if (!es.enabled || this.config.points.numFine > 0) return undefined;
    if (this.renderGridCache?.step !== this.step) {
      const ds = this.dataset;
      const count = Math.min(es.frames, ds.train.length);
      const frames = Array.from({ length: count }, (_, i) => {
        const meta = ds.train[Math.floor((i * ds.train.length) / count)];
        return this.frameCodes(meta.c2w, datasetFrameAudio(ds, meta));
      });
      const grid = buildRenderGrid(this.model, this.setup, frames, {
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

  /** Drops the cached render grid (after new weights were loaded at the same step). */
  weightsChanged(): void {
    this.renderGridCache = undefined;
  }

  dispose(): void {
    this.model.dispose();
  }
}
