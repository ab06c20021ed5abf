import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { activate, type Activation, leakyRelu } from "./activation.ts";

await initBackend({ log: null });

Deno.test("activations by name at hand-computed points", () => {
  const x = tf.tensor1d([-2, 0.5]);
  const expected: Record<Activation, number[]> = {
    relu: [0, 0.5],
    leakyRelu: [-0.04, 0.5],
    sigmoid: [1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(-0.5))],
    tanh: [Math.tanh(-2), Math.tanh(0.5)],
    softplus: [Math.log(1 + Math.exp(-2)), Math.log(1 + Math.exp(0.5))],
    none: [-2, 0.5],
  };
  for (const [kind, want] of Object.entries(expected)) {
    const got = activate(x, kind as Activation).dataSync();
    want.forEach((w, i) => assertAlmostEquals(got[i], w, 1e-6, kind));
  }
  x.dispose();
});

Deno.test("leakyRelu gradient on wasm is alpha below zero and 1 above", () => {
  const g = tf.grad((x: tf.Tensor) => tf.sum(leakyRelu(x, 0.02)))(tf.tensor1d([-3, -0.1, 0.2, 4]));
  const v = Array.from(g.dataSync());
  [0.02, 0.02, 1, 1].forEach((w, i) => assertAlmostEquals(v[i], w, 1e-7));
  assertEquals(v.length, 4);
  g.dispose();
});
