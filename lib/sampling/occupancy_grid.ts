/**
 * Empty-space skipping with an occupancy grid (the density grid of instant-ngp, Müller et al. 2022,
 * "Instant Neural Graphics Primitives", section 4 / appendix E.2, as used for talking heads by RAD-NeRF,
 * Tang et al. 2022): a coarse grid over the normalised scene box [-1, 1]^3 remembers where the field has
 * density, so samples are spent only where a ray crosses occupied cells.
 *
 * The grid holds, per cell, an exponential moving maximum of the density seen at (jittered) cell centres,
 *
 *   d_c <- max(decay * d_c, sigma(x_c)),
 *
 * and a cell is occupied when d_c > min(threshold, mean_c d_c) (RAD-NeRF's min of an absolute threshold
 * and the mean density, so a field whose densities are all small, e.g. early in training, still keeps
 * its densest cells), dilated by one cell in each direction so thin parts and the jitter between
 * updates cannot drop a surface. Rays are marched through the grid with a 3-D DDA (Amanatides & Woo
 * 1987, "A Fast Voxel Traversal Algorithm for Ray Tracing"): {@linkcode OccupancyGrid.rayIntervals}
 * returns, per ray, the first and last depths where it crosses an occupied cell, and
 * {@linkcode stratifiedInIntervals} spreads k samples over that interval instead of over [near, far].
 *
 * Units. Positions enter the box as x_box = scale * (o + t d) (scale = 1 / scene radius, the trainer's
 * `positionScale`); t is the ray parameter of the caller (depth along the optical axis for the toolkit's
 * unnormalised directions). Densities are in the field's units (per scene unit of length).
 *
 * Integration in a renderer (see the module's tests for a complete example):
 * ```ts ignore
 * const grid = new OccupancyGrid({ resolution: 32 });          // every cell occupied until updated
 * grid.update((pts) => coarseDensity(pts));                     // every N steps, no gradient
 * const { tNear, tFar, hit } = grid.rayIntervals(origins, dirs, n, near, far, 1 / sceneRadius);
 * const t = stratifiedInIntervals(tNear, tFar, n, k, rng);      // replaces stratifiedSamples(n, near, far, k, rng)
 * // rays with hit[r] = 0 see no occupied cell: render them as background without querying the field.
 * ```
 * @module
 */
import type { Rng } from "../nn/rng.ts";
import { type CellCrossing, clipToBox, type RayIntervalOptions, type RayIntervals } from "./ray_intervals.ts";

export type { CellCrossing, RayIntervalOptions, RayIntervals } from "./ray_intervals.ts";
export { hitIndices, stratifiedInIntervals } from "./ray_intervals.ts";

/** Options of the {@linkcode OccupancyGrid} constructor. */
export interface OccupancyGridOptions {
  /** Cells per side of the grid over [-1, 1]^3.
   * @default {32} */
  readonly resolution?: number;
}

/** Options of {@linkcode OccupancyGrid.update}. */
export interface OccupancyUpdateOptions {
  /** Factor applied to the remembered density before the max with the new value (instant-ngp: 0.95).
   * @default {0.95} */
  readonly decay?: number;
  /** Absolute density threshold; the effective threshold is min(threshold, mean density of the grid).
   * In the field's units (per scene unit). With the toolkit's scene radius of ~3 units and a 32^3 grid,
   * a cell is ~0.19 units long, so 0.01 keeps every cell whose optical thickness exceeds ~0.002.
   * @default {0.01} */
  readonly threshold?: number;
  /** Jitter of the query points, uniform within each cell (instant-ngp); null queries cell centres.
   * @default {null} */
  readonly jitter?: Rng | null;
  /** Evaluate only this many cells drawn at random (with `jitter`'s generator, which is then required);
   * the others just decay (instant-ngp updates a random subset after its first updates).
   * @default {all cells} */
  readonly cells?: number;
  /** Cells of dilation of the occupied set (Chebyshev distance).
   * @default {1} */
  readonly dilation?: number;
  /** Points per call of `densityAt` (bounds the field's memory).
   * @default {65536} */
  readonly batch?: number;
}

/** What {@linkcode OccupancyGrid.update} reports. */
export interface OccupancyUpdateInfo {
  /** The effective threshold used. */
  readonly threshold: number;
  /** Mean remembered density over all cells after the update. */
  readonly meanDensity: number;
  /** Fraction of cells occupied after thresholding and dilation. */
  readonly fraction: number;
  /** Cells evaluated. */
  readonly evaluated: number;
}

/** A grid as a JSON-able object (for checkpoints): densities and occupancy bits in base64. */
export interface OccupancyGridState {
  readonly format: "occupancy-grid/1";
  readonly resolution: number;
  readonly updates: number;
  /** Little-endian float32 densities, res^3 values, base64. */
  readonly density: string;
  /** Occupancy, one byte per cell (0 or 1), base64. */
  readonly occupied: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * An occupancy grid over the normalised scene box [-1, 1]^3. Cell (ix, iy, iz) covers
 * [-1 + 2 ix / R, -1 + 2 (ix + 1) / R] x ... and has index (iz R + iy) R + ix. A new grid marks every cell
 * occupied (nothing is skipped before the first update).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { OccupancyGrid } from "./occupancy_grid.ts";
 * import { stratifiedInIntervals } from "./ray_intervals.ts";
 * // A ball of radius 0.3 around the origin; a camera on the +z axis at distance 3 looking down -z.
 * const grid = new OccupancyGrid({ resolution: 16 });
 * grid.update((p) => Float32Array.from({ length: p.length / 3 }, (_, i) =>
 *   Math.hypot(p[3 * i], p[3 * i + 1], p[3 * i + 2]) < 0.3 ? 10 : 0));
 * const { tNear, tFar, hit } = grid.rayIntervals(
 *   Float32Array.of(0, 0, 3, 0, 0.9, 3), Float32Array.of(0, 0, -1, 0, 0, -1), 2, 1, 5, 1);
 * assertEquals(Array.from(hit), [1, 0]); // the second ray passes above the ball
 * // Cells of side 0.125 with centres in the ball span z in [-0.25, 0.25]; dilation adds one cell on each
 * // side (z in [-0.375, 0.375], t = 3 - z) and the margin one more:
 * assertEquals([tNear[0], tFar[0]], [2.5, 3.5]);
 * assertEquals(Array.from(stratifiedInIntervals(tNear, tFar, 2, 2, null)), [2.75, 3.25, 5, 5]);
 * ```
 */
export class OccupancyGrid {
  /** Cells per side. */
  readonly resolution: number;
  /** Remembered density per cell, [R^3]. */
  readonly density: Float32Array;
  /** 1 where the cell is occupied, [R^3]. */
  readonly occupied: Uint8Array;
  /** Number of updates applied. */
  updates = 0;

  constructor(options: OccupancyGridOptions = {}) {
    const r = options.resolution ?? 32;
    if (!Number.isInteger(r) || r < 1 || r > 512) {
      throw new Error(`occupancy grid resolution must be an integer in [1, 512]: got ${r}`);
    }
    this.resolution = r;
    this.density = new Float32Array(r * r * r);
    this.occupied = new Uint8Array(r * r * r).fill(1);
  }

  /** Number of cells, R^3. */
  get size(): number {
    return this.density.length;
  }

  /** Fraction of cells that are occupied, in [0, 1]. */
  fractionOccupied(): number {
    let s = 0;
    for (let i = 0; i < this.occupied.length; i++) s += this.occupied[i];
    return s / this.occupied.length;
  }

  /** Edge length of a cell in the box's units (2 / R); divide by `scale` for scene units. */
  get cellSize(): number {
    return 2 / this.resolution;
  }

  /** Cell index of a point of the box, or -1 outside [-1, 1]^3 (the upper faces belong to the last cell). */
  cellAt(x: number, y: number, z: number): number {
    const r = this.resolution;
    if (!(x >= -1 && x <= 1 && y >= -1 && y <= 1 && z >= -1 && z <= 1)) return -1;
    const ix = Math.min(r - 1, Math.floor((x + 1) * r / 2));
    const iy = Math.min(r - 1, Math.floor((y + 1) * r / 2));
    const iz = Math.min(r - 1, Math.floor((z + 1) * r / 2));
    return (iz * r + iy) * r + ix;
  }

  /**
   * Query points of the given cells: centres, or uniform points within each cell with `jitter`.
   * @param cells Cell indices.
   * @param jitter Random source, or null for centres.
   * @returns Points, [cells.length, 3] flattened, in the box's coordinates.
   */
  cellPoints(cells: Int32Array, jitter: Rng | null): Float32Array {
    const r = this.resolution, h = 2 / r;
    const out = new Float32Array(cells.length * 3);
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      const ix = c % r, iy = Math.floor(c / r) % r, iz = Math.floor(c / (r * r));
      out[3 * i] = -1 + (ix + (jitter ? jitter.next() : 0.5)) * h;
      out[3 * i + 1] = -1 + (iy + (jitter ? jitter.next() : 0.5)) * h;
      out[3 * i + 2] = -1 + (iz + (jitter ? jitter.next() : 0.5)) * h;
    }
    return out;
  }

  /**
   * Refreshes the grid from the field: d_c <- max(decay d_c, sigma(x_c)) for the evaluated cells (the
   * others decay), then occupied = dilate(d > min(threshold, mean d)).
   * @param densityAt Density of the field at points of the box, [m, 3] flattened -> [m] (no gradient
   *   needed; for a deformed or audio-conditioned field, use the frame's code: the max over updates with
   *   random frames keeps the union of what every frame occupies, as RAD-NeRF does with random audio).
   * @param options Decay, threshold, jitter, subset of cells, dilation, batch size.
   * @returns The threshold used, the mean density and the fraction occupied.
   */
  update(
    densityAt: (points: Float32Array) => Float32Array,
    options: OccupancyUpdateOptions = {},
  ): OccupancyUpdateInfo {
    const decay = options.decay ?? 0.95;
    if (!(decay >= 0 && decay <= 1)) throw new Error(`decay must be in [0, 1]: got ${decay}`);
    const threshold = options.threshold ?? 0.01;
    if (!(threshold >= 0)) throw new Error(`threshold must be >= 0: got ${threshold}`);
    const dilation = options.dilation ?? 1;
    if (!Number.isInteger(dilation) || dilation < 0) {
      throw new Error(`dilation must be an integer >= 0: got ${dilation}`);
    }
    const batch = options.batch ?? 65536;
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be an integer >= 1: got ${batch}`);
    const jitter = options.jitter ?? null;
    const size = this.size;
    let cells: Int32Array;
    if (options.cells === undefined || options.cells >= size) {
      cells = new Int32Array(size);
      for (let i = 0; i < size; i++) cells[i] = i;
    } else {
      if (!jitter) throw new Error("update: choosing a random subset of cells needs the jitter generator");
      if (!Number.isInteger(options.cells) || options.cells < 1) {
        throw new Error(`cells must be an integer >= 1: got ${options.cells}`);
      }
      cells = new Int32Array(options.cells);
      for (let i = 0; i < cells.length; i++) cells[i] = jitter.int(size);
    }
    const fresh = new Float32Array(size);
    for (let start = 0; start < cells.length; start += batch) {
      const part = cells.subarray(start, Math.min(cells.length, start + batch));
      const sigma = densityAt(this.cellPoints(part, jitter));
      if (sigma.length !== part.length) {
        throw new Error(
          `densityAt must return one density per point: got ${sigma.length} for ${part.length} points`,
        );
      }
      for (let i = 0; i < part.length; i++) {
        const s = sigma[i];
        if (Number.isNaN(s)) {
          throw new Error(`densityAt returned NaN at point ${start + i}: the field diverged`);
        }
        if (s > fresh[part[i]]) fresh[part[i]] = s;
      }
    }
    let sum = 0;
    for (let c = 0; c < size; c++) {
      const d = Math.max(decay * this.density[c], fresh[c]);
      this.density[c] = d;
      sum += d;
    }
    const mean = sum / size;
    const thr = Math.min(threshold, mean);
    for (let c = 0; c < size; c++) this.occupied[c] = this.density[c] > thr ? 1 : 0;
    this.dilate(dilation);
    this.updates++;
    return { threshold: thr, meanDensity: mean, fraction: this.fractionOccupied(), evaluated: cells.length };
  }

  /** Grows the occupied set by `cells` in every direction (a separable max filter along x, y, z). */
  private dilate(cells: number): void {
    if (cells === 0) return;
    const r = this.resolution;
    const strides = [1, r, r * r];
    let src = this.occupied;
    for (const stride of strides) {
      const dst = new Uint8Array(src.length);
      for (let c = 0; c < src.length; c++) {
        if (!src[c]) continue;
        const i = Math.floor(c / stride) % r;
        const lo = Math.max(0, i - cells), hi = Math.min(r - 1, i + cells);
        for (let j = lo; j <= hi; j++) dst[c + (j - i) * stride] = 1;
      }
      src = dst;
    }
    this.occupied.set(src);
  }

  /**
   * The cells a ray crosses inside [lo, hi] (3-D DDA, Amanatides & Woo), in order, with the depths where it
   * enters and leaves each; the segments tile the part of [lo, hi] inside the box.
   * @param o Ray origin in the box's coordinates (already scaled).
   * @param d Ray direction in the box's coordinates (already scaled).
   * @param lo Start of the depth range.
   * @param hi End of the depth range.
   * @param visit Called per cell with (cell, t0, t1); returning false stops the march.
   */
  traverse(
    o: readonly [number, number, number],
    d: readonly [number, number, number],
    lo: number,
    hi: number,
    visit: (cell: number, t0: number, t1: number) => boolean | void,
  ): void {
    const clip = clipToBox(o[0], o[1], o[2], d[0], d[1], d[2], lo, hi);
    if (!clip) return;
    const [t0, t1] = clip;
    const r = this.resolution, h = 2 / r;
    // The cell at the middle of the first step avoids landing on the wrong side of a face at t0.
    const idx = [0, 0, 0],
      step = [0, 0, 0],
      tMax = [Infinity, Infinity, Infinity],
      tDelta = [Infinity, Infinity, Infinity];
    for (let a = 0; a < 3; a++) {
      const p = o[a] + t0 * d[a];
      let i = Math.floor((p + 1) / h);
      if (d[a] < 0 && Math.abs((p + 1) / h - Math.round((p + 1) / h)) < 1e-9) i = Math.round((p + 1) / h) - 1;
      idx[a] = Math.min(r - 1, Math.max(0, i));
      if (d[a] > 0) {
        step[a] = 1;
        tMax[a] = (-1 + (idx[a] + 1) * h - o[a]) / d[a];
        tDelta[a] = h / d[a];
      } else if (d[a] < 0) {
        step[a] = -1;
        tMax[a] = (-1 + idx[a] * h - o[a]) / d[a];
        tDelta[a] = -h / d[a];
      }
    }
    let t = t0;
    for (let guard = 0; guard < 3 * r + 3; guard++) {
      const a = tMax[0] < tMax[1] ? (tMax[0] < tMax[2] ? 0 : 2) : (tMax[1] < tMax[2] ? 1 : 2);
      const tExit = Math.min(tMax[a], t1);
      const cell = (idx[2] * r + idx[1]) * r + idx[0];
      if (visit(cell, t, tExit) === false) return;
      if (tMax[a] >= t1) return;
      t = tMax[a];
      idx[a] += step[a];
      if (idx[a] < 0 || idx[a] >= r) return;
      tMax[a] += tDelta[a];
    }
  }

  /**
   * The cells a ray crosses, as a list (for tests and inspection); see {@linkcode OccupancyGrid.traverse}.
   */
  crossings(
    o: readonly [number, number, number],
    d: readonly [number, number, number],
    lo: number,
    hi: number,
  ): CellCrossing[] {
    const out: CellCrossing[] = [];
    this.traverse(o, d, lo, hi, (cell, t0, t1) => void out.push({ cell, t0, t1 }));
    return out;
  }

  /**
   * Per ray, the depth interval [tNear, tFar] from the first to the last occupied cell it crosses within
   * [near, far], widened by `marginCells` cells (m h / |scale d| in t, h = 2 / R) and clamped to
   * [near, far]. Rays that cross no occupied cell get hit = 0 and tNear = tFar = far.
   * @param origins Ray origins, [n, 3] flattened, in scene units.
   * @param dirs Ray directions, [n, 3] flattened (any length; t is the caller's ray parameter).
   * @param n Number of rays.
   * @param near Start of the rays' depth range.
   * @param far End of the depth range, > near.
   * @param scale Positions are multiplied by this to enter the box (1 / scene radius).
   * @param options Margin in cells.
   * @returns tNear, tFar and hit, each [n].
   */
  rayIntervals(
    origins: Float32Array,
    dirs: Float32Array,
    n: number,
    near: number,
    far: number,
    scale: number,
    options: RayIntervalOptions = {},
  ): RayIntervals {
    if (origins.length !== 3 * n || dirs.length !== 3 * n) {
      throw new Error(
        `origins and dirs must be [${n}, 3] flattened: got lengths ${origins.length}, ${dirs.length}`,
      );
    }
    if (!(far > near)) throw new Error(`near, far must satisfy near < far: got ${near}, ${far}`);
    if (!(scale > 0) || !Number.isFinite(scale)) {
      throw new Error(`scale must be finite and > 0: got ${scale}`);
    }
    const margin = options.marginCells ?? 1;
    if (!(margin >= 0)) throw new Error(`marginCells must be >= 0: got ${margin}`);
    const h = 2 / this.resolution;
    const tNear = new Float32Array(n).fill(far),
      tFar = new Float32Array(n).fill(far),
      hit = new Uint8Array(n);
    const occ = this.occupied;
    for (let r = 0; r < n; r++) {
      const o = [origins[3 * r] * scale, origins[3 * r + 1] * scale, origins[3 * r + 2] * scale] as const;
      const d = [dirs[3 * r] * scale, dirs[3 * r + 1] * scale, dirs[3 * r + 2] * scale] as const;
      let first = Infinity, last = -Infinity;
      this.traverse(o, d, near, far, (cell, t0, t1) => {
        if (occ[cell]) {
          if (first === Infinity) first = t0;
          last = t1;
        }
      });
      if (first === Infinity) continue;
      const mt = margin * h / Math.hypot(d[0], d[1], d[2]);
      tNear[r] = Math.max(near, first - mt);
      tFar[r] = Math.min(far, last + mt);
      hit[r] = 1;
    }
    return { tNear, tFar, hit };
  }

  /** The grid as a JSON-able object; {@linkcode OccupancyGrid.fromState} restores it. */
  state(): OccupancyGridState {
    return {
      format: "occupancy-grid/1",
      resolution: this.resolution,
      updates: this.updates,
      density: toBase64(
        new Uint8Array(this.density.buffer, this.density.byteOffset, this.density.byteLength),
      ),
      occupied: toBase64(this.occupied),
    };
  }

  /**
   * A grid from {@linkcode OccupancyGrid.state}.
   * @throws When the format or the sizes do not match.
   */
  static fromState(state: OccupancyGridState): OccupancyGrid {
    if (!state || state.format !== "occupancy-grid/1") {
      throw new Error(
        `occupancy grid state must have format "occupancy-grid/1": got ${JSON.stringify(state?.format)}`,
      );
    }
    const grid = new OccupancyGrid({ resolution: state.resolution });
    const density = fromBase64(state.density), occupied = fromBase64(state.occupied);
    if (density.length !== 4 * grid.size || occupied.length !== grid.size) {
      throw new Error(
        `occupancy grid state of resolution ${state.resolution} needs ${grid.size} cells: got ` +
          `${density.length / 4} densities and ${occupied.length} occupancy bytes`,
      );
    }
    grid.density.set(new Float32Array(density.buffer, density.byteOffset, grid.size));
    grid.occupied.set(occupied);
    grid.updates = state.updates;
    return grid;
  }
}
