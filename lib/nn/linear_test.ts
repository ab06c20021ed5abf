import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { Linear } from "./linear.ts";

await initBackend({ log: null });

Deno.test("Linear computes x W + b, with keys name.w / name.b", () => {
  const layer = new Linear("lin.t1", 2, 3);
  layer.w.assign(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
  layer.b!.assign(tf.tensor1d([0.5, -1, 0]));
  const y = layer.apply(tf.tensor2d([[1, 1], [2, -1]]));
  // [1,1] W = [5, 7, 9]; [2,-1] W = [-2, -1, 0]; plus b.
  assertEquals(Array.from(y.dataSync()), [5.5, 6, 9, -1.5, -2, 0]);
  assertEquals([...layer.params.keys()], ["lin.t1.w", "lin.t1.b"]);
  y.dispose();
  layer.dispose();
});

Deno.test("Linear init is deterministic per seed, differs by name, and has He statistics", () => {
  const a = new Linear("lin.a", 64, 256, { seed: 5 }), b = new Linear("lin.b", 64, 256, { seed: 5 });
  const c = new Linear("lin.c", 64, 256), d = new Linear("lin.d", 64, 256);
  assertEquals(a.w.dataSync(), b.w.dataSync());
  assertNotEquals(c.w.dataSync(), d.w.dataSync());
  const w = Array.from(a.w.dataSync());
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assertAlmostEquals(mean, 0, 0.01);
  assertAlmostEquals(std, Math.sqrt(2 / 64), 0.01); // 16384 draws: std error ~0.001
  assertEquals(Array.from(a.b!.dataSync()), new Array(256).fill(0));
  const g = new Linear("lin.g", 10, 10, { init: "glorot", bias: false });
  assertEquals(g.b, null);
  assert(Math.max(...g.w.dataSync().map(Math.abs)) <= Math.sqrt(6 / 20));
  const t = new Linear("lin.t", 16, 4, { init: "torch" });
  assert(Math.max(...t.b!.dataSync().map(Math.abs)) <= 0.25 && t.b!.dataSync().some((v) => v !== 0));
  const z = new Linear("lin.z", 3, 3, { init: "zeros" });
  assertEquals(Array.from(z.w.dataSync()), new Array(9).fill(0));
  for (const m of [a, b, c, d, g, t, z]) m.dispose();
});

Deno.test("two Linear layers with one name coexist: same keys, distinct tf variables", () => {
  const a = new Linear("lin.same", 2, 2), b = new Linear("lin.same", 2, 2);
  assertEquals([...a.params.keys()], [...b.params.keys()]);
  assertNotEquals(a.w.name, b.w.name);
  a.dispose();
  b.dispose();
});

Deno.test("Linear gradients reach w and b, and apply leaks nothing", async () => {
  const layer = new Linear("lin.grad", 4, 3);
  const x = tf.randomNormal([5, 4]) as tf.Tensor2D;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x))), [
    ...layer.params.values(),
  ]);
  // d/db sum(y^2) = 2 sum_n y_n: check against the forward output.
  const y = layer.apply(x);
  const expectedDb = tf.mul(2, tf.sum(y, 0));
  const db = grads[layer.b!.name].dataSync();
  expectedDb.dataSync().forEach((v, i) => assertAlmostEquals(db[i], v, 1e-4));
  assert(grads[layer.w.name].dataSync().some((v) => v !== 0));
  await assertNoLeak(() => layer.apply(x), "Linear.apply");
  assertThrows(
    () => layer.apply(tf.zeros([2, 5]) as tf.Tensor2D),
    Error,
    "lin.grad expects inputs [n, 4]: got [2,5]",
  );
  tf.dispose([value, grads, x, y, expectedDb]);
  layer.dispose();
});
