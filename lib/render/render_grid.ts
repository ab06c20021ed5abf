/**
 * An occupancy grid of a trained model for rendering with empty-space skipping (see `skip_space.ts`).
 * @module
 */
import { OccupancyGrid } from "../sampling/mod.ts";
import { createRng } from "../nn/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { densityAtFor } from "./density.ts";
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
