import { assert, assertAlmostEquals, assertEquals, assertGreater, assertGreaterOrEqual } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import type { Image } from "../io/types.ts";
import { gaussianBlur } from "./canny.ts";
import { cpbd, edgeWidths, luminance255 } from "./cpbd.ts";

const grey = (w: number, h: number, plane: ArrayLike<number>): Image => ({
  width: w,
  height: h,
  channels: 1,
  data: Uint8Array.from(plane, (v) => Math.max(0, Math.min(255, Math.round(v)))),
});

/** Vertical bands: `low` for 12 columns, a 4 px ramp up, `high` for 12 columns, a 4 px ramp down. */
function rampBands(w: number, h: number, low: number, high: number): Image {
  const row = Array.from({ length: w }, (_, x) => {
    const p = x % 32, d = high - low;
    if (p < 12) return low;
    if (p < 16) return low + (d * (p - 11)) / 4;
    if (p < 28) return high;
    return high - (d * (p - 27)) / 4;
  });
  return grey(w, h, Array.from({ length: w * h }, (_, i) => row[i % w]));
}

/** A "dead leaves" image: overlapping discs of random grey in [lo, hi], a standard sharpness target. */
function deadLeaves(n: number, lo: number, hi: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const p = new Float64Array(n * n).fill((lo + hi) / 2);
  for (let k = 0; k < 300; k++) {
    const cx = rng.next() * n, cy = rng.next() * n, r = 4 + rng.next() * 20, v = lo + rng.next() * (hi - lo);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) p[y * n + x] = v;
    }
  }
  return p;
}

Deno.test("edgeWidths: distance between the intensity extrema left and right of the edge pixel", () => {
  const w = 11;
  // Rising ramp from col 2 (0) to col 6 (200): width 6 - 2 = 4 wherever inside the ramp the edge is.
  const rise = [0, 0, 0, 50, 100, 150, 200, 200, 200, 200, 200];
  const plane = Float64Array.from({ length: 3 * w }, (_, i) => rise[i % w]);
  for (const col of [3, 4, 5]) {
    const edges = new Uint8Array(3 * w);
    edges[w + col] = 1;
    assertEquals(edgeWidths({ width: w, height: 3, data: plane }, edges)[w + col], 4, `edge at col ${col}`);
  }
  // The mirrored (falling) ramp has the same width.
  const fall = Float64Array.from(plane, (_, i) => rise[w - 1 - (i % w)]);
  const e = new Uint8Array(3 * w);
  e[w + 5] = 1;
  assertEquals(edgeWidths({ width: w, height: 3, data: fall }, e)[w + 5], 4);
  // A vertical gradient (angle 90) is not measured.
  const vert = Float64Array.from({ length: 3 * w }, (_, i) => 100 * Math.floor(i / w));
  assertEquals(edgeWidths({ width: w, height: 3, data: vert }, e)[w + 5], 0);
});

Deno.test("cpbd: the JNB width depends on block contrast (hand-derived P for 4 px ramps)", () => {
  // Every measured edge is 4 px wide. Contrast 40 <= 50: w_JNB = 5, P = 1 - exp(-(4/5)^3.6) = 0.361 -> sharp.
  // Contrast 200 > 50: w_JNB = 3, P = 1 - exp(-(4/3)^3.6) = 0.940 -> blurred.
  assertAlmostEquals(1 - Math.exp(-((4 / 5) ** 3.6)), 0.361, 1e-3);
  assertAlmostEquals(1 - Math.exp(-((4 / 3) ** 3.6)), 0.940, 1e-3);
  const soft = cpbd(rampBands(128, 64, 100, 140));
  const hard = cpbd(rampBands(128, 64, 20, 220));
  assertEquals([soft.cpbd, soft.blocks, soft.edgeBlocks], [1, 2, 2]);
  assertEquals(hard.cpbd, 0);
  // 2 blocks x 2 ramps x 2 (up, down) edges per row, rows 1..62.
  assertEquals(soft.edgeCount, 2 * 2 * 2 * 62);
  assertEquals(hard.edgeCount, soft.edgeCount);
});

Deno.test("cpbd: a step-edge pattern is sharp, and gets less sharp as Gaussian blur grows", () => {
  const n = 128;
  const bands = rampBands(n, n, 20, 220).data;
  const steps = Float64Array.from(bands, (v) => (v > 120 ? 220 : 20)); // hard steps, edges 2 px wide
  const leaves = deadLeaves(n, 100, 160, 1);
  for (const [name, plane] of [["steps", steps], ["dead leaves", leaves]] as const) {
    const scores = [0, 1, 2, 3].map((s) =>
      cpbd(grey(n, n, gaussianBlur({ width: n, height: n, data: plane }, s).data))
    );
    // (At sigma 3 the periodic steps are so smooth that no gradient passes the 2 x RMS Sobel cut-off.)
    for (const r of scores.slice(0, 3)) assertGreater(r.edgeCount, 0);
    for (let k = 1; k < scores.length; k++) {
      assertGreaterOrEqual(scores[k - 1].cpbd, scores[k].cpbd, `${name} sigma ${k}`);
    }
    assertEquals(scores[0].cpbd, 1, `${name}: unblurred`);
    assertGreater(scores[0].cpbd, scores[1].cpbd + 0.5, `${name}: sigma 1 is clearly blurrier`);
    if (name === "dead leaves") {
      // Medium-contrast edges: still partly sharp at sigma 1, so the curve is strictly decreasing.
      assertGreater(scores[1].cpbd, scores[2].cpbd);
      assertGreater(scores[1].cpbd, 0.1);
    }
  }
});

Deno.test("cpbd: a constant image has no edges: cpbd 0 with edgeCount 0 (no NaN)", () => {
  const r = cpbd(grey(128, 96, new Float64Array(128 * 96).fill(90)));
  assertEquals(r, { cpbd: 0, edgeCount: 0, edgeBlocks: 0, blocks: 2 });
});

Deno.test("cpbd: colour goes through integer luminance; a grey RGB image scores like its grey plane", () => {
  assertEquals(
    Array.from(luminance255({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) }).data),
    [76],
  );
  const g = grey(128, 64, deadLeaves(128, 0, 255, 2).subarray(0, 128 * 64));
  const rgb: Image = {
    width: 128,
    height: 64,
    channels: 3,
    data: Uint8Array.from({ length: 3 * 128 * 64 }, (_, i) => g.data[Math.floor(i / 3)]),
  };
  assertEquals(cpbd(rgb), cpbd(g));
  const f = { ...g, data: Float32Array.from(g.data, (v) => v / 255) };
  assertEquals(cpbd(f), cpbd(g));
});

Deno.test("cpbd: a 512x512 frame takes well under a few seconds", () => {
  const n = 512, rng = createRng(4);
  const plane = gaussianBlur(
    { width: n, height: n, data: Float64Array.from({ length: n * n }, () => 255 * rng.next()) },
    1,
  ).data;
  const t0 = performance.now();
  const r = cpbd(grey(n, n, plane));
  const ms = performance.now() - t0;
  assert(r.blocks === 64 && ms < 5000, `cpbd on 512x512 took ${ms.toFixed(0)} ms`);
});
