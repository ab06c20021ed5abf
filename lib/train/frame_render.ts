/**
 * Rendering whole frames chunk by chunk from plain data, so that any thread holding a copy of the model
 * can render any chunk: the same computation as `Trainer.renderFrame` (bit-identical, tested), split into
 * a serialisable {@linkcode FrameRenderSetup} (config, camera, background, bounds), per-frame
 * {@linkcode FrameCodes} (pose, audio code, pose code) and {@linkcode renderChunk} on a pixel range.
 * Optionally with empty-space skipping through an {@linkcode OccupancyGrid} (instant-ngp / RAD-NeRF),
 * in two ways ({@linkcode SkipSpace}): "interval" spreads the ray's samples over its occupied interval
 * (how the trainer samples with `points.occupancy`), "aligned" evaluates only the plain render's samples
 * that fall in the interval, front to back in rounds with early ray termination (instant-ngp's inference
 * marching), so the image equals the plain render up to the light of what was skipped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import type { Intrinsics, Palette } from "../data/mod.ts";
import { raysForPixels } from "../camera/mod.ts";
import { imageToFloat } from "../io/mod.ts";
import { encodedDim, positionalEncodingJs } from "../encoding/mod.ts";
import { hitIndices, OccupancyGrid, stratifiedInIntervals, stratifiedSamples } from "../sampling/mod.ts";
import { createRng } from "../nn/mod.ts";
import type { PassOptions } from "../model/render_rays.ts";
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
  /** Sample points the field was evaluated at (per field; padding included). */
  readonly samplesEvaluated: number;
}

/**
 * Empty-space skipping for frame rendering: the grid and how rays are sampled with it.
 * - "interval": `numCoarse` samples spread over each ray's occupied interval (the trainer's sampling
 *   with `points.occupancy`: render a model trained that way like this).
 * - "aligned": the samples of the plain render ([near, far] midpoints) that fall in the occupied
 *   interval (one more on each side), evaluated `roundSamples` at a time front to back; a ray stops when
 *   its transmittance is below `minTransmittance`, and the plain render's last sample (the background in
 *   "lastSample" mode) closes the others. Equal to the plain render up to the skipped light. AD-NeRF's two
 *   fields and importance samples need whole rays: there every ray's samples go in one call.
 */
export interface SkipSpace {
  readonly grid: OccupancyGrid;
  readonly sampling: "interval" | "aligned";
  /** "aligned": stop a ray below this transmittance (0: never). @default {1e-3} */
  readonly minTransmittance?: number;
  /** "aligned": samples per ray and round. @default {8} */
  readonly roundSamples?: number;
}

/** A {@linkcode SkipSpace} as plain data (for workers). */
export interface SkipSpaceState {
  readonly grid: ReturnType<OccupancyGrid["state"]>;
  readonly sampling: SkipSpace["sampling"];
  readonly minTransmittance?: number;
  readonly roundSamples?: number;
}

/** Plain data of a {@linkcode SkipSpace}. */
export function skipSpaceState(skip: SkipSpace): SkipSpaceState {
  return { ...skip, grid: skip.grid.state() };
}

/** A {@linkcode SkipSpace} from its plain data. */
export function skipSpaceFromState(state: SkipSpaceState): SkipSpace {
  return { ...state, grid: OccupancyGrid.fromState(state.grid) };
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
 * @param skip Empty-space skipping, or undefined to sample [near, far].
 * @returns The chunk's values.
 */
export function renderChunk(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  start: number,
  n: number,
  skip?: SkipSpace,
): ChunkResult {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = start + i;
  return { ...renderPixels(model, setup, codes, ids, skip), start };
}

/**
 * Renders the given pixels of a frame in one batch (deterministic: midpoint samples, evenly spaced
 * importance samples), with the operations of `Trainer.renderFrame`.
 *
 * With `skip`, rays that cross no occupied cell skip the field: they get the background (or, with the
 * image-space torso, the torso layer over it), accumulation 0, depth = far and the background class; the
 * others are sampled as `skip.sampling` says (see {@linkcode SkipSpace}). The grid covers the box of the
 * scene radius: the field outside it counts as empty.
 * @param model The model (any thread's copy).
 * @param setup Camera, background, bounds.
 * @param codes The frame.
 * @param ids Pixel ids (v * width + u) of the setup's camera.
 * @param skip Empty-space skipping, or undefined to sample [near, far].
 * @returns Values per pixel in the order of `ids` (`start` is 0).
 */
export function renderPixels(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  skip?: SkipSpace,
): ChunkResult {
  if (skip?.sampling === "aligned") return renderAligned(model, setup, codes, ids, skip);
  const grid = skip?.grid;
  const config = setup.config;
  const n = ids.length;
  const rays = chunkRays(setup, codes, ids);
  const K = config.parsing.enabled ? setup.modelDims.numClasses : 0;
  const rgb = new Float32Array(n * 3), depth = new Float32Array(n), accumulation = new Float32Array(n);
  const parsing = K > 0 ? new Uint8Array(n) : undefined;
  let sel: Int32Array;
  let tC: Float32Array;
  if (grid) {
    const iv = grid.rayIntervals(rays.origins, rays.dirs, n, setup.near, setup.far, 1 / setup.sceneRadius);
    sel = hitIndices(iv.hit);
    tC = stratifiedInIntervals(
      pick(iv.tNear, sel, 1),
      pick(iv.tFar, sel, 1),
      sel.length,
      config.points.numCoarse,
      null,
    );
  } else {
    sel = Int32Array.from({ length: n }, (_, r) => r);
    tC = stratifiedSamples(n, setup.near, setup.far, config.points.numCoarse, null);
  }
  const m = sel.length;
  if (m > 0) {
    const o = renderRows(model, setup, codes, rays, sel, tC, passOptionsFor(config, setup.sceneRadius));
    sel.forEach((r, j) => {
      rgb.set(o.rgb.subarray(3 * j, 3 * j + 3), 3 * r);
      depth[r] = o.depth[j], accumulation[r] = o.acc[j];
      if (parsing && o.sem) parsing[r] = argMaxRow(o.sem, K, j);
    });
  }
  if (m < n) fillMisses(model, setup, codes, sel, { ...rays, rgb, depth, parsing });
  const layers = config.architecture === "twoNerf" ? 2 : 1;
  const samplesEvaluated = m > 0 ? layers * m * (config.points.numCoarse + config.points.numFine) : 0;
  return { start: 0, rgb, depth, accumulation, parsing, raysRendered: m, samplesEvaluated };
}

/** The rays of a chunk of pixels: what every way of rendering them starts from. */
interface ChunkRays {
  readonly origins: Float32Array;
  readonly dirs: Float32Array;
  /** Background colour behind each ray, [n, 3]. */
  readonly background: Float32Array;
  /** Pixel centres in [-1, 1]^2, [n, 2]. */
  readonly uv: Float32Array;
}

function chunkRays(setup: FrameRenderSetup, codes: FrameCodes, ids: Int32Array): ChunkRays {
  const { width, height } = setup.intrinsics;
  const { origins, dirs } = raysForPixels(codes.c2w, ids, setup.intrinsics);
  return { origins, dirs, background: gatherPixels(setup.background, ids), uv: pixelUv(ids, width, height) };
}

/** Plain outputs of {@linkcode renderRows}: per row rgb [3], depth, accumulation, class distribution [K]. */
interface RowValues {
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly acc: Float32Array;
  readonly sem?: Float32Array;
}

/**
 * Renders the rays `rows` of a chunk at depths t ([rows, t.length / rows]) with the whole model
 * (`renderModel`, deterministic), returning plain arrays; tensors are freed.
 */
function renderRows(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  rays: ChunkRays,
  rows: Int32Array,
  t: Float32Array,
  pass: PassOptions,
  front = false,
): RowValues {
  const out = tf.tidy(() => {
    const r = renderModel(model, {
      batch: {
        n: rows.length,
        origins: pick(rays.origins, rows, 3),
        dirs: pick(rays.dirs, rows, 3),
        background: pick(rays.background, rows, 3),
      },
      uv: pick(rays.uv, rows, 2),
      tCoarse: t,
      aud: tf.tensor2d(codes.aud, [1, codes.aud.length]),
      pose: tf.tensor2d(codes.pose, [1, codes.pose.length]),
      rng: null,
      pass,
      classes: setup.classes,
      front,
    });
    const main = r.fine ?? r.coarse;
    const o: tf.Tensor[] = [main.rgb, main.depth, main.accumulation];
    if (main.semantics) o.push(main.semantics);
    return o;
  });
  const values = out.map((x) => x.dataSync() as Float32Array);
  tf.dispose(out);
  return { rgb: values[0], depth: values[1], acc: values[2], sem: values[3] };
}

/** The most likely class of row `row` of a [rows, K] class distribution (the first on ties, as tf.argMax). */
function argMaxRow(sem: Float32Array, K: number, row: number): number {
  let best = 0;
  for (let c = 1; c < K; c++) if (sem[K * row + c] > sem[K * row + best]) best = c;
  return best;
}

/**
 * Empty-space skipping on the plain render's own samples (see {@linkcode SkipSpace}, "aligned").
 *
 * The plain render samples t_i = near + (i + 1/2) h, h = (far - near) / k. A ray keeps sample i < k - 1
 * when the grid cell of x_i is occupied, or that of x_{i-1} or x_{i+1} (a sample of margin on each side),
 * and always keeps the last sample k - 1 (in "lastSample" mode the opaque background; otherwise the far
 * end). Points outside the grid's box are looked up at the nearest point of the box with the tri-plane
 * field, whose lookups clamp positions the same way, and are always kept with other fields. Intervals are
 * capped at h (`maxDelta`), so each kept sample weighs what it weighs in the plain render; the skipped ones
 * held density under the grid's threshold.
 *
 * With the unified field and no importance samples, a ray's light splits front to back:
 * C = C_1 + T_1 C_2 + T_1 T_2 C_3 ..., each part R = roundSamples kept samples rendered with nothing behind
 * them (`front`), T the part's transmittance; a ray stops once its transmittance is below
 * minTransmittance (what it would still gather is at most that), and the others finish with the last
 * sample rendered as the plain render's tail (background, image-space torso). A part with fewer than R
 * samples is padded in front with copies of its first sample (zero interval: no weight). Colours, class
 * distributions and depths compose the same way (all are weight sums); the accumulation is 1 - T (before
 * the last sample in "lastSample" mode, as the plain render reports it).
 *
 * AD-NeRF's two fields (a head layer over a whole torso layer) and importance samples (which need the
 * whole ray's coarse weights) do not split: each ray's kept samples go in one call, rays bucketed by
 * count (multiples of R) and padded in front the same way.
 */
function renderAligned(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  skip: SkipSpace,
): ChunkResult {
  const config = setup.config;
  const { near, far } = setup;
  const n = ids.length;
  const k = config.points.numCoarse;
  const R = skip.roundSamples ?? 8;
  const minT = skip.minTransmittance ?? 1e-3;
  if (!Number.isInteger(R) || R < 1) throw new Error(`roundSamples must be an integer >= 1: got ${R}`);
  if (!(minT >= 0 && minT < 1)) throw new Error(`minTransmittance must be in [0, 1): got ${minT}`);
  const rays = chunkRays(setup, codes, ids);
  const K = config.parsing.enabled ? setup.modelDims.numClasses : 0;
  const rgb = new Float32Array(n * 3), depth = new Float32Array(n), accumulation = new Float32Array(n);
  const parsing = K > 0 ? new Uint8Array(n) : undefined;
  const sem = new Float32Array(n * K);
  // The plain render's depths, computed as stratifiedSamples computes them (same float32 values).
  const h = (far - near) / k;
  const tOf = (i: number) => Math.fround(near + (i + 0.5) * h);
  // Kept samples < k - 1 of each ray: kept[offset[r] .. offset[r + 1]).
  const { kept, offset } = keptSamples(skip.grid, rays.origins, rays.dirs, n, k, tOf, {
    scale: 1 / setup.sceneRadius,
    clampOutside: config.field.kind === "triplane",
  });
  const sel = Int32Array.from({ length: n }, (_, r) => r).filter((r) => offset[r + 1] > offset[r]);
  const pass = { ...passOptionsFor(config, setup.sceneRadius), maxDelta: h };
  let samplesEvaluated = 0;
  const layers = config.architecture === "twoNerf" ? 2 : 1;
  /** Renders rays `rows` at depths [rows, cols], counting the samples. */
  const call = (rows: Int32Array, t: Float32Array, front: boolean) => {
    const m = rows.length;
    samplesEvaluated += layers * m * (t.length / m + (front ? 0 : config.points.numFine));
    return renderRows(model, setup, codes, rays, rows, t, pass, front);
  };
  /** Writes kept samples [from, to) of ray r (plus sample k - 1 if `withLast`) into row `row`, padded in
   * front with copies of the first depth to `cols` columns. */
  const fillDepths = (
    t: Float32Array,
    row: number,
    cols: number,
    r: number,
    from: number,
    to: number,
    withLast: boolean,
  ) => {
    const count = to - from + (withLast ? 1 : 0);
    const firstT = to > from ? tOf(kept[offset[r] + from]) : tOf(k - 1);
    let c = row * cols;
    for (let p = count; p < cols; p++) t[c++] = firstT;
    for (let q = from; q < to; q++) t[c++] = tOf(kept[offset[r] + q]);
    if (withLast) t[c++] = tOf(k - 1);
  };
  const count = (r: number) => offset[r + 1] - offset[r];
  const splits = config.architecture === "unified" && config.points.numFine === 0;
  if (splits) {
    const T = new Float32Array(n).fill(1);
    const cursor = new Int32Array(n);
    /** Adds T times a call's outputs to the rays' sums and updates T. */
    const compose = (rows: Int32Array, o: RowValues) => {
      rows.forEach((r, j) => {
        const w = T[r];
        for (let c = 0; c < 3; c++) rgb[3 * r + c] += w * o.rgb[3 * j + c];
        depth[r] += w * o.depth[j];
        if (o.sem) { for (let c = 0; c < K; c++) sem[K * r + c] += w * o.sem[K * j + c]; }
        T[r] = w * (1 - o.acc[j]);
      });
    };
    let alive = sel;
    while (alive.length > 0) {
      const t = new Float32Array(alive.length * R);
      alive.forEach((r, j) => {
        const to = Math.min(count(r), cursor[r] + R);
        fillDepths(t, j, R, r, cursor[r], to, false);
        cursor[r] = to;
      });
      compose(alive, call(alive, t, true));
      alive = alive.filter((r) => cursor[r] < count(r) && T[r] >= minT);
    }
    // The rays still transparent enough finish with the last sample, rendered as the plain render's tail.
    const tail = sel.filter((r) => T[r] >= minT);
    if (tail.length > 0) compose(tail, call(tail, Float32Array.from(tail, () => tOf(k - 1)), false));
    for (const r of sel) accumulation[r] = 1 - T[r];
  } else {
    // Whole rays per call, bucketed by sample count.
    const buckets = new Map<number, number[]>();
    for (const r of sel) {
      const len = count(r) + 1;
      const cols = Math.max(len, Math.min(Math.ceil(len / R) * R, k));
      const b = buckets.get(cols) ?? [];
      b.push(r);
      buckets.set(cols, b);
    }
    for (const [cols, list] of buckets) {
      const rows = Int32Array.from(list);
      const t = new Float32Array(rows.length * cols);
      rows.forEach((r, j) => fillDepths(t, j, cols, r, 0, count(r), true));
      const o = call(rows, t, false);
      rows.forEach((r, j) => {
        rgb.set(o.rgb.subarray(3 * j, 3 * j + 3), 3 * r);
        depth[r] = o.depth[j], accumulation[r] = o.acc[j];
        if (o.sem) sem.set(o.sem.subarray(K * j, K * j + K), K * r);
      });
    }
  }
  if (parsing) { for (const r of sel) parsing[r] = argMaxRow(sem, K, r); }
  if (sel.length < n) fillMisses(model, setup, codes, sel, { ...rays, rgb, depth, parsing });
  return { start: 0, rgb, depth, accumulation, parsing, raysRendered: sel.length, samplesEvaluated };
}

/**
 * Which of the samples 0..k-2 of each ray lie in or next to an occupied cell of the grid: sample i is kept
 * when the cell of x_{i-1}, x_i or x_{i+1} is occupied (x in the box's coordinates, scale (o + t_i d)).
 * A point outside the box counts as occupied, or, with `clampOutside`, as the cell of its nearest box point.
 * @param grid The occupancy grid over [-1, 1]^3.
 * @param origins Ray origins, [n, 3] flattened (scene units).
 * @param dirs Ray directions, [n, 3] flattened.
 * @param n Number of rays.
 * @param k Samples per ray of the plain render.
 * @param tOf Depth of sample i.
 * @param options `scale` (scene units to the box: 1 / scene radius) and `clampOutside`.
 * @returns Kept sample indices, ray after ray, and each ray's start in them ([n + 1]).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { OccupancyGrid } from "../sampling/mod.ts";
 * import { keptSamples } from "./frame_render.ts";
 * // A 2^3 grid with only the cell at x, y, z > 0 occupied; a ray along -z through x = y = 0.5.
 * const grid = new OccupancyGrid({ resolution: 2 });
 * grid.update((p) => Float32Array.from({ length: p.length / 3 }, (_, i) =>
 *   p[3 * i] > 0 && p[3 * i + 1] > 0 && p[3 * i + 2] > 0 ? 1 : 0), { dilation: 0, threshold: 0.5 });
 * const t = (i: number) => 0.25 + 0.5 * i; // z = 1.75, 1.25, 0.75, 0.25, -0.25, -0.75
 * const { kept, offset } = keptSamples(grid, Float32Array.of(0.5, 0.5, 2), Float32Array.of(0, 0, -1), 1, 7, t, {
 *   scale: 1,
 *   clampOutside: true,
 * });
 * // z = 1.75 and 1.25 lie above the box and clamp into the occupied cell, as do 0.75 and 0.25; 0.25's
 * // neighbour -0.25 is kept as the margin; -0.75 is not (the last sample, 6, is never listed).
 * assertEquals(Array.from(kept), [0, 1, 2, 3, 4]);
 * assertEquals(Array.from(offset), [0, 5]);
 * ```
 */
export function keptSamples(
  grid: OccupancyGrid,
  origins: Float32Array,
  dirs: Float32Array,
  n: number,
  k: number,
  tOf: (i: number) => number,
  options: { readonly scale: number; readonly clampOutside: boolean },
): { kept: Int32Array; offset: Int32Array } {
  const occ = new Uint8Array(k);
  const kept: number[] = [];
  const offset = new Int32Array(n + 1);
  const clamp = (v: number) => v < -1 ? -1 : v > 1 ? 1 : v;
  const { scale, clampOutside } = options;
  for (let r = 0; r < n; r++) {
    offset[r] = kept.length;
    const ox = origins[3 * r], oy = origins[3 * r + 1], oz = origins[3 * r + 2];
    const dx = dirs[3 * r], dy = dirs[3 * r + 1], dz = dirs[3 * r + 2];
    for (let i = 0; i < k - 1; i++) {
      const t = tOf(i);
      const x = scale * (ox + t * dx), y = scale * (oy + t * dy), z = scale * (oz + t * dz);
      const cell = grid.cellAt(x, y, z);
      occ[i] = cell >= 0
        ? grid.occupied[cell]
        : clampOutside
        ? grid.occupied[grid.cellAt(clamp(x), clamp(y), clamp(z))]
        : 1;
    }
    for (let i = 0; i < k - 1; i++) {
      if (occ[i] || (i > 0 && occ[i - 1]) || (i < k - 2 && occ[i + 1])) kept.push(i);
    }
  }
  offset[n] = kept.length;
  return { kept: Int32Array.from(kept), offset };
}

/** Options of {@linkcode buildRenderGrid}. */
export interface RenderGridOptions {
  /** Cells per side. @default {32} */
  readonly resolution?: number;
  /** Occupancy threshold (density per scene unit; capped at the grid's mean). @default {0.01} */
  readonly threshold?: number;
  /** Seed of the query jitter. @default {1} */
  readonly seed?: number;
}

/**
 * An occupancy grid of a trained model for rendering: the max over the given frames' codes of the coarse
 * field's density at a jittered point of each cell (no decay), thresholded and dilated by one cell
 * (`OccupancyGrid.update`). Frames should span the audio and poses to render (the mouth and the torso
 * move); the dilation covers what lies between the jittered points.
 * @param model The trained model.
 * @param setup Its render setup.
 * @param frames Codes of the frames whose occupancy the grid takes the union of (at least one).
 * @param options Resolution, threshold, seed.
 * @returns The grid.
 */
export function buildRenderGrid(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  frames: readonly FrameCodes[],
  options: RenderGridOptions = {},
): OccupancyGrid {
  if (frames.length < 1) throw new Error("buildRenderGrid: need the codes of at least one frame");
  const grid = new OccupancyGrid({ resolution: options.resolution ?? 32 });
  const rng = createRng(options.seed ?? 1);
  for (const codes of frames) {
    grid.update(densityAtFor(model, setup, codes), {
      decay: 1,
      threshold: options.threshold ?? 0.01,
      jitter: rng,
    });
  }
  return grid;
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
 * @param skip Optional empty-space skipping.
 * @returns The frame.
 */
export function renderFrameChunks(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  skip?: SkipSpace,
): RenderedFrame {
  const { width, height } = setup.intrinsics;
  const frame = emptyFrame(setup);
  for (const [start, n] of chunkRanges(width * height, setup.config.render.chunk)) {
    writeChunk(frame, renderChunk(model, setup, codes, start, n, skip));
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
