import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { ConditionedMlp } from "./conditioned_mlp.ts";

await initBackend({ log: null });

Deno.test("split first layer equals the MLP of the concatenation [f, c] with c repeated", () => {
  const mlp = new ConditionedMlp("cm.t1", { inDim: 5, condDim: 3, outDim: 2 }, {
    width: 8,
    depth: 3,
    seed: 3,
  });
  const [first, cond, ...rest] = mlp.layers();
  const f = tf.randomNormal([7, 5], 0, 1, "float32", 1) as tf.Tensor2D;
  const c = tf.randomNormal([1, 3], 0, 1, "float32", 2) as tf.Tensor2D;
  const want = tf.tidy(() => {
    const w0 = tf.concat([first.w, cond.w], 0); // [(5 + 3), 8]
    let h = tf.relu(tf.add(tf.matMul(tf.concat([f, tf.tile(c, [7, 1])], 1), w0), first.b!));
    rest.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w), l.b!);
      if (i < rest.length - 1) h = tf.relu(h);
    });
    return h;
  });
  const got = mlp.apply(f, c);
  assertEquals(got.shape, [7, 2]);
  const g = got.dataSync(), w = want.dataSync();
  g.forEach((v, i) => assertAlmostEquals(v, w[i], 1e-5));
  // One condition row per point gives the same as the shared row when the rows are equal.
  const perPoint = mlp.apply(f, tf.tile(c, [7, 1]) as tf.Tensor2D);
  perPoint.dataSync().forEach((v, i) => assertAlmostEquals(v, g[i], 1e-6));
  tf.dispose([f, c, want, got, perPoint]);
  mlp.dispose();
});

Deno.test("parameter keys, zero output layer, leaks, shape errors", async () => {
  const mlp = new ConditionedMlp("cm.t2", { inDim: 4, condDim: 2, outDim: 3 }, {
    width: 6,
    depth: 2,
    zeroLast: true,
  });
  assertEquals([...mlp.params.keys()], [
    "cm.t2.l0f.w",
    "cm.t2.l0f.b",
    "cm.t2.l0c.w",
    "cm.t2.l1.w",
    "cm.t2.l1.b",
    "cm.t2.out.w",
    "cm.t2.out.b",
  ]);
  const f = tf.ones([3, 4]) as tf.Tensor2D, c = tf.ones([1, 2]) as tf.Tensor2D;
  await assertNoLeak(() => mlp.apply(f, c), "ConditionedMlp.apply");
  const y = mlp.apply(f, c);
  assertEquals(Array.from(y.dataSync()), new Array(9).fill(0));
  assertThrows(() => mlp.apply(tf.ones([3, 5]) as tf.Tensor2D, c), Error, "features");
  assertThrows(() => mlp.apply(f, tf.ones([2, 2]) as tf.Tensor2D), Error, "condition");
  assertThrows(
    () => new ConditionedMlp("cm.t3", { inDim: 4, condDim: 2, outDim: 3 }, { depth: 0 }),
    Error,
    "depth",
  );
  tf.dispose([f, c, y]);
  mlp.dispose();
});
