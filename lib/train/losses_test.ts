import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { lossTerms, mseLoss } from "./losses.ts";

await initBackend({ log: null });

Deno.test("lossTerms: one term per non-zero weight, named as logged, values by hand", async () => {
  const target = tf.tensor2d([[0, 0, 0], [1, 1, 1]]);
  const fine = {
    rgb: tf.tensor2d([[0.5, 0, 0], [1, 1, 1]]),
    semantics: tf.tensor2d([[0.5, 0.5], [0.25, 0.75]]),
  };
  const coarse = { rgb: tf.tensor2d([[0, 0, 0], [1, 1, 0]]), semantics: tf.tensor2d([[1, 0], [0, 1]]) };
  const penalty = tf.scalar(0.3);
  const labels = Int32Array.of(0, 1);
  const all = { rgb: 1, rgbCoarse: 0.5, semantic: 0.1, semanticCoarse: 0.05, deformation: 0.01 };
  const terms = lossTerms(all, { coarse, fine, penalty }, target, labels);
  assertEquals(terms.map(([n, , w]) => [n, w]), [
    ["rgb_fine", 1],
    ["rgb_coarse", 0.5],
    ["semantic", 0.1],
    ["semantic_coarse", 0.05],
    ["deformation", 0.01],
  ]);
  const v = terms.map(([, t]) => t.dataSync()[0]);
  assertAlmostEquals(v[0], 0.25 / 6, 1e-7); // one channel off by 0.5 among 6
  assertAlmostEquals(v[1], 1 / 6, 1e-7);
  assertAlmostEquals(v[2], -(Math.log(0.5 + 1e-6) + Math.log(0.75 + 1e-6)) / 2, 1e-6);
  assertAlmostEquals(v[3], -Math.log(1 + 1e-6), 1e-6);
  assertAlmostEquals(v[4], 0.3, 1e-7);
  // Weight 0 turns a term off; without a fine pass the photometric term is "rgb" of the coarse pass.
  const off = lossTerms(
    { ...all, rgbCoarse: 0, semantic: 0, deformation: 0 },
    { coarse, fine },
    target,
    labels,
  );
  assertEquals(off.map(([n]) => n), ["rgb_fine", "semantic_coarse"]);
  const single = lossTerms(all, { coarse }, target);
  assertEquals(single.map(([n]) => n), ["rgb"]);
  assertAlmostEquals(single[0][1].dataSync()[0], mseLoss(coarse.rgb, target).dataSync()[0], 0);
  await assertNoLeak(
    () => tf.tidy(() => lossTerms(all, { coarse, fine, penalty }, target, labels).map(([, t]) => t)),
    "lossTerms",
  );
  tf.dispose([
    target,
    fine.rgb,
    fine.semantics,
    coarse.rgb,
    coarse.semantics,
    penalty,
    ...terms.map(([, t]) => t),
  ]);
});
