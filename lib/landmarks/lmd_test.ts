import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { landmarkDistance, lmdMetric, lmdOverFrames } from "./lmd.ts";

const randomLms = (seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: 136 }, () => 100 + 300 * rng.next());
};

Deno.test("landmarkDistance: identical sets give 0; a translation is removed by centring", () => {
  const a = randomLms(1);
  assertEquals(landmarkDistance(a, a), 0);
  const moved = a.map((v, k) => v + (k % 2 ? -7 : 3));
  assertAlmostEquals(landmarkDistance(moved, a), 0, 1e-4);
  assertAlmostEquals(landmarkDistance(moved, a, { align: "none" }), Math.hypot(3, 7), 1e-4);
  assertAlmostEquals(landmarkDistance(moved, a, { points: "face" }), 0, 1e-4);
});

Deno.test("landmarkDistance: direct formula on the mouth equals the mean of centred distances", () => {
  const p = randomLms(2), g = randomLms(3);
  // Independent path: centre explicitly with arrays, then average the norms.
  const idx = Array.from({ length: 20 }, (_, i) => 48 + i);
  const centred = (l: Float32Array) => {
    const cx = idx.reduce((s, i) => s + l[2 * i], 0) / 20,
      cy = idx.reduce((s, i) => s + l[2 * i + 1], 0) / 20;
    return idx.map((i) => [l[2 * i] - cx, l[2 * i + 1] - cy]);
  };
  const cp = centred(p), cg = centred(g);
  const expected = cp.reduce((s, [x, y], k) => s + Math.hypot(x - cg[k][0], y - cg[k][1]), 0) / 20;
  assertAlmostEquals(landmarkDistance(p, g), expected, 1e-9);
  assertAlmostEquals(landmarkDistance(p, g, { points: idx }), expected, 1e-9);
  assertAlmostEquals(landmarkDistance(g, p), expected, 1e-9); // symmetric
  // Scaling the mouth about its centroid by s moves every point by (s - 1) |r_i|.
  const scaled = g.map((v, k) => {
    const i = k >> 1;
    if (i < 48) return v;
    const c = idx.reduce((s, j) => s + g[2 * j + (k & 1)], 0) / 20;
    return c + 1.5 * (v - c);
  });
  const meanRadius = cg.reduce((s, [x, y]) => s + Math.hypot(x, y), 0) / 20;
  assertAlmostEquals(landmarkDistance(scaled, g), 0.5 * meanRadius, 1e-3);
});

Deno.test("lmdOverFrames: frames without a face are counted, not dropped or NaN", () => {
  const a = randomLms(4), b = randomLms(5);
  const s = lmdOverFrames([a, null, b, a], [a, a, a, null]);
  assertEquals([s.frames, s.framesUsed, s.framesWithoutFace, s.missingPred, s.missingGt], [4, 2, 2, 1, 1]);
  assertEquals(s.perFrame[1], null);
  assertAlmostEquals(s.lmd!, landmarkDistance(b, a) / 2, 1e-9);
  const none = lmdOverFrames([null], [a]);
  assertEquals(none.lmd, null);
  assertEquals(lmdMetric(none), {
    name: "LMD (face-api)",
    value: null,
    note: "1 of 1 frames without a face (pred 1, gt 0)",
  });
  assertEquals(lmdMetric(lmdOverFrames([a], [a], { points: "face", detector: "dlib" })), {
    name: "LMD face (dlib)",
    value: 0,
  });
  assertThrows(() => lmdOverFrames([a], []), Error, "1 predicted frames but 0 ground-truth frames");
  assertThrows(() => landmarkDistance(a, a, { points: [70] }), Error, "index 70 is not in 0..67");
});
