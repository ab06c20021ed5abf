import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { Adam } from "./adam.ts";

await initBackend({ log: null });

Deno.test("adam: the first step moves each parameter by lr against the gradient's sign", () => {
  const p = tf.variable(tf.tensor1d([1, -2, 3]));
  const opt = new Adam(new Map([["p", p]]));
  // loss = sum(p * c): gradient c. Adam's first update is -lr * sign(g) (up to epsilon).
  const c = tf.tensor1d([0.5, -3, 0]);
  opt.minimize(() => tf.sum(tf.mul(p, c)), 0.1);
  const got = Array.from(p.dataSync());
  assertAlmostEquals(got[0], 0.9, 1e-5);
  assertAlmostEquals(got[1], -1.9, 1e-5);
  assertAlmostEquals(got[2], 3, 1e-5); // zero gradient: no move
  tf.dispose([p, c]);
  opt.dispose();
});

Deno.test("adam: lrScale multiplies one parameter's step", () => {
  const a = tf.variable(tf.scalar(1)), b = tf.variable(tf.scalar(1));
  const opt = new Adam(new Map([["a", a], ["b", b]]), { lrScale: new Map([["b", 10]]) });
  opt.minimize(() => tf.add(a, b) as tf.Scalar, 0.01);
  assertAlmostEquals(a.dataSync()[0], 0.99, 1e-6);
  assertAlmostEquals(b.dataSync()[0], 0.9, 1e-6);
  tf.dispose([a, b]);
  opt.dispose();
});

Deno.test("adam: matches a hand-rolled reference over several steps, and leaks nothing", () => {
  const p = tf.variable(tf.scalar(2));
  const opt = new Adam(new Map([["p", p]]));
  let x = 2, m = 0, v = 0;
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const before = tf.memory().numTensors;
  for (let t = 1; t <= 20; t++) {
    const loss = opt.minimize(() => tf.square(tf.sub(p, 0.5)) as tf.Scalar, lr);
    assertAlmostEquals(loss, (x - 0.5) ** 2, 1e-4);
    const g = 2 * (x - 0.5);
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    x -= lr * (m / (1 - b1 ** t)) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
    assertAlmostEquals(p.dataSync()[0], x, 1e-4);
  }
  assertEquals(tf.memory().numTensors, before);
  assertEquals([...opt.state().keys()], ["m/p", "v/p"]);
  p.dispose();
  opt.dispose();
});
