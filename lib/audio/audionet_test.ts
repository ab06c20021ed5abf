import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { countParams } from "../nn/module.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { AudioNet } from "./audionet.ts";

await initBackend({ log: null });

Deno.test("AudioNet has AD-NeRF's layer sizes and maps [B, 16, 29] to [B, 64]", () => {
  const net = new AudioNet("an.shape", 29);
  assertEquals(net.convs.map((c) => [c.inChannels, c.outChannels]), [[29, 32], [32, 32], [32, 64], [64, 64]]);
  // PyTorch's count for AD-NeRF's AudioNet(64): convs 3*(29*32+32*32+32*64+64*64) + 32+32+64+64, fc 64*64+64 + 64*64+64.
  assertEquals(countParams(net), 3 * (29 * 32 + 32 * 32 + 32 * 64 + 64 * 64) + 192 + 2 * (64 * 64 + 64));
  const y = net.apply(tf.randomNormal([3, 16, 29]) as tf.Tensor3D);
  assertEquals(y.shape, [3, 64]);
  tf.dispose(y);
  net.dispose();
});

Deno.test("AudioNet equals the same layers built from tf.conv1d and tf.matMul", () => {
  const net = new AudioNet("an.ref", 13, { convChannels: [8, 8, 16, 16], fcDim: 16, dimAud: 12, seed: 3 });
  tf.tidy(() => {
    const x = tf.randomNormal([5, 16, 13], 0, 1, "float32", 11) as tf.Tensor3D;
    let h: tf.Tensor3D = x;
    for (const c of net.convs) {
      const z = tf.conv1d(tf.pad(h, [[0, 0], [1, 1], [0, 0]]), c.w as tf.Tensor3D, 2, "valid");
      h = tf.leakyRelu(tf.add(z, c.b!), 0.02);
    }
    const flat = tf.reshape(h, [5, 16]) as tf.Tensor2D;
    const f0 = tf.leakyRelu(
      tf.add(tf.matMul(flat, net.fc0.w as tf.Tensor2D), net.fc0.b!),
      0.02,
    ) as tf.Tensor2D;
    const ref = tf.add(tf.matMul(f0, net.fc1.w as tf.Tensor2D), net.fc1.b!);
    const got = net.apply(x).dataSync(), want = ref.dataSync();
    assertEquals(got.length, 60);
    for (let i = 0; i < got.length; i++) assertAlmostEquals(got[i], want[i], 1e-5);
  });
  net.dispose();
});

Deno.test("AudioNet: gradients reach every parameter on wasm, no leaks", async () => {
  const net = new AudioNet("an.grad", 29);
  const x = tf.randomNormal([4, 16, 29]) as tf.Tensor3D;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x))), [...net.params.values()]);
  assertEquals(Object.keys(grads).length, net.params.size);
  for (const [key, v] of net.params) {
    const g = grads[v.name].dataSync();
    assert(g.some((e) => e !== 0) && g.every(Number.isFinite), `${key} gets a finite non-zero gradient`);
  }
  await assertNoLeak(() => net.apply(x), "AudioNet.apply");
  await assertNoLeak(() => {
    const r = tf.variableGrads(() => tf.sum(net.apply(x)), [...net.params.values()]);
    tf.dispose([r.value, r.grads]);
  }, "AudioNet gradient");
  tf.dispose([x, value, grads]);
  net.dispose();
});

Deno.test("AudioNet: deterministic per seed, sensitive to its input, clear shape errors", () => {
  const a = new AudioNet("an.det", 29, { seed: 5 }), b = new AudioNet("an.det", 29, { seed: 5 });
  const c = new AudioNet("an.det", 29, { seed: 6 });
  tf.tidy(() => {
    const x = tf.randomNormal([2, 16, 29], 0, 1, "float32", 1) as tf.Tensor3D;
    const ya = a.apply(x).dataSync();
    assertEquals(ya, b.apply(x).dataSync());
    assertNotEquals(ya, c.apply(x).dataSync());
    // Change one feature of one step of sample 1: sample 1's code moves, sample 0's does not.
    const bump = tf.scatterND([[1, 9, 4]], [1], [2, 16, 29]);
    const y2 = a.apply(tf.add(x, bump) as tf.Tensor3D).dataSync();
    assertEquals(y2.slice(0, 64), ya.slice(0, 64));
    assert(y2.slice(64).some((v, i) => Math.abs(v - ya[64 + i]) > 1e-6), "sample 1's code changed");
  });
  assertThrows(
    () => a.apply(tf.zeros([2, 16, 44]) as tf.Tensor3D),
    Error,
    "an.det expects audio features [B, 16, 29]: got [2,16,44]",
  );
  assertThrows(
    () => new AudioNet("an.bad", 29, { convChannels: [8, 8] }),
    Error,
    "2 stride-2 convs take a window of 16 to length 4, expected 1",
  );
  for (const m of [a, b, c]) m.dispose();
});
