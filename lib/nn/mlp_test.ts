import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { Mlp } from "./mlp.ts";
import { collectParams, countParams } from "./module.ts";

await initBackend({ log: null });

Deno.test("Mlp with a NeRF skip equals the layers composed by hand", () => {
  const mlp = new Mlp("mlp.a", [3, 8, 8, 8, 2], { skips: [1], seed: 1 });
  assertEquals(mlp.layers.map((l) => [l.inDim, l.outDim]), [[3, 8], [8, 8], [11, 8], [8, 2]]);
  assertEquals(countParams(mlp), (3 * 8 + 8) + (8 * 8 + 8) + (11 * 8 + 8) + (8 * 2 + 2));
  const x = tf.randomNormal([6, 3], 0, 1, "float32", 3) as tf.Tensor2D;
  const y = mlp.apply(x);
  const [l0, l1, l2, l3] = mlp.layers;
  const dense = (h: tf.Tensor2D, l: typeof l0) =>
    tf.add(tf.matMul(h, l.w as tf.Tensor2D), l.b!) as tf.Tensor2D;
  const h1 = tf.relu(dense(tf.relu(dense(x, l0)), l1));
  const ref = dense(tf.relu(dense(tf.concat([x, h1], 1), l2)), l3);
  const a = y.dataSync(), r = ref.dataSync();
  for (let i = 0; i < a.length; i++) assertAlmostEquals(a[i], r[i], 1e-5);
  tf.dispose([x, y, h1, ref]);
  mlp.dispose();
});

Deno.test("Mlp: output activation, seeds, key names, leaks, errors", async () => {
  const a = new Mlp("mlp.s", [4, 16, 1], { seed: 7, outputActivation: "sigmoid" });
  const b = new Mlp("mlp.s", [4, 16, 1], { seed: 7, outputActivation: "sigmoid" });
  assertEquals([...a.params.keys()], ["mlp.s.l0.w", "mlp.s.l0.b", "mlp.s.l1.w", "mlp.s.l1.b"]);
  assertEquals(a.layers[1].w.dataSync(), b.layers[1].w.dataSync());
  const x = tf.randomNormal([10, 4]) as tf.Tensor2D;
  const y = a.apply(x);
  assert(y.dataSync().every((v) => v > 0 && v < 1));
  await assertNoLeak(() => a.apply(x), "Mlp.apply");
  assertThrows(() => collectParams(a, b), Error, "mlp.s.l0.w appears in more than one module");
  assertThrows(
    () => new Mlp("bad", [3, 4, 1], { skips: [1] }),
    Error,
    "skip 1 must be a hidden layer index in [0, 0]",
  );
  assertThrows(() => new Mlp("bad", [3]), Error, "dims must list at least");
  tf.dispose([x, y]);
  a.dispose();
  b.dispose();
});

Deno.test("Mlp gradients reach every parameter (leakyRelu hidden layers)", () => {
  const mlp = new Mlp("mlp.g", [5, 8, 8, 3], { activation: "leakyRelu", skips: [0] });
  const x = tf.randomNormal([16, 5]) as tf.Tensor2D;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(mlp.apply(x))), [...mlp.params.values()]);
  for (const [key, v] of mlp.params) {
    assert(grads[v.name].dataSync().some((g) => g !== 0), `${key} has a gradient`);
  }
  tf.dispose([x, value, grads]);
  mlp.dispose();
});
