import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { renderAccumulation, renderDepth, renderRgb, renderSemantics } from "./renderers.ts";
import { weightsFromDensity } from "./weights.ts";

await initBackend({ log: null });

function values(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

Deno.test("depth of a single opaque surface equals its t; colour is the surface colour", () => {
  const t = [1, 1.5, 2, 2.5, 3];
  const sig = tf.tensor2d([[0, 0, 1e4, 0, 0]]);
  const del = tf.tensor2d([[0.5, 0.5, 0.5, 0.5, 1e10]]);
  const w = weightsFromDensity(sig, del);
  const tv = tf.tensor2d([t]);
  assertAlmostEquals(values(renderDepth(w, tv))[0], 2, 1e-6);
  assertAlmostEquals(values(renderAccumulation(w))[0], 1, 1e-6);
  const rgbs = tf.tensor3d([[[0, 0, 0], [0, 0, 0], [0.2, 0.4, 0.6], [1, 1, 1], [1, 1, 1]]]);
  const c = values(renderRgb(w, rgbs));
  [0.2, 0.4, 0.6].forEach((want, i) => assertAlmostEquals(c[i], want, 1e-6));
  tf.dispose([sig, del, w, tv, rgbs]);
});

Deno.test("normalised depth of a half-transparent surface is still its t; the raw one is acc * t", () => {
  const w = tf.tensor2d([[0, 0.3, 0]]), t = tf.tensor2d([[1, 4, 7]]);
  assertAlmostEquals(values(renderDepth(w, t))[0], 1.2, 1e-6);
  assertAlmostEquals(values(renderDepth(w, t, { normalize: true }))[0], 4, 1e-5);
  assertAlmostEquals(values(renderDepth(tf.zeros([1, 3]) as tf.Tensor2D, t, { normalize: true }))[0], 0);
  tf.dispose([w, t]);
});

Deno.test("semantics: rendered class distribution sums to the accumulation", () => {
  const w = tf.tensor2d([[0.2, 0.5, 0.1], [0.9, 0, 0]]);
  const logits = tf.tensor3d([[[1, 2, 0], [0, 0, 3], [-1, 1, 1]], [[2, 2, 2], [0, 1, 0], [5, 0, 0]]]);
  const probs = tf.softmax(logits) as tf.Tensor3D;
  const s = values(renderSemantics(w, probs));
  const acc = values(renderAccumulation(w));
  assertAlmostEquals(s[0] + s[1] + s[2], acc[0], 1e-6);
  assertAlmostEquals(s[3] + s[4] + s[5], acc[1], 1e-6);
  [0.3, 0.3, 0.3].forEach((want, i) => assertAlmostEquals(s[3 + i], want, 1e-6));
  tf.dispose([w, logits, probs]);
});

Deno.test("gradients of renderRgb: d/dw = sample colour, d/dc = weight", () => {
  const w = tf.tensor2d([[0.2, 0.7]]), c = tf.tensor3d([[[0.1, 0.2, 0.3], [0.5, 0.5, 1]]]);
  const [gw, gc] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(renderRgb(a as tf.Tensor2D, b as tf.Tensor3D))
  )([w, c]);
  const gwv = values(gw), gcv = values(gc);
  assertAlmostEquals(gwv[0], 0.6, 1e-6);
  assertAlmostEquals(gwv[1], 2, 1e-6);
  [0.2, 0.2, 0.2, 0.7, 0.7, 0.7].forEach((want, i) => assertAlmostEquals(gcv[i], want, 1e-6));
  tf.dispose([w, c]);
});

Deno.test("renderers do not leak and reject mismatched shapes", async () => {
  const w = tf.tensor2d([[0.2, 0.7]]),
    c = tf.tensor3d([[[0.1, 0.2, 0.3], [0.5, 0.5, 1]]]),
    t = tf.tensor2d([[1, 2]]);
  await assertNoLeak(() => renderRgb(w, c), "renderRgb");
  await assertNoLeak(() => renderSemantics(w, c), "renderSemantics");
  await assertNoLeak(() => renderDepth(w, t, { normalize: true }), "renderDepth");
  await assertNoLeak(() => renderAccumulation(w), "renderAccumulation");
  assertEquals(renderAccumulation(w).shape, [1]);
  const bad = tf.tensor3d([[[1, 1, 1]]]);
  assertThrows(() => renderRgb(w, bad), Error, "rgbs must be [1,2, C]");
  assertThrows(() => renderDepth(w, tf.tensor2d([[1]])), Error, "tVals must be");
  tf.dispose([w, c, t, bad]);
});
