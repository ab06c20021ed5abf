import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { GradientSum, paramLayout, ParamMirror } from "./shared_params.ts";

await initBackend({ log: null });

Deno.test("ParamMirror writes only the parameters that changed, and uploads the buffer's values", () => {
  const params = new Map([
    ["a", tf.variable(tf.tensor1d([1, 2])) as tf.Variable],
    ["b", tf.variable(tf.tensor2d([[3], [4]])) as tf.Variable],
  ]);
  const { slots, total } = paramLayout(params);
  const mirror = new ParamMirror(slots, new Float32Array(total));
  assertEquals(mirror.sync(params), true);
  assertEquals(Array.from(mirror.buffer), [1, 2, 3, 4]);
  assertEquals(mirror.sync(params), false, "nothing changed");
  mirror.buffer[0] = 9; // not written again while "a" is unchanged
  params.get("b")!.assign(tf.tensor2d([[5], [6]]) as tf.Tensor);
  assertEquals(mirror.sync(params), true);
  assertEquals(Array.from(mirror.buffer), [9, 2, 5, 6]);
  const before = tf.memory().numTensors;
  mirror.upload(params, Uint8Array.of(1, 0));
  assertEquals(tf.memory().numTensors, before);
  assertEquals(Array.from(params.get("a")!.dataSync()), [9, 2]);
  assertEquals(mirror.sync(params), false, "an uploaded parameter counts as in step");
  tf.dispose([...params.values()]);
});

Deno.test("GradientSum: w0 g0 + w1 g1 in share order; unreached parameters are absent", () => {
  const params = new Map([["a", tf.variable(tf.tensor1d([0, 0]))], ["b", tf.variable(tf.tensor1d([0]))]]);
  const { slots, total } = paramLayout(params);
  const sum = new GradientSum(slots, total);
  const g0 = tf.tensor1d([1, 2]);
  sum.addTensors(new Map([["a", g0]]), 0.25);
  sum.addShared(Float32Array.of(4, 8, 2), Uint8Array.of(1, 1), 0.75);
  assertEquals(Array.from(sum.acc), [0.25 + 3, 0.5 + 6, 1.5]);
  assertEquals(Array.from(sum.touched), [1, 1]);
  const t = sum.tensors();
  assertEquals(Array.from(t.get("b")!.dataSync()), [1.5]);
  tf.dispose([g0, ...t.values(), ...params.values()]);
});
