import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { raysForPixels } from "../camera/mod.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import { weightsFromDensity } from "../render/mod.ts";
import { assertNoLeak } from "../testing/mod.ts";
import { hitIndices, OccupancyGrid, stratifiedInIntervals } from "./occupancy_grid.ts";
import { deltasFromT, dirNorms, samplePoints } from "./points.ts";
import { stratifiedSamples } from "./stratified.ts";

await initBackend({ log: null });

/** Densities of a function at the points of a flat [m, 3] array. */
function densities(f: (x: number, y: number, z: number) => number) {
  return (p: Float32Array) =>
    Float32Array.from({ length: p.length / 3 }, (_, i) => f(p[3 * i], p[3 * i + 1], p[3 * i + 2]));
}

function randomGrid(res: number, fill: number, rng: Rng): OccupancyGrid {
  const g = new OccupancyGrid({ resolution: res });
  for (let c = 0; c < g.size; c++) g.occupied[c] = rng.next() < fill ? 1 : 0;
  return g;
}

Deno.test("DDA visits the same occupied cells as dense sampling of the ray, with the same first and last t", () => {
  const rng = createRng(3);
  let hits = 0;
  for (let trial = 0; trial < 60; trial++) {
    const res = [4, 7, 16][trial % 3];
    const grid = randomGrid(res, [0.02, 0.1, 0.4][trial % 3], rng);
    const scale = 0.5 + rng.next();
    // Origins anywhere in a ball of radius 3 (inside or outside the box), directions of random length.
    const o = [0, 0, 0].map(() => (2 * rng.next() - 1) * 3 / scale);
    const len = 0.3 + 2 * rng.next();
    // Aimed at a random point of the box (or past it, beyond its corners, for a third of the rays).
    const spread = trial % 3 === 0 ? 3 : 1;
    const dir = [0, 1, 2].map((a) => (2 * rng.next() - 1) * spread / scale - o[a]);
    const norm = Math.hypot(...dir);
    const d = dir.map((v) => v / norm * len);
    const near = rng.next(), far = near + 8 / (scale * len);
    const os = o.map((v) => v * scale) as [number, number, number];
    const ds = d.map((v) => v * scale) as [number, number, number];
    // Brute force: 40k points along [near, far].
    const m = 40_000, step = (far - near) / m;
    const seen = new Set<number>();
    let first = Infinity, last = -Infinity;
    for (let i = 0; i <= m; i++) {
      const t = near + i * step;
      const c = grid.cellAt(os[0] + t * ds[0], os[1] + t * ds[1], os[2] + t * ds[2]);
      if (c < 0) continue;
      seen.add(c);
      if (grid.occupied[c]) first = Math.min(first, t), last = Math.max(last, t);
    }
    const cross = grid.crossings(os, ds, near, far);
    const visited = new Set(cross.map((c) => c.cell));
    for (const c of seen) assert(visited.has(c), `trial ${trial}: sampled cell ${c} not visited by the DDA`);
    for (const c of cross) {
      if (c.t1 - c.t0 > 2 * step) {
        assert(seen.has(c.cell), `trial ${trial}: DDA cell ${c.cell} never sampled`);
      }
    }
    for (let i = 1; i < cross.length; i++) {
      assertAlmostEquals(cross[i].t0, cross[i - 1].t1, 1e-9, "segments tile");
    }
    const iv = grid.rayIntervals(Float32Array.from(o), Float32Array.from(d), 1, near, far, scale, {
      marginCells: 0,
    });
    if (first === Infinity) {
      assertEquals(iv.hit[0], 0, `trial ${trial}: DDA reports a hit that sampling does not see`);
      continue;
    }
    hits++;
    assertEquals(iv.hit[0], 1, `trial ${trial}`);
    const tol = 2 * step + 1e-5 * far;
    assertAlmostEquals(iv.tNear[0], first, tol, `trial ${trial}: first occupied t`);
    assertAlmostEquals(iv.tFar[0], last, tol, `trial ${trial}: last occupied t`);
    // The margin widens the interval by exactly one cell (in t), within [near, far].
    const wide = grid.rayIntervals(Float32Array.from(o), Float32Array.from(d), 1, near, far, scale);
    const mt = (2 / res) / (scale * len);
    assertAlmostEquals(wide.tNear[0], Math.max(near, iv.tNear[0] - mt), 1e-5 * far);
    assertAlmostEquals(wide.tFar[0], Math.min(far, iv.tFar[0] + mt), 1e-5 * far);
  }
  assertGreater(hits, 15, "enough random rays hit something");
});

Deno.test("DDA along axes and through cell corners tiles the box exactly", () => {
  const grid = new OccupancyGrid({ resolution: 4 });
  const along = grid.crossings([-2, 0.25, 0.25], [1, 0, 0], 0, 10);
  assertEquals(along.map((c) => c.cell), [40, 41, 42, 43].map((x) => x + 0)); // (iz 2, iy 2): 2*16 + 2*4 = 40
  assertEquals(along.map((c) => [c.t0, c.t1]), [[1, 1.5], [1.5, 2], [2, 2.5], [2.5, 3]]);
  const diag = grid.crossings([-1, -1, -1], [1, 1, 1], 0, 10);
  assertEquals(diag[0].cell, 0);
  assertEquals(diag[diag.length - 1].cell, 63);
  assertAlmostEquals(diag[diag.length - 1].t1, 2, 1e-12);
  // Moving in -x from the upper face: first cell is the last column.
  assertEquals(grid.crossings([1, -0.9, -0.9], [-1, 0, 0], 0, 0.2)[0].cell, 3);
  assertEquals(grid.crossings([0, 5, 0], [1, 0, 0], 0, 10), []); // misses the box
});

Deno.test("a ball's occupied cells are exactly the cells within one cell of a centre inside it", () => {
  const res = 16, radius = 0.45, c = [0.1, -0.05, 0.2];
  const grid = new OccupancyGrid({ resolution: res });
  const inside = (x: number, y: number, z: number) => Math.hypot(x - c[0], y - c[1], z - c[2]) < radius;
  const info = grid.update(densities((x, y, z) => inside(x, y, z) ? 5 : 0));
  const h = 2 / res, centre = (i: number) => -1 + (i + 0.5) * h;
  let expected = 0;
  for (let iz = 0; iz < res; iz++) {
    for (let iy = 0; iy < res; iy++) {
      for (let ix = 0; ix < res; ix++) {
        let near = false;
        for (let dz = -1; dz <= 1 && !near; dz++) {
          for (let dy = -1; dy <= 1 && !near; dy++) {
            for (let dx = -1; dx <= 1 && !near; dx++) {
              const jx = ix + dx, jy = iy + dy, jz = iz + dz;
              if (jx < 0 || jy < 0 || jz < 0 || jx >= res || jy >= res || jz >= res) continue;
              near = inside(centre(jx), centre(jy), centre(jz));
            }
          }
        }
        expected += near ? 1 : 0;
        assertEquals(grid.occupied[(iz * res + iy) * res + ix], near ? 1 : 0, `cell ${ix},${iy},${iz}`);
      }
    }
  }
  assertAlmostEquals(info.fraction, expected / res ** 3, 1e-12);
  assertLess(info.fraction, 0.25);
  assertAlmostEquals(info.threshold, 0.01, 1e-12); // the mean (5 x ball fraction) is above 0.01
  // The interval of any ray through the ball contains the analytic chord.
  const rng = createRng(5);
  let through = 0;
  for (let i = 0; i < 200; i++) {
    const o = [rng.normal() * 3, rng.normal() * 3, rng.normal() * 3];
    const target = [c[0] + rng.normal() * 0.3, c[1] + rng.normal() * 0.3, c[2] + rng.normal() * 0.3];
    const d = target.map((v, a) => v - o[a]);
    // |o + t d - c|^2 = radius^2.
    const oc = o.map((v, a) => v - c[a]);
    const A = d[0] ** 2 + d[1] ** 2 + d[2] ** 2, B = 2 * (oc[0] * d[0] + oc[1] * d[1] + oc[2] * d[2]);
    const C = oc[0] ** 2 + oc[1] ** 2 + oc[2] ** 2 - radius ** 2;
    const disc = B * B - 4 * A * C;
    const iv = grid.rayIntervals(Float32Array.from(o), Float32Array.from(d), 1, 0, 10, 1);
    if (disc <= 0) continue;
    const t0 = (-B - Math.sqrt(disc)) / (2 * A), t1 = (-B + Math.sqrt(disc)) / (2 * A);
    if (t0 < 0) continue;
    through++;
    assertEquals(iv.hit[0], 1);
    assert(
      iv.tNear[0] <= t0 + 1e-6 && iv.tFar[0] >= t1 - 1e-6,
      `ray ${i}: [${iv.tNear[0]}, ${iv.tFar[0]}] holds [${t0}, ${t1}]`,
    );
  }
  assertGreater(through, 50);
});

Deno.test("update keeps max(decay * old, new), thresholds at min(threshold, mean), and decays unvisited cells", () => {
  const grid = new OccupancyGrid({ resolution: 2 });
  assertEquals(grid.fractionOccupied(), 1); // nothing is skipped before the first update
  grid.update(densities((x) => x < 0 ? 2 : 0), { dilation: 0 });
  assertEquals(Array.from(grid.density), [2, 0, 2, 0, 2, 0, 2, 0]);
  assertEquals(grid.fractionOccupied(), 0.5);
  const info = grid.update(densities(() => 0), { dilation: 0, decay: 0.5 });
  assertEquals(Array.from(grid.density), [1, 0, 1, 0, 1, 0, 1, 0]);
  assertEquals(info.threshold, 0.01);
  // Low densities everywhere: the mean (0.002) becomes the threshold, so the densest cells stay.
  const low = new OccupancyGrid({ resolution: 2 });
  const lowInfo = low.update(densities((x, y) => x < 0 && y < 0 ? 0.008 : 0), { dilation: 0 });
  assertAlmostEquals(lowInfo.threshold, 0.002, 1e-9);
  assertEquals(Array.from(low.occupied), [1, 0, 0, 0, 1, 0, 0, 0]);
  // A random subset evaluates only some cells; the others decay.
  const sub = new OccupancyGrid({ resolution: 4 });
  sub.update(densities(() => 1));
  const s = sub.update(densities(() => 1), { cells: 8, jitter: createRng(1), decay: 0.5 });
  assertEquals(s.evaluated, 8);
  const ones = Array.from(sub.density).filter((v) => v === 1).length;
  assert(ones >= 1 && ones <= 8 && Array.from(sub.density).every((v) => v === 1 || v === 0.5));
  assertThrows(() => sub.update(densities(() => NaN)), Error, "NaN");
  assertThrows(() => sub.update(densities(() => 1), { cells: 3 }), Error, "jitter");
  assertThrows(() => sub.update(() => new Float32Array(1)), Error, "one density per point");
});

Deno.test("jittered update points stay inside their cells", () => {
  const grid = new OccupancyGrid({ resolution: 8 });
  const cells = Int32Array.from({ length: grid.size }, (_, i) => i);
  const p = grid.cellPoints(cells, createRng(2));
  for (let i = 0; i < cells.length; i++) assertEquals(grid.cellAt(p[3 * i], p[3 * i + 1], p[3 * i + 2]), i);
});

Deno.test("state round-trips through JSON, and bad states are refused", () => {
  const grid = new OccupancyGrid({ resolution: 8 });
  grid.update(densities((x, y, z) => Math.exp(-10 * (x * x + y * y + z * z))), { jitter: createRng(4) });
  const copy = OccupancyGrid.fromState(JSON.parse(JSON.stringify(grid.state())));
  assertEquals(copy.resolution, 8);
  assertEquals(copy.updates, 1);
  assertEquals(copy.density, grid.density);
  assertEquals(copy.occupied, grid.occupied);
  assertThrows(() => OccupancyGrid.fromState({ ...grid.state(), resolution: 4 }), Error, "needs 64 cells");
  assertThrows(() => OccupancyGrid.fromState({ ...grid.state(), format: "x" as never }), Error, "format");
});

Deno.test("stratifiedInIntervals: bins per ray, jitter inside them, misses all at far", () => {
  const t = stratifiedInIntervals(Float32Array.of(1, 4), Float32Array.of(3, 4), 2, 4, createRng(7));
  for (let i = 0; i < 4; i++) assert(t[i] >= 1 + 0.5 * i && t[i] < 1 + 0.5 * (i + 1));
  assertEquals(Array.from(t.subarray(4)), [4, 4, 4, 4]);
  assertEquals(Array.from(hitIndices(Uint8Array.of(1, 0, 1))), [0, 2]);
  assertThrows(
    () => stratifiedInIntervals(Float32Array.of(2), Float32Array.of(1), 1, 2, null),
    Error,
    "reversed",
  );
});

// ---- Rendering an analytic scene with and without empty-space skipping. ----

/** A ball of radius 0.4 (box units) at (0.1, 0, 0) with a soft edge and a colour pattern. */
const CENTRE = [0.1, 0, 0];
function sceneSigma(x: number, y: number, z: number): number {
  const r = Math.hypot(x - CENTRE[0], y - CENTRE[1], z - CENTRE[2]);
  return 30 * Math.min(1, Math.max(0, (0.4 - r) / 0.08));
}
function sceneRgb(x: number, y: number, z: number): [number, number, number] {
  return [0.5 + 0.5 * Math.sin(9 * x), 0.5 + 0.5 * Math.sin(7 * y + 1), 0.5 + 0.5 * Math.cos(8 * z)];
}

/**
 * Colour of n rays at depths t [n, k]: weightsFromDensity on the analytic field (positions scaled into the
 * box), composited over a grey background; rays outside `only` are the background.
 */
function renderScene(
  origins: Float32Array,
  dirs: Float32Array,
  t: Float32Array,
  n: number,
  k: number,
  scale: number,
): Float32Array {
  const pts = samplePoints(origins, dirs, t, n, k);
  const sigma = new Float32Array(n * k), rgb = new Float32Array(n * k * 3);
  for (let i = 0; i < n * k; i++) {
    const x = pts[3 * i] * scale, y = pts[3 * i + 1] * scale, z = pts[3 * i + 2] * scale;
    sigma[i] = sceneSigma(x, y, z) * scale; // density per scene unit
    rgb.set(sceneRgb(x, y, z), 3 * i);
  }
  const deltas = deltasFromT(t, n, k, { lastDelta: 0, dirNorms: dirNorms(dirs) });
  const out = tf.tidy(() => {
    const w = weightsFromDensity(tf.tensor2d(sigma, [n, k]), tf.tensor2d(deltas, [n, k]));
    const fg = tf.sum(tf.mul(w.expandDims(2), tf.tensor3d(rgb, [n, k, 3])), 1);
    const acc = tf.sum(w, 1, true);
    return tf.add(fg, tf.mul(tf.sub(1, acc), 0.2));
  });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return values;
}

function cameraRays() {
  const size = 24;
  // Camera at (0.3, 0.5, 6) (scene units), looking down -z; the ball (radius 0.8 scene units) fills the middle.
  const c2w = Float32Array.of(1, 0, 0, 0.3, 0, 1, 0, 0.5, 0, 0, 1, 6, 0, 0, 0, 1);
  const ids = Int32Array.from({ length: size * size }, (_, i) => i);
  const { origins, dirs } = raysForPixels(c2w, ids, {
    focal: 40,
    cx: size / 2,
    cy: size / 2,
    width: size,
    height: size,
  });
  return { origins, dirs, n: ids.length };
}

function rmse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s / a.length);
}

Deno.test("empty-space skipping renders the reference image with k' << k samples; naive k' does not", async () => {
  const { origins, dirs, n } = cameraRays();
  const scale = 0.5, near = 3, far = 9, kRef = 2048, kFew = 24;
  const reference = renderScene(origins, dirs, stratifiedSamples(n, near, far, kRef, null), n, kRef, scale);
  const naive = renderScene(origins, dirs, stratifiedSamples(n, near, far, kFew, null), n, kFew, scale);
  const grid = new OccupancyGrid({ resolution: 32 });
  const info = grid.update((p) => densities(sceneSigma)(p).map((s) => s * scale), { jitter: createRng(1) });
  assertLess(info.fraction, 0.1);
  const { tNear, tFar, hit } = grid.rayIntervals(origins, dirs, n, near, far, scale);
  const idx = hitIndices(hit);
  assertGreater(idx.length, n / 10);
  assertLess(idx.length, n);
  const pick = (a: Float32Array, c: number) => {
    const out = new Float32Array(idx.length * c);
    idx.forEach((r, j) => out.set(a.subarray(r * c, (r + 1) * c), j * c));
    return out;
  };
  const t = stratifiedInIntervals(pick(tNear, 1), pick(tFar, 1), idx.length, kFew, null);
  const hitRgb = renderScene(pick(origins, 3), pick(dirs, 3), t, idx.length, kFew, scale);
  const skipped = new Float32Array(n * 3).fill(0.2);
  idx.forEach((r, j) => skipped.set(hitRgb.subarray(3 * j, 3 * j + 3), 3 * r));
  const errSkip = rmse(skipped, reference), errNaive = rmse(naive, reference);
  let maxMiss = 0; // rays the grid skips must be background in the reference
  for (let r = 0; r < n; r++) {
    if (!hit[r]) {
      for (let c = 0; c < 3; c++) maxMiss = Math.max(maxMiss, Math.abs(reference[3 * r + c] - 0.2));
    }
  }
  assertLess(maxMiss, 1e-6);
  assertLess(errSkip, 0.003, `skipped RMSE ${errSkip}`);
  assertGreater(errNaive, 4 * errSkip, `naive RMSE ${errNaive} vs skipped ${errSkip}`);
  console.log(
    `analytic scene, ${n} rays: RMSE vs ${kRef} samples: skipped (${kFew} in intervals) ${
      errSkip.toFixed(5)
    }, ` +
      `naive (${kFew} over [near, far]) ${errNaive.toFixed(5)}; ${idx.length} rays hit, ${
        (100 * info.fraction).toFixed(1)
      }% cells occupied`,
  );
  await assertNoLeak(
    () => void renderScene(origins.subarray(0, 3), dirs.subarray(0, 3), t.subarray(0, kFew), 1, kFew, scale),
    "renderScene",
  );
});
