import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { AudioAttNet, smoothingWindow } from "./audioattnet.ts";

await initBackend({ log: null });

Deno.test("AudioAttNet with a zeroed attention layer averages the codes (uniform softmax)", () => {
  const att = new AudioAttNet("aa.mean", 6, { seqLen: 4 });
  att.att.w.assign(tf.zeros([4, 4]));
  att.att.b!.assign(tf.zeros([4]));
  const codes = [[1, 2, 3, 4, 5, 6], [3, 2, 1, 0, -1, -2], [0, 0, 0, 0, 0, 8], [4, 0, 4, 0, 4, 0]];
  const y = att.apply(tf.tensor2d(codes));
  assertEquals(y.shape, [6]);
  const mean = [2, 1, 2, 1, 2, 3];
  y.dataSync().forEach((v, i) => assertAlmostEquals(v, mean[i], 1e-6));
  tf.dispose(y);
  att.dispose();
});

Deno.test("AudioAttNet: a one-hot attention bias picks one frame; weights sum to 1; batch = per-window", () => {
  const att = new AudioAttNet("aa.pick", 3, { seqLen: 5 });
  att.att.w.assign(tf.zeros([5, 5]));
  att.att.b!.assign(tf.tensor1d([0, 0, 40, 0, 0])); // softmax ~ e^40 / (e^40 + 4): frame 2
  tf.tidy(() => {
    const x = tf.randomNormal([2, 5, 3], 0, 1, "float32", 2) as tf.Tensor3D;
    const y = att.apply(x);
    assertEquals(y.shape, [2, 3]);
    const frame2 = tf.squeeze(tf.slice(x, [0, 2, 0], [2, 1, 3])).dataSync();
    y.dataSync().forEach((v, i) => assertAlmostEquals(v, frame2[i], 1e-5));
  });
  const rand = new AudioAttNet("aa.rand", 64, { seed: 1 });
  tf.tidy(() => {
    const x = tf.randomNormal([3, 8, 64], 0, 1, "float32", 3) as tf.Tensor3D;
    const w = rand.attention(x);
    assertEquals(w.shape, [3, 8]);
    tf.sum(w, 1).dataSync().forEach((s) => assertAlmostEquals(s, 1, 1e-5));
    // Batched output row 1 equals the unbatched call on window 1.
    const one = rand.apply(tf.squeeze(tf.slice(x, [1, 0, 0], [1, 8, 64]), [0]) as tf.Tensor2D).dataSync();
    const batched = rand.apply(x).dataSync().slice(64, 128);
    one.forEach((v, i) => assertAlmostEquals(v, batched[i], 1e-5));
  });
  att.dispose();
  rand.dispose();
});

Deno.test("AudioAttNet scores see only the first 32 channels of a 64-d code, as in AD-NeRF", () => {
  const att = new AudioAttNet("aa.slice", 64);
  assertEquals(att.scoreChannels, 32);
  assertEquals(att.convs.map((c) => [c.inChannels, c.outChannels]), [[32, 16], [16, 8], [8, 4], [4, 2], [
    2,
    1,
  ]]);
  tf.tidy(() => {
    const x = tf.randomNormal([8, 64], 0, 1, "float32", 4) as tf.Tensor2D;
    const tail = tf.concat([tf.zeros([8, 32]), tf.randomNormal([8, 32], 0, 5, "float32", 5)], 1);
    assertEquals(att.attention(x).dataSync(), att.attention(tf.add(x, tail) as tf.Tensor2D).dataSync());
  });
  att.dispose();
});

Deno.test("AudioAttNet: gradients reach every parameter on wasm, no leaks, shape errors", async () => {
  const att = new AudioAttNet("aa.grad", 64);
  const x = tf.randomNormal([4, 8, 64]) as tf.Tensor3D;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(att.apply(x))), [...att.params.values()]);
  for (const [key, v] of att.params) {
    const g = grads[v.name].dataSync();
    assert(g.some((e) => e !== 0) && g.every(Number.isFinite), `${key} gets a finite non-zero gradient`);
  }
  await assertNoLeak(() => att.apply(x), "AudioAttNet.apply");
  assertThrows(
    () => att.apply(tf.zeros([7, 64]) as tf.Tensor2D),
    Error,
    "aa.grad expects codes [8, 64] or [B, 8, 64]: got [7,64]",
  );
  tf.dispose([x, value, grads]);
  att.dispose();
});

Deno.test("smoothingWindow centres frame i at position seqLen/2 and clamps at both ends", () => {
  assertEquals(Array.from(smoothingWindow(0, 10)), [0, 0, 0, 0, 0, 1, 2, 3]);
  assertEquals(Array.from(smoothingWindow(5, 10)), [1, 2, 3, 4, 5, 6, 7, 8]);
  assertEquals(Array.from(smoothingWindow(9, 10)), [5, 6, 7, 8, 9, 9, 9, 9]);
  assertEquals(Array.from(smoothingWindow(0, 1, 3)), [0, 0, 0]);
  assertEquals(Array.from(smoothingWindow(2, 5, 3)), [1, 2, 3]);
  assertThrows(() => smoothingWindow(10, 10), Error, "frame index must be in [0, 9]: got 10");
});
