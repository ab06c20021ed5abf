import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { expSO3 } from "../preprocess/rotation.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { rigidOffsets, rotationFromAxisAngle, rotationMinusIdentity } from "./rigid_motion.ts";

await initBackend({ log: null });

Deno.test("Rodrigues: a quarter turn about z maps x to y and y to -x, and leaves z", () => {
  tf.tidy(() => {
    const r = rotationFromAxisAngle(tf.tensor2d([[0, 0, Math.PI / 2]]));
    assertEquals(r.shape, [1, 3, 3]);
    const want = [0, -1, 0, 1, 0, 0, 0, 0, 1]; // row-major, by hand
    r.dataSync().forEach((v, i) => assertAlmostEquals(v, want[i], 1e-6));
    const moved = rigidOffsets(
      tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
      tf.tensor2d([[0, 0, Math.PI / 2]]),
      tf.zeros([1, 3]),
    ).add(tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]])).dataSync();
    [0, 1, 0, -1, 0, 0, 0, 0, 1].forEach((w, i) => assertAlmostEquals(moved[i], w, 1e-6));
  });
});

Deno.test("Rodrigues: equals the float64 expSO3 of lib/preprocess (another formula), and is a rotation", () => {
  const omegas = [[0.3, -0.2, 0.5], [1e-4, 2e-4, -3e-5], [-1.2, 0.4, 2.1], [0, 3, 0], [1e-7, 0, 0]];
  tf.tidy(() => {
    const r = rotationFromAxisAngle(tf.tensor2d(omegas)).dataSync();
    omegas.forEach((w, k) => {
      const e = expSO3(w);
      for (let i = 0; i < 9; i++) assertAlmostEquals(r[9 * k + i], e[i], 2e-6, `omega ${w}, entry ${i}`);
      // R^T R = I.
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          let dot = 0;
          for (let c = 0; c < 3; c++) dot += r[9 * k + 3 * c + a] * r[9 * k + 3 * c + b];
          assertAlmostEquals(dot, a === b ? 1 : 0, 2e-6);
        }
      }
    });
    // R - I keeps small rotations precise (no 1 - 1 cancellation): ~ [omega]x at 1e-7.
    const m = rotationMinusIdentity(tf.tensor2d([[1e-7, 0, 0]])).dataSync();
    assertAlmostEquals(m[7], 1e-7, 1e-12); // entry (2, 1) = wx
    assertAlmostEquals(m[5], -1e-7, 1e-12); // entry (1, 2) = -wx
  });
});

Deno.test("rigidOffsets: exactly 0 at omega = tau = 0; the gradient there is finite and equals x x c", () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[0.3, -0.7, 0.2], [-0.5, 0.1, 0.9]]);
    const zero = tf.zeros([1, 3]) as tf.Tensor2D;
    assert(rigidOffsets(x, zero, zero).dataSync().every((v) => v === 0));
    // L = sum_i c_i . r(x_i); at omega = 0, r(x) = omega x x + O(|omega|^2), so dL/domega = sum_i x_i x c_i.
    const c = tf.tensor2d([[1, 2, -1], [0.5, -1, 3]]);
    const [gw, gt] = tf.grads((w: tf.Tensor, t: tf.Tensor) =>
      tf.sum(tf.mul(rigidOffsets(x, w as tf.Tensor2D, t as tf.Tensor2D), c))
    )([zero, tf.zeros([1, 3])]).map((g) => g.dataSync());
    const xs = x.arraySync(), cs = c.arraySync();
    const want = [0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const [a, b] = [xs[i], cs[i]];
      want[0] += a[1] * b[2] - a[2] * b[1];
      want[1] += a[2] * b[0] - a[0] * b[2];
      want[2] += a[0] * b[1] - a[1] * b[0];
    }
    gw.forEach((v, j) => {
      assert(Number.isFinite(v));
      assertAlmostEquals(v, want[j], 1e-5);
    });
    [1.5, 1, 2].forEach((w, j) => assertAlmostEquals(gt[j], w, 1e-6)); // dL/dtau = sum_i c_i
  });
});

Deno.test("rigidOffsets: the gradient in omega matches central differences away from 0", () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[0.3, -0.7, 0.2], [-0.5, 0.1, 0.9], [0.8, 0.4, -0.6]]);
    const c = tf.tensor2d([[1, 2, -1], [0.5, -1, 3], [-2, 0.3, 1]]);
    const tau = tf.tensor2d([[0.1, -0.2, 0.05]]);
    const f = (w: tf.Tensor) => tf.sum(tf.mul(rigidOffsets(x, w as tf.Tensor2D, tau), c));
    const w0 = [0.4, -0.3, 0.7];
    const g = tf.grad(f)(tf.tensor2d([w0])).dataSync();
    const h = 1e-2;
    for (let j = 0; j < 3; j++) {
      const up = w0.slice(), down = w0.slice();
      up[j] += h;
      down[j] -= h;
      const fd = (f(tf.tensor2d([up])).dataSync()[0] - f(tf.tensor2d([down])).dataSync()[0]) / (2 * h);
      assertAlmostEquals(g[j], fd, 2e-3);
    }
  });
});

Deno.test("rigidOffsets: one motion per point equals one shared motion row; no leak; bad shapes named", async () => {
  const x = tf.tensor2d([[0.3, -0.7, 0.2], [-0.5, 0.1, 0.9]]);
  const w = tf.tensor2d([[0.2, 0.5, -0.4]]), t = tf.tensor2d([[0.1, 0, -0.3]]);
  tf.tidy(() => {
    const shared = rigidOffsets(x, w, t).dataSync();
    const each = rigidOffsets(x, tf.tile(w, [2, 1]) as tf.Tensor2D, tf.tile(t, [2, 1]) as tf.Tensor2D)
      .dataSync();
    shared.forEach((v, i) => assertAlmostEquals(each[i], v, 1e-6));
  });
  await assertNoLeak(() => rigidOffsets(x, w, t), "rigidOffsets");
  await assertNoLeak(
    () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(rigidOffsets(x, a as tf.Tensor2D, b as tf.Tensor2D)))([
        w,
        t,
      ]),
    "rigidOffsets gradients",
  );
  assertThrows(() => rigidOffsets(tf.zeros([2, 2]) as tf.Tensor2D, w, t), Error, "xyz must be [n, 3]");
  assertThrows(
    () => rigidOffsets(x, tf.zeros([3, 3]) as tf.Tensor2D, t),
    Error,
    "omega must be [1, 3] or [2, 3]",
  );
  assertThrows(() => rigidOffsets(x, w, tf.zeros([2, 3]) as tf.Tensor2D), Error, "tau must be [1, 3]");
  tf.dispose([x, w, t]);
});
