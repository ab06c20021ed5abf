import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { compositeOverBackground, lastSampleBackground } from "./background.ts";
import { renderAccumulation, renderRgb } from "./renderers.ts";
import { weightsFromDensity } from "./weights.ts";

await initBackend({ log: null });

function values(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

Deno.test("compositeOverBackground by hand, with acc as [n] or [n, 1]", () => {
  const rgb = tf.tensor2d([[0.3, 0.1, 0], [0, 0, 0]]), bg = tf.tensor2d([[1, 1, 1], [0.2, 0.4, 0.6]]);
  const want = [0.8, 0.6, 0.5, 0.2, 0.4, 0.6]; // 0.5 left of ray 0 over white; ray 1 empty
  const acc1 = tf.tensor1d([0.5, 0]), acc2 = tf.tensor2d([[0.5], [0]]);
  for (const acc of [acc1, acc2]) {
    values(compositeOverBackground(rgb, acc, bg)).forEach((v, i) => assertAlmostEquals(v, want[i], 1e-6));
  }
  tf.dispose([rgb, bg, acc1, acc2]);
});

Deno.test("AD-NeRF's last-sample background gives the same image as alpha compositing", () => {
  const rng = createRng(50);
  const n = 10, k = 8;
  const sig = tf.tensor2d(Array.from({ length: n * k }, () => rng.next() * 2), [n, k]);
  const del = tf.tensor2d(Array.from({ length: n * k }, () => 0.05 + rng.next() * 0.3), [n, k]);
  const rgbs = tf.tensor3d(Array.from({ length: n * k * 3 }, () => rng.next()), [n, k, 3]);
  const bg = tf.tensor2d(Array.from({ length: n * 3 }, () => rng.next()), [n, 3]);
  // Path 1: the last sample is opaque and coloured as the background.
  const viaLast = values(
    tf.tidy(() =>
      renderRgb(weightsFromDensity(sig, del, { opaqueLast: true }), lastSampleBackground(rgbs, bg))
    ),
  );
  // Path 2: render the first k - 1 samples, then composite over the background.
  const viaComposite = values(tf.tidy(() => {
    const w = weightsFromDensity(sig.slice([0, 0], [n, k - 1]), del.slice([0, 0], [n, k - 1]));
    return compositeOverBackground(
      renderRgb(w, rgbs.slice([0, 0, 0], [n, k - 1, 3])),
      renderAccumulation(w),
      bg,
    );
  }));
  viaLast.forEach((v, i) => assertAlmostEquals(v, viaComposite[i], 1e-6, `entry ${i}`));
  tf.dispose([sig, del, rgbs, bg]);
});

Deno.test("the background pixel's gradient through the last sample is the remaining transmittance", () => {
  const sig = tf.tensor2d([[0.5, 1, 0]]), del = tf.tensor2d([[1, 1, 1]]);
  const rgbs = tf.tensor3d([[[1, 0, 0], [0, 1, 0], [0, 0, 0]]]), bg = tf.tensor2d([[0, 0, 1]]);
  const g = values(tf.tidy(() => {
    const w = weightsFromDensity(sig, del, { opaqueLast: true });
    return tf.grad((b: tf.Tensor) => tf.sum(renderRgb(w, lastSampleBackground(rgbs, b as tf.Tensor2D))))(bg);
  }));
  g.forEach((v) => assertAlmostEquals(v, Math.exp(-1.5), 1e-6));
  tf.dispose([sig, del, rgbs, bg]);
});

Deno.test("background functions do not leak and reject mismatched shapes", async () => {
  const rgb = tf.tensor2d([[0.3, 0.1, 0]]), acc = tf.tensor1d([0.5]), bg = tf.tensor2d([[1, 1, 1]]);
  const rgbs = tf.tensor3d([[[1, 1, 1], [0, 0, 0]]]);
  await assertNoLeak(() => compositeOverBackground(rgb, acc, bg), "compositeOverBackground");
  await assertNoLeak(() => lastSampleBackground(rgbs, bg), "lastSampleBackground");
  await assertNoLeak(
    () => tf.grad((b: tf.Tensor) => tf.sum(lastSampleBackground(rgbs, b as tf.Tensor2D)))(bg),
    "grad",
  );
  const bad = tf.tensor2d([[1, 1]]);
  assertThrows(() => compositeOverBackground(rgb, acc, bad), Error, "bg must be [1, 3]");
  assertThrows(() => compositeOverBackground(rgb, tf.tensor1d([1, 2]), bg), Error, "acc must be");
  assertThrows(() => lastSampleBackground(rgbs, bad), Error, "bg must be [1, 3]");
  tf.dispose([rgb, acc, bg, rgbs, bad]);
});
