import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { over, premultiply } from "../render/composite.ts";
import { poseCode } from "./pose_code.ts";
import { Torso2d } from "./torso2d.ts";

await initBackend({ log: null });

// A 16 x 16 grid of pixel centres in [-1, 1]^2; target: a red disc of radius 0.6 on a white background.
const S = 16;
const uvData = new Float32Array(S * S * 2), targetData = new Float32Array(S * S * 3).fill(1);
for (let v = 0; v < S; v++) {
  for (let u = 0; u < S; u++) {
    const i = v * S + u, x = (2 * u + 1) / S - 1, y = (2 * v + 1) / S - 1;
    uvData.set([x, y], 2 * i);
    if (x * x + y * y < 0.36) targetData.set([0.9, 0.1, 0.1], 3 * i);
  }
}
const uv = tf.tensor2d(uvData, [S * S, 2]);
const target = tf.tensor2d(targetData, [S * S, 3]);
const white = tf.ones([S * S, 3]) as tf.Tensor2D;
const noHead = { rgb: tf.zeros([S * S, 3]) as tf.Tensor2D, accumulation: tf.zeros([S * S]) as tf.Tensor1D };
const pose = tf.tensor2d(poseCode([0.05, 0.1, 0], [0, 0.01, 0]), [1, 6]);

function lossOf(torso: Torso2d): tf.Scalar {
  return tf.tidy(() => {
    const out = torso.apply(uv, pose);
    return tf.mean(tf.square(tf.sub(
      over(
        { rgb: noHead.rgb, alpha: noHead.accumulation },
        over(premultiply(out.rgb, out.alpha), { rgb: white }),
      ).rgb,
      target,
    ))) as tf.Scalar;
  });
}

Deno.test("outputs: shapes, colour and alpha in (0, 1), zero offset at initialisation", () => {
  const torso = new Torso2d("t2d.t1", 6, { width: 16, depth: 2, seed: 1 });
  const out = torso.apply(uv, pose);
  assertEquals([out.rgb.shape, out.alpha.shape, out.offset.shape], [[S * S, 3], [S * S], [S * S, 2]]);
  assert(out.rgb.dataSync().every((v) => v > 0 && v < 1));
  assert(out.alpha.dataSync().every((v) => v > 0 && v < 1));
  assert(out.offset.dataSync().every((v) => v === 0));
  tf.dispose(out);
  assertThrows(() => torso.apply(tf.zeros([4, 3]) as tf.Tensor2D, pose), Error, "uv");
  assertThrows(() => torso.apply(uv, tf.zeros([1, 3]) as tf.Tensor2D), Error, "pose");
  torso.dispose();
});

Deno.test("plain SGD on the wasm backend fits a red disc and reaches every weight", () => {
  assertEquals(tf.getBackend(), "wasm");
  const torso = new Torso2d("t2d.t2", 6, { width: 16, depth: 2, posFreqs: 4, poseFreqs: 2, seed: 2 });
  const initial = new Map([...torso.params].map(([k, v]) => [k, v.dataSync().slice()]));
  const opt = tf.train.sgd(1);
  const first = lossOf(torso).dataSync()[0];
  let last = first;
  for (let i = 0; i < 40; i++) {
    last = tf.tidy(() => opt.minimize(() => lossOf(torso), true, [...torso.params.values()])!.dataSync()[0]);
  }
  assertLess(last, 0.5 * first, `loss ${first} -> ${last}`);
  // Every weight moved: the colour MLP from the first step, the offset MLP's inner layers from the second.
  for (const [key, v] of torso.params) {
    const before = initial.get(key)!, now = v.dataSync();
    assertGreater(Math.max(...now.map((x, i) => Math.abs(x - before[i]))), 0, `${key} never changed`);
  }
  opt.dispose();
  torso.dispose();
});

Deno.test("apply leaks no tensors", async () => {
  const torso = new Torso2d("t2d.t3", 6, { width: 8 });
  await assertNoLeak(() => torso.apply(uv, pose), "Torso2d.apply");
  await assertNoLeak(
    () => tf.variableGrads(() => lossOf(torso), [...torso.params.values()]),
    "Torso2d gradients",
  );
  torso.dispose();
});
