/**
 * Rendering whole frames chunk by chunk from plain data, so that any thread holding a copy of the model
 * can render any chunk: the same computation as `Trainer.renderFrame` (bit-identical, tested), split into
 * a serialisable {@linkcode FrameRenderSetup} (config, camera, background, bounds), per-frame
 * {@linkcode FrameCodes} (pose, audio code, pose code) and {@linkcode renderChunk} on a pixel range.
 * Optionally with empty-space skipping through an {@linkcode OccupancyGrid} (instant-ngp / RAD-NeRF):
 * rays that cross no occupied cell skip the field, and the others sample only their occupied interval.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import type { Intrinsics, Palette } from "../data/mod.ts";
import { raysForPixels } from "../camera/mod.ts";
import { imageToFloat } from "../io/mod.ts";
import { encodedDim, positionalEncodingJs } from "../encoding/mod.ts";
import { hitIndices, OccupancyGrid, stratifiedInIntervals, stratifiedSamples } from "../sampling/mod.ts";
import type { PassOptions, RayBatch } from "../model/render_rays.ts";
import { renderModel } from "../model/render_model.ts";
import { type ModelDims, SspNerfModel } from "../model/ssp_model.ts";
import type { RadianceField } from "../field/mod.ts";
import {
  poseCodeFromC2w,
  poseCodeNormalization,
  type PoseCodeOptions,
  TORSO_CLASSES,
  torsoWeightFromParsing,
} from "../torso/mod.ts";
import { type AudioFeatures, gatherPixels, pixelUv, type RenderedFrame, type Trainer } from "./trainer.ts";

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
  /** Positions are divided by it before the field (the trainer's scene radius). */
  readonly sceneRadius: number;
  /** Pose-code normalisation of the training cameras. */
  readonly poseNorm: Required<PoseCodeOptions>;
  /** Torso class and torso-like classes of the parsing palette, when the data has parsing. */
  readonly classes?: { readonly torso: number; readonly torsoLike: readonly number[] };
}

/** One frame to render: its camera pose and the codes the model is conditioned on. */
export interface FrameCodes {
  /** Camera-to-world, row-major 4x4. */
  readonly c2w: Float32Array;
  /** Audio code, [A] (the model's `encodeAudio` output). */
  readonly aud: Float32Array;
  /** Pose code, [P]. */
  readonly pose: Float32Array;
}

/** Rendered values of a pixel range [start, start + n). */
export interface ChunkResult {
  readonly start: number;
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly accumulation: Float32Array;
  readonly parsing?: Uint8Array;
  /** Rays that went through the field (all of them without a grid). */
  readonly raysRendered: number;
}

/** The torso class and torso-like classes (neck, torso) of a palette, as the renderer needs them. */
export function renderClasses(palette: Palette | undefined): FrameRenderSetup["classes"] {
  if (!palette) return undefined;
  const torsoLike = TORSO_CLASSES[palette.name];
  return { torso: torsoLike[torsoLike.length - 1], torsoLike };
}

/**
 * The setup of a trainer's own camera and data. To render at another size, replace `intrinsics` (e.g.
 * `scaleIntrinsics(setup.intrinsics, 2)`) and `background` (resampled to that size) in the result.
 * @param trainer A trainer (its dataset, config, bounds).
 */
export function renderSetupFromTrainer(trainer: Trainer): FrameRenderSetup {
  const ds = trainer.dataset;
  const classes = renderClasses(ds.palette);
  return {
    config: trainer.config,
    modelDims: trainer.model.dims,
    intrinsics: ds.intrinsics,
    background: imageToFloat(ds.background),
    near: trainer.near,
    far: trainer.far,
    sceneRadius: trainer.sceneRadius,
    poseNorm: poseCodeNormalization(ds.train.map((f) => f.c2w)),
    classes,
  };
}

/**
 * The codes of a frame as the trainer renders it now (audio smoothing on once the trainer has reached
 * `audio.smoothing.startStep`).
 * @param trainer The trainer whose model encodes the audio.
 * @param setup Its render setup (for the pose normalisation).
 * @param c2w Camera pose.
 * @param audio Audio features and the frame of them.
 */
export function frameCodes(
  trainer: Trainer,
  setup: FrameRenderSetup,
  c2w: Float32Array,
  audio: { readonly features: AudioFeatures; readonly index: number },
): FrameCodes {
  const s = trainer.config.audio.smoothing;
  const smooth = s.enabled && trainer.step >= s.startStep;
  const windows = trainer.audioWindows(audio.features, audio.index, smooth);
  const code = tf.tidy(() => trainer.model.encodeAudio(windows, smooth));
  const aud = code.dataSync() as Float32Array;
  tf.dispose([windows, code]);
  return { c2w, aud, pose: poseCodeFromC2w(c2w, setup.poseNorm) };
}

/** The pass options the trainer uses for a config and scene radius. */
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

function pick(a: Float32Array, idx: Int32Array, c: number): Float32Array {
  const out = new Float32Array(idx.length * c);
  for (let j = 0; j < idx.length; j++) out.set(a.subarray(idx[j] * c, (idx[j] + 1) * c), j * c);
  return out;
}

/**
 * Renders the pixels [start, start + n) of a frame, as `Trainer.renderFrame` renders that chunk
 * (deterministic: midpoint samples, evenly spaced importance samples). See {@linkcode renderPixels}.
 * @param model The model (any thread's copy).
 * @param setup Camera, background, bounds.
 * @param codes The frame.
 * @param start First pixel id.
 * @param n Number of pixels.
 * @param grid Occupancy grid for empty-space skipping, or undefined to sample [near, far].
 * @returns The chunk's values.
 */
export function renderChunk(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  start: number,
  n: number,
  grid?: OccupancyGrid,
): ChunkResult {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = start + i;
  return { ...renderPixels(model, setup, codes, ids, grid), start };
}

/**
 * Renders the given pixels of a frame in one batch (deterministic: midpoint samples, evenly spaced
 * importance samples), with the operations of `Trainer.renderFrame`.
 *
 * With `grid`, each ray samples `numCoarse` points in its occupied interval (`rayIntervals`,
 * `stratifiedInIntervals`) and rays that cross no occupied cell skip the field: they get the background
 * (or, with the image-space torso, the torso layer over it), accumulation 0, depth = far and the
 * background class. The grid covers the box of the scene radius: the field outside it counts as empty.
 * @param model The model (any thread's copy).
 * @param setup Camera, background, bounds.
 * @param codes The frame.
 * @param ids Pixel ids (v * width + u) of the setup's camera.
 * @param grid Occupancy grid for empty-space skipping, or undefined to sample [near, far].
 * @returns Values per pixel in the order of `ids` (`start` is 0).
 */
export function renderPixels(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  grid?: OccupancyGrid,
): ChunkResult {
  const { width, height } = setup.intrinsics;
  const config = setup.config;
  const n = ids.length;
  const { origins, dirs } = raysForPixels(codes.c2w, ids, setup.intrinsics);
  const background = gatherPixels(setup.background, ids);
  const uv = pixelUv(ids, width, height);
  const K = config.parsing.enabled ? setup.modelDims.numClasses : 0;
  const rgb = new Float32Array(n * 3), depth = new Float32Array(n), accumulation = new Float32Array(n);
  const parsing = K > 0 ? new Uint8Array(n) : undefined;
  let sel: Int32Array | null = null;
  let tC: Float32Array;
  if (grid) {
    const iv = grid.rayIntervals(origins, dirs, n, setup.near, setup.far, 1 / setup.sceneRadius);
    sel = hitIndices(iv.hit);
    tC = stratifiedInIntervals(
      pick(iv.tNear, sel, 1),
      pick(iv.tFar, sel, 1),
      sel.length,
      config.points.numCoarse,
      null,
    );
  } else {
    tC = stratifiedSamples(n, setup.near, setup.far, config.points.numCoarse, null);
  }
  const m = sel ? sel.length : n;
  const batch: RayBatch = sel
    ? { n: m, origins: pick(origins, sel, 3), dirs: pick(dirs, sel, 3), background: pick(background, sel, 3) }
    : { n, origins, dirs, background };
  const pass = passOptionsFor(config, setup.sceneRadius);
  if (m > 0) {
    const out = tf.tidy(() => {
      const r = renderModel(model, {
        batch,
        uv: sel ? pick(uv, sel, 2) : uv,
        tCoarse: tC,
        aud: tf.tensor2d(codes.aud, [1, codes.aud.length]),
        pose: tf.tensor2d(codes.pose, [1, codes.pose.length]),
        rng: null,
        pass,
        classes: setup.classes,
      });
      const main = r.fine ?? r.coarse;
      const o: tf.Tensor[] = [main.rgb, main.depth, main.accumulation];
      if (main.semantics) o.push(tf.argMax(main.semantics, 1));
      return o;
    });
    const values = out.map((t) => t.dataSync());
    tf.dispose(out);
    if (!sel) {
      rgb.set(values[0]), depth.set(values[1]), accumulation.set(values[2]);
      if (parsing && values[3]) parsing.set(values[3]);
    } else {
      for (let j = 0; j < m; j++) {
        const r = sel[j];
        rgb.set(values[0].subarray(3 * j, 3 * j + 3), 3 * r);
        depth[r] = values[1][j], accumulation[r] = values[2][j];
        if (parsing && values[3]) parsing[r] = values[3][j];
      }
    }
  }
  if (sel && m < n) fillMisses(model, setup, codes, sel, { background, uv, rgb, depth, parsing });
  return { start: 0, rgb, depth, accumulation, parsing, raysRendered: m };
}

/** Values of the rays the grid skipped: background (or the image-space torso over it). */
function fillMisses(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  sel: Int32Array,
  out: {
    background: Float32Array;
    uv: Float32Array;
    rgb: Float32Array;
    depth: Float32Array;
    parsing?: Uint8Array;
  },
): void {
  const n = out.depth.length;
  const isHit = new Uint8Array(n);
  for (const r of sel) isHit[r] = 1;
  const miss = Int32Array.from({ length: n - sel.length });
  for (let r = 0, j = 0; r < n; r++) if (!isHit[r]) miss[j++] = r;
  let behind = pick(out.background, miss, 3);
  let torsoAlpha: Float32Array | undefined;
  const torso = model.torso;
  if (setup.config.architecture === "unified" && torso.kind === "image2d") {
    const [c, a] = tf.tidy(() => {
      const t = torso.module.apply(
        tf.tensor2d(pick(out.uv, miss, 2), [miss.length, 2]),
        tf.tensor2d(codes.pose, [1, codes.pose.length]),
      );
      const al = t.alpha.reshape([miss.length, 1]);
      const bg = tf.tensor2d(behind, [miss.length, 3]);
      return [tf.add(tf.mul(al, t.rgb), tf.mul(tf.sub(1, al), bg)), t.alpha];
    });
    behind = c.dataSync() as Float32Array;
    torsoAlpha = a.dataSync() as Float32Array;
    tf.dispose([c, a]);
  }
  for (let j = 0; j < miss.length; j++) {
    const r = miss[j];
    out.rgb.set(behind.subarray(3 * j, 3 * j + 3), 3 * r);
    out.depth[r] = setup.far;
    if (out.parsing) {
      // argMax of alpha one-hot(torso) + (1 - alpha) one-hot(background): a tie goes to the lower id, 0.
      const t = setup.classes?.torso, a = torsoAlpha ? torsoAlpha[j] : 0;
      out.parsing[r] = t !== undefined && a > 0.5 ? t : 0;
    }
  }
}

/**
 * Renders a whole frame in chunks of `config.render.chunk` rays on this thread: equal to
 * `Trainer.renderFrame` for the trainer's own setup (same chunks, same operations).
 * @param model The model.
 * @param setup Camera, background, bounds.
 * @param codes The frame.
 * @param grid Optional occupancy grid for empty-space skipping.
 * @returns The frame.
 */
export function renderFrameChunks(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  grid?: OccupancyGrid,
): RenderedFrame {
  const { width, height } = setup.intrinsics;
  const frame = emptyFrame(setup);
  for (const [start, n] of chunkRanges(width * height, setup.config.render.chunk)) {
    writeChunk(frame, renderChunk(model, setup, codes, start, n, grid));
  }
  return frame;
}

/** [start, n] of each chunk of a frame of `total` pixels. */
export function chunkRanges(total: number, chunk: number): [number, number][] {
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new Error(`render chunk must be an integer >= 1: got ${chunk}`);
  }
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += chunk) out.push([s, Math.min(chunk, total - s)]);
  return out;
}

/** A frame of zeros at the setup's size. */
export function emptyFrame(setup: FrameRenderSetup): RenderedFrame {
  const { width, height } = setup.intrinsics;
  const total = width * height;
  const parses = setup.config.parsing.enabled && setup.modelDims.numClasses > 0;
  return {
    width,
    height,
    rgb: new Float32Array(total * 3),
    depth: new Float32Array(total),
    accumulation: new Float32Array(total),
    parsing: parses ? new Uint8Array(total) : undefined,
  };
}

/** Copies a chunk into its frame. */
export function writeChunk(frame: RenderedFrame, c: ChunkResult): void {
  frame.rgb.set(c.rgb, c.start * 3);
  frame.depth.set(c.depth, c.start);
  frame.accumulation.set(c.accumulation, c.start);
  if (frame.parsing && c.parsing) frame.parsing.set(c.parsing, c.start);
}

/** Builds a model for a setup (random weights: load the trained ones with `loadParams`). */
export function modelForSetup(setup: FrameRenderSetup): SspNerfModel {
  return new SspNerfModel(setup.config, setup.modelDims);
}

function fieldDensity(
  field: RadianceField,
  pts: Float32Array,
  m: number,
  code: tf.Tensor2D,
  posFreqs: number,
  deform?: { model: SspNerfModel; pose: tf.Tensor2D; torsoLike: readonly number[] },
): tf.Tensor1D {
  const needsPe = field.dims.posDim > 0;
  const dirDim = field.dims.dirDim;
  // Density does not depend on the view direction; the colour branch still wants one.
  const dir = dirDim > 0
    ? tf.tile(
      tf.tensor2d(positionalEncodingJs(Float32Array.of(0, 0, -1), 3, (dirDim / 3 - 1) / 2), [1, dirDim]),
      [m, 1],
    ) as tf.Tensor2D
    : undefined;
  let xyz = tf.tensor2d(pts, [m, 3]);
  const torso = deform?.model.torso;
  if (deform && torso && torso.kind === "deform3d") {
    const pf = torso.module.posFreqs;
    let dx = torso.module.applyEncoded(
      tf.tensor2d(positionalEncodingJs(pts, 3, pf), [m, encodedDim(3, pf)]),
      deform.pose,
    );
    if (torso.config.weighting === "parsing" && deform.torsoLike.length > 0) {
      const pos = needsPe
        ? tf.tensor2d(positionalEncodingJs(pts, 3, posFreqs), [m, encodedDim(3, posFreqs)])
        : undefined;
      const probe = field.apply({ xyz, pos, dir, aud: code });
      if (probe.semanticLogits) {
        dx = tf.mul(
          dx,
          torsoWeightFromParsing(tf.softmax(probe.semanticLogits), deform.torsoLike).reshape([m, 1]),
        );
      }
    }
    xyz = tf.add(xyz, dx);
  }
  const pos = needsPe
    ? (deform && torso?.kind === "deform3d"
      ? tf.tensor2d(positionalEncodingJs(xyz.dataSync() as Float32Array, 3, posFreqs), [
        m,
        encodedDim(3, posFreqs),
      ])
      : tf.tensor2d(positionalEncodingJs(pts, 3, posFreqs), [m, encodedDim(3, posFreqs)]))
    : undefined;
  return field.apply({ xyz, pos, dir, aud: code }).sigma;
}

/**
 * The density the renderer sees at points of the normalised box, for `OccupancyGrid.update`: the coarse
 * field's sigma after the torso deformation of the frame's pose (weighted by the field's own torso
 * probability, as the renderer does), conditioned on the frame's audio code; with AD-NeRF's two fields,
 * the max of the head and torso fields. No gradient; tensors are freed.
 * @param model The model.
 * @param setup Its render setup.
 * @param codes The frame whose codes condition the field (update with random frames so the grid keeps
 *   what any frame occupies).
 * @returns densityAt(points [m, 3]) -> sigma [m].
 */
export function densityAtFor(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
): (points: Float32Array) => Float32Array {
  const f = setup.config.field;
  const posFreqs = f.kind === "mlp" ? f.posFreqs : 0;
  return (points: Float32Array) => {
    const m = points.length / 3;
    const sigma = tf.tidy(() => {
      const aud = tf.tensor2d(codes.aud, [1, codes.aud.length]);
      const pose = tf.tensor2d(codes.pose, [1, codes.pose.length]);
      if (setup.config.architecture === "twoNerf" && model.torsoField) {
        const head = fieldDensity(model.coarse, points, m, aud, posFreqs);
        const body = fieldDensity(model.torsoField, points, m, tf.concat([aud, pose], 1), posFreqs);
        return tf.maximum(head, body);
      }
      const torsoLike = setup.modelDims.numClasses > 0 && setup.classes ? setup.classes.torsoLike : [];
      return fieldDensity(model.coarse, points, m, aud, posFreqs, { model, pose, torsoLike });
    });
    const out = sigma.dataSync() as Float32Array;
    sigma.dispose();
    return out;
  };
}
