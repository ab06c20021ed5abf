/**
 * Rendering frames chunk by chunk from plain data, so that any thread holding a copy of the model can
 * render any chunk: {@linkcode renderChunk} on a pixel range of a frame given as a
 * {@linkcode FrameRenderSetup} and {@linkcode FrameCodes}, optionally with empty-space skipping
 * ({@linkcode SkipSpace}), and {@linkcode renderFrameChunks} for a whole frame on this thread.
 * @module
 */
import { hitIndices, stratifiedInIntervals, stratifiedSamples } from "../sampling/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import {
  argMaxRow,
  chunkRanges,
  type ChunkResult,
  emptyFrame,
  gatherPixels,
  type RenderedFrame,
  writeChunk,
} from "./frame.ts";
import { chunkRays, fillMissesReads, renderRowsReads } from "./rows.ts";
import { readAsync, type Reads, readSync } from "./reads.ts";
import { type FrameCodes, type FrameRenderSetup, passOptionsFor, setupParses } from "./scene_setup.ts";
import { renderAlignedReads, type SkipSpace } from "./skip_space.ts";

/**
 * Renders the pixels [start, start + n) of a frame, as `Scene.renderFrame` renders that chunk
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
  return readSync(renderChunkReads(model, setup, codes, start, n, skip));
}

/** {@linkcode renderChunk} as a {@linkcode Reads} computation (for synchronous or asynchronous reads). */
export function* renderChunkReads(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  start: number,
  n: number,
  skip?: SkipSpace,
): Reads<ChunkResult> {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = start + i;
  return { ...(yield* renderPixelsReads(model, setup, codes, ids, skip)), start };
}

/**
 * Renders the given pixels of a frame in one batch (deterministic: midpoint samples, evenly spaced
 * importance samples), with the operations of `Scene.renderFrame`.
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
  return readSync(renderPixelsReads(model, setup, codes, ids, skip));
}

/** {@linkcode renderPixels} as a {@linkcode Reads} computation (for synchronous or asynchronous reads). */
export function* renderPixelsReads(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  skip?: SkipSpace,
): Reads<ChunkResult> {
  if (skip?.sampling === "aligned") return yield* renderAlignedReads(model, setup, codes, ids, skip);
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
      gatherPixels(iv.tNear, sel, 1),
      gatherPixels(iv.tFar, sel, 1),
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
    const o = yield* renderRowsReads(
      model,
      setup,
      codes,
      rays,
      sel,
      tC,
      passOptionsFor(config, setup.sceneRadius),
    );
    sel.forEach((r, j) => {
      rgb.set(o.rgb.subarray(3 * j, 3 * j + 3), 3 * r);
      depth[r] = o.depth[j], accumulation[r] = o.acc[j];
      if (parsing && o.sem) parsing[r] = argMaxRow(o.sem, K, j);
    });
  }
  if (m < n) yield* fillMissesReads(model, setup, codes, sel, { ...rays, rgb, depth, parsing });
  const layers = config.architecture === "twoNerf" ? 2 : 1;
  const samplesEvaluated = m > 0 ? layers * m * (config.points.numCoarse + config.points.numFine) : 0;
  return { start: 0, rgb, depth, accumulation, parsing, raysRendered: m, samplesEvaluated };
}

/**
 * Renders a whole frame in chunks of `config.render.chunk` rays on this thread: what
 * `Scene.renderFrame` renders.
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
  const frame = emptyFrame(width, height, setupParses(setup));
  for (const [start, n] of chunkRanges(width * height, setup.config.render.chunk)) {
    writeChunk(frame, renderChunk(model, setup, codes, start, n, skip));
  }
  return frame;
}

/**
 * {@linkcode renderFrameChunks} with asynchronous reads (`await data()`), the way to render on a GPU
 * backend (where Deno cannot read a tensor synchronously): the same chunks and operations, so on a CPU
 * backend the frame is bit-identical to {@linkcode renderFrameChunks}'s.
 * @param model The model.
 * @param setup Camera, background, bounds.
 * @param codes The frame.
 * @param skip Optional empty-space skipping.
 * @returns The frame.
 */
export async function renderFrameChunksAsync(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  skip?: SkipSpace,
): Promise<RenderedFrame> {
  const { width, height } = setup.intrinsics;
  const frame = emptyFrame(width, height, setupParses(setup));
  for (const [start, n] of chunkRanges(width * height, setup.config.render.chunk)) {
    writeChunk(frame, await readAsync(renderChunkReads(model, setup, codes, start, n, skip)));
  }
  return frame;
}
