import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { SSPNERF11 } from "../data/palette.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { TORSO_CLASSES, torsoWeightFromParsing } from "./torso_weight.ts";

await initBackend({ log: null });

Deno.test("torso classes are the neck and torso of each palette", () => {
  assertEquals(TORSO_CLASSES.sspnerf11.map((k) => SSPNERF11.classNames[k]), ["neck", "torso"]);
  assertEquals(TORSO_CLASSES.adnerf4, [2, 3]);
});

Deno.test("torso weight sums the torso-class probabilities; its gradient is the class indicator", async () => {
  const logits = tf.tidy(() => tf.randomNormal([5, 11], 0, 2, "float32", 3)) as tf.Tensor2D;
  const probs = tf.softmax(logits) as tf.Tensor2D;
  const w = torsoWeightFromParsing(probs, TORSO_CLASSES.sspnerf11).dataSync();
  const p = probs.arraySync();
  p.forEach((row, i) => assertAlmostEquals(w[i], row[8] + row[9], 1e-6));
  const g = tf.grad((x: tf.Tensor) => tf.sum(torsoWeightFromParsing(x as tf.Tensor2D, [8, 9])))(probs)
    .arraySync() as number[][];
  g.forEach((row) => row.forEach((v, k) => assertEquals(v, k === 8 || k === 9 ? 1 : 0)));
  await assertNoLeak(() => torsoWeightFromParsing(probs, [8, 9]), "torsoWeightFromParsing");
  assertThrows(() => torsoWeightFromParsing(probs, [11]), Error, "class id");
  assertThrows(() => torsoWeightFromParsing(tf.ones([3]) as unknown as tf.Tensor2D, [0]), Error, "[n, K]");
  tf.dispose([logits, probs]);
});
