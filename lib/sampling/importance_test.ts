import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { importanceSamples, PDF_WEIGHT_FLOOR } from "./importance.ts";
import { stratifiedSamples } from "./stratified.ts";

/** Analytic CDF of the piecewise-constant pdf, written independently: sum of bin masses times coverage. */
function analyticCdf(t: number, tv: number[], w: number[]): number {
  const k = tv.length;
  let total = 0, acc = 0;
  for (let j = 0; j < k - 2; j++) total += w[j + 1] + PDF_WEIGHT_FLOOR;
  for (let j = 0; j < k - 2; j++) {
    const lo = (tv[j] + tv[j + 1]) / 2, hi = (tv[j + 1] + tv[j + 2]) / 2;
    const cover = Math.min(1, Math.max(0, (t - lo) / (hi - lo)));
    acc += cover * (w[j + 1] + PDF_WEIGHT_FLOOR) / total;
  }
  return acc;
}

// A known density on [0, 1]: the weights of 32 midpoints follow a bump plus a small second mode.
const K = 32;
const TV = Array.from(stratifiedSamples(1, 0, 1, K, null));
const W = TV.map((t) => Math.exp(-(((t - 0.6) / 0.08) ** 2)) + 0.3 * Math.exp(-(((t - 0.2) / 0.05) ** 2)));

Deno.test("random samples follow the analytic piecewise-linear CDF (Kolmogorov-Smirnov)", () => {
  const n = 40, m = 64, N = n * m;
  const tVals = new Float32Array(n * K), weights = new Float32Array(n * K);
  for (let r = 0; r < n; r++) tVals.set(TV, r * K), weights.set(W, r * K);
  const s = importanceSamples(tVals, weights, n, m, createRng(8));
  const sorted = Array.from(s).sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((t, i) => {
    const F = analyticCdf(t, TV, W);
    d = Math.max(d, Math.abs(F - i / N), Math.abs(F - (i + 1) / N));
  });
  // KS critical value at the 0.1 % level: 1.95 / sqrt(N) = 0.0385 for N = 2560.
  assertLess(d, 1.95 / Math.sqrt(N));
});

Deno.test("deterministic samples sit exactly at the quantiles (i + 1/2) / N", () => {
  const m = 16;
  const s = importanceSamples(Float32Array.from(TV), Float32Array.from(W), 1, m, null);
  for (let i = 0; i < m; i++) assertAlmostEquals(analyticCdf(s[i], TV, W), (i + 0.5) / m, 2e-5);
});

Deno.test("samples are sorted, inside [first midpoint, last midpoint], and each ray uses its own weights", () => {
  // Ray 0 puts its mass near t = 2 (of 0..4), ray 1 near t = 7 (of 5..9).
  const tVals = Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  const weights = Float32Array.of(0, 0, 1, 0, 0, 0, 0, 1, 0, 0);
  const s = importanceSamples(tVals, weights, 2, 50, createRng(2));
  for (let r = 0; r < 2; r++) {
    const ray = Array.from(s.subarray(r * 50, r * 50 + 50));
    assertEquals(ray, [...ray].sort((a, b) => a - b));
    assert(ray.every((t) => t >= 0.5 + 5 * r && t <= 3.5 + 5 * r));
    // Mass in the bin around the peak: 1 / (1 + 3e-5); expect all 50 samples there.
    assert(ray.every((t) => t >= 1.5 + 5 * r && t <= 2.5 + 5 * r), `ray ${r}: ${ray}`);
  }
});

Deno.test("all-zero weights give evenly spread samples (the 1e-5 floor)", () => {
  const s = importanceSamples(Float32Array.of(0, 1, 2, 3, 4), new Float32Array(5), 1, 6, null);
  // Bins [0.5, 3.5] with equal mass: quantiles (i + 1/2)/6 map to 0.75, 1.25, ..., 3.25.
  [0.75, 1.25, 1.75, 2.25, 2.75, 3.25].forEach((want, i) => assertAlmostEquals(s[i], want, 1e-5));
});

Deno.test("importanceSamples rejects bad shapes and negative weights", () => {
  assertThrows(
    () => importanceSamples(new Float32Array(4), new Float32Array(4), 2, 4, null),
    Error,
    "K >= 3",
  );
  assertThrows(
    () => importanceSamples(new Float32Array(6), new Float32Array(5), 2, 4, null),
    Error,
    "weights must be",
  );
  assertThrows(
    () => importanceSamples(Float32Array.of(0, 1, 2), Float32Array.of(0, -1, 0), 1, 4, null),
    Error,
    ">= 0",
  );
});
