import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { stratifiedSamples } from "./stratified.ts";

Deno.test("with an rng: one sample per bin, increasing, repeatable for a seed", () => {
  const n = 50, k = 8, near = 1, far = 3, h = (far - near) / k;
  const t = stratifiedSamples(n, near, far, k, createRng(4));
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const v = t[r * k + i];
      assert(
        v >= Math.fround(near + i * h) && v <= Math.fround(near + (i + 1) * h),
        `ray ${r} bin ${i}: ${v}`,
      );
    }
  }
  assertEquals(stratifiedSamples(n, near, far, k, createRng(4)), t);
  assert(!stratifiedSamples(n, near, far, k, createRng(5)).every((v, i) => v === t[i]));
});

Deno.test("jitter is uniform within the bin: Monte-Carlo mean and variance of the offset", () => {
  const n = 4000, k = 4, near = 0, far = 4;
  const t = stratifiedSamples(n, near, far, k, createRng(6));
  let sum = 0, sq = 0;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < k; i++) {
      const off = t[r * k + i] - i; // U[0, 1) for bins of width 1
      sum += off, sq += off * off;
    }
  }
  const m = sum / (n * k), v = sq / (n * k) - m * m;
  // Standard errors: mean sqrt(1/12 / 16000) = 0.0023; use 4 sigma.
  assertLess(Math.abs(m - 0.5), 0.01);
  assertLess(Math.abs(v - 1 / 12), 0.004);
});

Deno.test("null rng gives the bin midpoints for every ray", () => {
  const t = stratifiedSamples(3, 2, 3, 5, null);
  for (let r = 0; r < 3; r++) {
    [2.1, 2.3, 2.5, 2.7, 2.9].forEach((want, i) => assertAlmostEquals(t[r * 5 + i], want, 1e-6));
  }
});

Deno.test("stratifiedSamples rejects bad arguments", () => {
  assertThrows(() => stratifiedSamples(1, 2, 2, 4, null), Error, "near < far");
  assertThrows(() => stratifiedSamples(1, 0, 1, 0, null), Error, "numSamples");
  assertThrows(() => stratifiedSamples(-1, 0, 1, 4, null), Error, "n (rays)");
});
