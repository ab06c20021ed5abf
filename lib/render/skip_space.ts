/**
 * Empty-space skipping when rendering frames (instant-ngp / RAD-NeRF): an {@linkcode OccupancyGrid} and
 * how rays are sampled with it ({@linkcode SkipSpace}), and the "aligned" renderer, which evaluates only
 * the plain render's samples that fall in occupied cells, front to back in rounds with early ray
 * termination (instant-ngp's inference marching), so the image equals the plain render up to the light
 * of what was skipped.
 * @module
 */
import { OccupancyGrid } from "../sampling/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { argMaxRow, type ChunkResult } from "./frame.ts";
import { chunkRays, fillMissesReads, renderRowsReads, type RowValues } from "./rows.ts";
import { type Reads, readSync } from "./reads.ts";
import { type FrameCodes, type FrameRenderSetup, passOptionsFor } from "./scene_setup.ts";

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
export function renderAligned(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  skip: SkipSpace,
): ChunkResult {
  return readSync(renderAlignedReads(model, setup, codes, ids, skip));
}

/** {@linkcode renderAligned} as a {@linkcode Reads} computation (for synchronous or asynchronous reads). */
export function* renderAlignedReads(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  ids: Int32Array,
  skip: SkipSpace,
): Reads<ChunkResult> {
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
  const call = function* (rows: Int32Array, t: Float32Array, front: boolean): Reads<RowValues> {
    const m = rows.length;
    samplesEvaluated += layers * m * (t.length / m + (front ? 0 : config.points.numFine));
    return yield* renderRowsReads(model, setup, codes, rays, rows, t, pass, front);
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
      compose(alive, yield* call(alive, t, true));
      alive = alive.filter((r) => cursor[r] < count(r) && T[r] >= minT);
    }
    // The rays still transparent enough finish with the last sample, rendered as the plain render's tail.
    const tail = sel.filter((r) => T[r] >= minT);
    if (tail.length > 0) compose(tail, yield* call(tail, Float32Array.from(tail, () => tOf(k - 1)), false));
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
      const o = yield* call(rows, t, false);
      rows.forEach((r, j) => {
        rgb.set(o.rgb.subarray(3 * j, 3 * j + 3), 3 * r);
        depth[r] = o.depth[j], accumulation[r] = o.acc[j];
        if (o.sem) sem.set(o.sem.subarray(K * j, K * j + K), K * r);
      });
    }
  }
  if (parsing) { for (const r of sel) parsing[r] = argMaxRow(sem, K, r); }
  if (sel.length < n) yield* fillMissesReads(model, setup, codes, sel, { ...rays, rgb, depth, parsing });
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
 * import { keptSamples } from "./skip_space.ts";
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
