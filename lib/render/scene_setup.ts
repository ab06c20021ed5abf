/**
 * What rendering needs besides the model, as plain data (structured-clonable, so a worker can hold a
 * copy): the camera, the static background, the scene's bounds and radius, the pose-code normalisation
 * and the parsing classes ({@linkcode FrameRenderSetup}), computed once from a dataset; and what one
 * frame adds ({@linkcode FrameCodes}: its pose and codes).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset, Intrinsics, Palette } from "../data/mod.ts";
import { imageToFloat } from "../io/mod.ts";
import { nearFarFromPoses } from "../camera/mod.ts";
import { smoothingWindow } from "../audio/mod.ts";
import { type ModelDims, SspNerfModel } from "../model/ssp_model.ts";
import { poseCodeNormalization, type PoseCodeOptions, TORSO_CLASSES } from "../torso/mod.ts";
import type { PassOptions } from "./render_rays.ts";

/** Audio features of a clip: one [16, D] window per video frame. */
export interface AudioFeatures {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/** Everything besides the model and the frame that rendering needs; plain data (structured-clonable). */
export interface FrameRenderSetup {
  readonly config: SspNerfConfig;
  /** Sizes the model takes from the dataset. */
  readonly modelDims: ModelDims;
  /** Camera of the rendered image (may differ from the dataset's, e.g. scaled with `scaleIntrinsics`). */
  readonly intrinsics: Intrinsics;
  /** Static background at the rendered size, RGB in [0, 1], HWC. */
  readonly background: Float32Array;
  readonly near: number;
  readonly far: number;
  /** Positions are divided by it before the field (see {@linkcode sceneBounds}). */
  readonly sceneRadius: number;
  /** Pose-code normalisation of the training cameras. */
  readonly poseNorm: Required<PoseCodeOptions>;
  /** Torso class and torso-like classes of the parsing palette, when the data has parsing. */
  readonly classes?: { readonly torso: number; readonly torsoLike: readonly number[] };
  /** Image ids of the training frames, in the dataset's order (per-frame pose codes, `pose.frameCode`). */
  readonly trainImgIds: readonly number[];
}

/** One frame to render: its camera pose and the codes the model is conditioned on. */
export interface FrameCodes {
  /** Camera-to-world, row-major 4x4. */
  readonly c2w: Float32Array;
  /** The code the field reads, [A] or, with eye conditioning, [A + E] (the model's `frameCode`). */
  readonly aud: Float32Array;
  /** Pose code, [P]. */
  readonly pose: Float32Array;
}

/** The torso class and torso-like classes (neck, torso) of a palette, as the renderer needs them. */
export function renderClasses(palette: Palette | undefined): FrameRenderSetup["classes"] {
  if (!palette) return undefined;
  const torsoLike = TORSO_CLASSES[palette.name];
  return { torso: torsoLike[torsoLike.length - 1], torsoLike };
}

/**
 * The scene's extent from the training cameras: the radius of the scene ball around the canonical
 * origin, boundsMargin x the mean camera distance (scale-free across trackers' units; positions are
 * divided by it before the field sees them), and the near/far bounds of the rays through that ball.
 * @param c2ws Training camera-to-world poses (row-major 4x4).
 * @param boundsMargin `points.boundsMargin`.
 */
export function sceneBounds(
  c2ws: readonly Float32Array[],
  boundsMargin: number,
): { readonly sceneRadius: number; readonly near: number; readonly far: number } {
  const sceneRadius = boundsMargin * c2ws.reduce((s, m) => s + Math.hypot(m[3], m[7], m[11]), 0) /
    c2ws.length;
  const { near, far } = nearFarFromPoses(c2ws, { radius: sceneRadius });
  return { sceneRadius, near, far };
}

/**
 * The render setup of a dataset's own camera. To render at another size, replace `intrinsics` (e.g.
 * `scaleIntrinsics(setup.intrinsics, 2)`) and `background` (resampled to that size) in the result.
 * @param dataset The training data (cameras, background, palette, audio width).
 * @param config The model's configuration.
 */
export function sceneSetup(dataset: Dataset, config: SspNerfConfig): FrameRenderSetup {
  if (!dataset.audio) {
    throw new Error(
      `${dataset.root}: the dataset has no audio features (aud.npy): an audio-driven model needs them`,
    );
  }
  if (dataset.train.length === 0) throw new Error(`${dataset.root}: transforms_train.json lists no frames`);
  if (config.eye?.enabled) requireEyeSignal(dataset);
  const c2ws = dataset.train.map((f) => f.c2w);
  const { sceneRadius, near, far } = sceneBounds(c2ws, config.points.boundsMargin);
  return {
    config,
    modelDims: { audioFeatureDim: dataset.audio.shape[2], numClasses: dataset.numClasses },
    intrinsics: dataset.intrinsics,
    background: imageToFloat(dataset.background),
    near,
    far,
    sceneRadius,
    poseNorm: poseCodeNormalization(c2ws),
    classes: renderClasses(dataset.palette),
    trainImgIds: dataset.train.map((f) => f.imgId),
  };
}

/**
 * Checks that every frame of a dataset has an eye openness, as eye conditioning (`eye.enabled`) needs.
 * @throws Naming the dataset and the sources the loader looked for.
 */
export function requireEyeSignal(dataset: Dataset): void {
  const missing = [...dataset.train, ...dataset.val].filter((f) => f.eye === undefined);
  if (missing.length === 0) return;
  throw new Error(
    `${dataset.root}: eye.enabled conditions the model on each frame's eye openness, but ${missing.length} ` +
      `frame(s) have none (first: img_id ${
        missing[0].imgId
      }); the loader looked for an "eye" field on every ` +
      `frame of transforms_train.json and transforms_val.json, the AU45_r column of an OpenFace au.csv, and ` +
      `the 68 landmarks (<img_id>.lms)${dataset.eyeNote ? ` (${dataset.eyeNote})` : ""}: add one of them, ` +
      `or set eye.enabled to false`,
  );
}

/** The pass options of a config and scene radius. */
export function passOptionsFor(config: SspNerfConfig, sceneRadius: number): PassOptions {
  const f = config.field;
  return {
    positionScale: 1 / sceneRadius,
    backgroundClass: 0,
    posFreqs: f.kind === "mlp" ? f.posFreqs : 0,
    dirFreqs: f.dirFreqs,
    viewDirs: f.viewDirs,
    background: config.background.mode,
  };
}

/** Whether frames of the setup have a parsing map. */
export function setupParses(setup: FrameRenderSetup): boolean {
  return setup.config.parsing.enabled && setup.modelDims.numClasses > 0;
}

/**
 * Feature windows for the frame `index` of `audio`: [S, 16, D], S = 1, or `audio.smoothing.seqLen`
 * neighbours (centred) when `smooth`.
 * @param setup The render setup (config, the audio width the model was trained on).
 * @param audio The clip's features.
 * @param index Frame of the clip.
 * @param smooth Whether the model smooths the codes (attention over neighbours).
 */
export function audioWindows(
  setup: FrameRenderSetup,
  audio: AudioFeatures,
  index: number,
  smooth: boolean,
): tf.Tensor3D {
  const [n, w, d] = audio.shape;
  const trained = setup.modelDims.audioFeatureDim;
  if (d !== trained) {
    throw new Error(
      `audio features have width D = ${d}, but the model was trained on D = ${trained} ` +
        `(use the same feature extractor as the training data)`,
    );
  }
  if (index < 0 || index >= n) {
    throw new Error(`audio frame ${index} is out of range: the audio has ${n} frames`);
  }
  const ids = smooth ? smoothingWindow(index, n, setup.config.audio.smoothing.seqLen) : Int32Array.of(index);
  const out = new Float32Array(ids.length * w * d);
  for (let i = 0; i < ids.length; i++) {
    out.set(audio.data.subarray(ids[i] * w * d, (ids[i] + 1) * w * d), i * w * d);
  }
  return tf.tensor3d(out, [ids.length, w, d]);
}

/** Builds a model for a setup (random weights: load the trained ones with `loadParams`). */
export function modelForSetup(setup: FrameRenderSetup): SspNerfModel {
  const { poseNorm, intrinsics, sceneRadius, trainImgIds } = setup;
  return new SspNerfModel(setup.config, setup.modelDims, { poseNorm, intrinsics, sceneRadius, trainImgIds });
}
