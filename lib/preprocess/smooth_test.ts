import { assertAlmostEquals, assertLess } from "@std/assert";
import { meanAngularStep, savitzkyGolay, smoothPoses, smoothSeries } from "./smooth.ts";

let seed = 11;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;

Deno.test("savitzkyGolay removes most white noise and keeps a slow sine", () => {
  const n = 200;
  const clean = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 15));
  const noisy = clean.map((v) => v + 0.2 * rand());
  const y = savitzkyGolay(noisy, { window: 9, order: 2 });
  const err = (a: Float64Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - clean[i]) ** 2, 0) / n);
  assertLess(err(y), err(noisy) * 0.6);
});

Deno.test("savitzkyGolay: window 1 or order >= window - 1 leaves the series unchanged", () => {
  const x = Float64Array.from([1, 5, 2, 8, 3]);
  savitzkyGolay(x, { window: 1 }).forEach((v, i) => assertAlmostEquals(v, x[i], 1e-12));
  savitzkyGolay(x, { window: 3, order: 2 }).forEach((v, i) => assertAlmostEquals(v, x[i], 1e-9));
});

Deno.test("smoothSeries smooths each coordinate; smoothPoses lowers the jitter of a noisy path", () => {
  const frames = Array.from({ length: 50 }, (_, i) => Float64Array.of(i, 2 * i + rand()));
  const s = smoothSeries(frames, { window: 7 });
  assertAlmostEquals(s[10][0], 10, 1e-9);
  const path = Array.from({ length: 100 }, (_, i) => ({
    euler: [0.01 * rand(), 0.05 * Math.sin(i / 20) + 0.01 * rand(), 0.01 * rand()] as const,
    trans: [0, 0, -10] as const,
  }));
  const smooth = smoothPoses(path, { window: 9 });
  assertLess(meanAngularStep(smooth), meanAngularStep(path) * 0.6);
  // Euler angles near +-pi are unwrapped before smoothing (no average through 0).
  const wrapped = Array.from({ length: 20 }, (_, i) => ({
    euler: [0, 0, i % 2 ? Math.PI - 0.01 : -Math.PI + 0.01] as const,
    trans: [0, 0, -1] as const,
  }));
  for (const p of smoothPoses(wrapped, { window: 5 })) assertLess(Math.PI - Math.abs(p.euler[2]), 0.02);
});
