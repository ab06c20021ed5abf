/**
 * An occupancy grid of a trained model for rendering with empty-space skipping (see `skip_space.ts`).
 * @module
 */
import { OccupancyGrid, type OccupancyUpdateInfo, type OccupancyUpdateOptions } from "../sampling/mod.ts";
import { createRng } from "../nn/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { densityAtFor, densityReadsFor } from "./density.ts";
import { readAsync, type Reads } from "./reads.ts";
import type { FrameCodes, FrameRenderSetup } from "./scene_setup.ts";

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

/**
 * `grid.update(densityAt, options)` with the densities read asynchronously (`await data()`, for GPU
 * backends): the same update, bit for bit on a CPU backend. `OccupancyGrid.update` asks for densities
 * synchronously, so it runs twice with the same jitter (a copy of `options.jitter`'s state): on a scratch
 * grid to learn the query points, then on `grid` with the densities read meanwhile. The query points do
 * not depend on the grid's contents.
 * @param grid The grid to update.
 * @param densityReads Density at points as a {@linkcode Reads} computation (see `densityReadsFor`).
 * @param options As `OccupancyGrid.update`'s (the jitter generator advances as there).
 * @returns What `OccupancyGrid.update` returns.
 */
export async function updateGridAsync(
  grid: OccupancyGrid,
  densityReads: (points: Float32Array) => Reads<Float32Array>,
  options: OccupancyUpdateOptions = {},
): Promise<OccupancyUpdateInfo> {
  const queries: Float32Array[] = [];
  const jitter = options.jitter;
  new OccupancyGrid({ resolution: grid.resolution }).update((points) => {
    queries.push(points.slice());
    return new Float32Array(points.length / 3);
  }, { ...options, jitter: jitter ? createRng(jitter.state()) : jitter });
  const sigmas: Float32Array[] = [];
  for (const points of queries) sigmas.push(await readAsync(densityReads(points)));
  let call = 0;
  return grid.update((points) => {
    const q = queries[call];
    if (!q || q.length !== points.length || q.some((v, i) => v !== points[i])) {
      throw new Error("updateGridAsync: the grid's query points changed between its two passes");
    }
    return sigmas[call++];
  }, options);
}

/**
 * {@linkcode buildRenderGrid} with asynchronous reads of the densities (`await data()`, for GPU backends;
 * see {@linkcode updateGridAsync}): the same grid, bit for bit on a CPU backend.
 * @param model The trained model.
 * @param setup Its render setup.
 * @param frames Codes of the frames (at least one).
 * @param options Resolution, threshold, seed.
 * @returns The grid.
 */
export async function buildRenderGridAsync(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  frames: readonly FrameCodes[],
  options: RenderGridOptions = {},
): Promise<OccupancyGrid> {
  if (frames.length < 1) throw new Error("buildRenderGrid: need the codes of at least one frame");
  const grid = new OccupancyGrid({ resolution: options.resolution ?? 32 });
  const rng = createRng(options.seed ?? 1);
  for (const codes of frames) {
    await updateGridAsync(grid, densityReadsFor(model, setup, codes), {
      decay: 1,
      threshold: options.threshold ?? 0.01,
      jitter: rng,
    });
  }
  return grid;
}
