import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { coupledTorsoPath, headPosePath, torsoMotionPath } from "./motion.ts";
import { heldOutR2, poseFeatures, torsoPredictability, torsoPredictabilityFolds } from "./predictability.ts";

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

Deno.test("heldOutR2: hand-computed R^2 of a fit that misses by a known amount", () => {
  // y = x on train (fit: y = x exactly); test targets are x + (+-0.5): SSE = 4 * 0.25 = 1,
  // test x = 10..13 with targets 10.5, 10.5, 12.5, 12.5: mean 11.5, SST = 4 * 1 = 4 -> R^2 = 0.75
  const X = [[0], [1], [2], [3], [10], [11], [12], [13]];
  const Y = [[0], [1], [2], [3], [10.5], [10.5], [12.5], [12.5]];
  const r = heldOutR2(X, Y, range(0, 4), range(4, 8));
  assertAlmostEquals(r.r2, 0.75, 1e-7); // the fit carries a 1e-8 ridge
  assertAlmostEquals(r.sse, 1, 1e-7);
  assertAlmostEquals(r.sst, 4, 1e-9);
  // about the training mean (1.5): SST = 9^2 + 9^2 + 11^2 + 11^2 = 404
  assertAlmostEquals(r.r2AboutTrainMean, 1 - 1 / 404, 1e-7);
});

Deno.test("heldOutR2: variance-weighted = 1 - pooled SSE / pooled SST, i.e. per-target R^2 weighted by SST", () => {
  const rng = createRng(3);
  const X = range(0, 60).map(() => [rng.normal(), rng.normal()]);
  const Y = X.map(([a, b]) => [a + 0.3 * rng.normal(), 10 * b * b + rng.normal()]);
  const train = range(0, 40), test = range(40, 60);
  const r = heldOutR2(X.map(([a, b]) => [a, b, a * a, b * b]), Y, train, test);
  const sst = [0, 1].map((k) => {
    const m = test.reduce((s, i) => s + Y[i][k], 0) / test.length;
    return test.reduce((s, i) => s + (Y[i][k] - m) ** 2, 0);
  });
  const weighted = (r.perTarget[0] * sst[0] + r.perTarget[1] * sst[1]) / (sst[0] + sst[1]);
  assertAlmostEquals(r.r2, weighted, 1e-9);
  assert(r.perTarget.every((v) => v > 0.5));
  assertThrows(() => heldOutR2(X, Y.slice(1), train, test), Error, "as many");
  assertThrows(() => heldOutR2(X, Y, [0], test), Error, ">= 2 train");
});

Deno.test("torsoPredictability: a torso that only follows the head is predictable, an independent one is not", () => {
  const N = 244;
  const head = headPosePath(N, { seed: 1 });
  const train = range(0, 221), test = range(221, N);
  const follows = torsoPredictability(head, coupledTorsoPath(head, { seed: 1, residual: 0 }).poses, {
    train,
    test,
  });
  assert(follows.r2 > 0.9, `${follows.r2}`);
  assertEquals(follows.perTarget.length, 9);
  assert(torsoPredictabilityFolds(head, coupledTorsoPath(head, { seed: 1, residual: 0 }).poses).r2 > 0.9);
  // version 1's torso, on its own path: the head explains little of it
  const own = torsoPredictabilityFolds(head, torsoMotionPath(N, { seed: 1 }));
  assertLess(own.r2, 0.3);
  assertEquals(own.perFold.length, 11);
  assertEquals(poseFeatures(head[0]).length, 12);
});
