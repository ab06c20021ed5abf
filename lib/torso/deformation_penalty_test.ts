import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { deformationPenalty } from "./deformation_penalty.ts";

await initBackend({ log: null });

Deno.test("penalty = mean of w |dx|^2, and its gradient 2 w dx / n", async () => {
  const dx = tf.tensor2d([[1, 2, 2], [0, 0.5, 0], [3, 0, 4]]); // |dx|^2 = 9, 0.25, 25
  const w = tf.tensor1d([1, 4, 0.2]);
  assertAlmostEquals(deformationPenalty(dx).dataSync()[0], (9 + 0.25 + 25) / 3, 1e-5);
  assertAlmostEquals(deformationPenalty(dx, w).dataSync()[0], (9 + 1 + 5) / 3, 1e-5);
  const g = tf.grad((x: tf.Tensor) => deformationPenalty(x as tf.Tensor2D, w))(dx).dataSync();
  const want = [1, 2, 2, 0, 0.5, 0, 3, 0, 4].map((v, i) => (2 * [1, 4, 0.2][Math.floor(i / 3)] * v) / 3);
  want.forEach((v, i) => assertAlmostEquals(g[i], v, 1e-5));
  await assertNoLeak(() => deformationPenalty(dx, w), "deformationPenalty");
  assertThrows(() => deformationPenalty(dx, tf.tensor1d([1, 2])), Error, "weights");
  assertThrows(() => deformationPenalty(tf.zeros([0, 3]) as tf.Tensor2D), Error, "n > 0");
  tf.dispose([dx, w]);
});
