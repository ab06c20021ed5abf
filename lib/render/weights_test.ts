import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { alphaFromDensity, transmittance, weightsFromAlpha, weightsFromDensity } from "./weights.ts";

await initBackend({ log: null });

/** Reference in float64 JS with an explicit running product (a path independent of exp/cumsum). */
function weightsJs(sig: number[], del: number[]): number[] {
  let T = 1;
  return sig.map((s, i) => {
    const a = 1 - Math.exp(-s * del[i]);
    const w = T * a;
    T *= 1 - a;
    return w;
  });
}

function values(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

Deno.test("two-sample ray by hand: w0 = 1 - e^-0.4, w1 = e^-0.4 (1 - e^-0.8)", () => {
  const w = values(weightsFromDensity(tf.tensor2d([[0.4, 0.8]]), tf.tensor2d([[1, 1]])));
  assertAlmostEquals(w[0], 1 - Math.exp(-0.4), 1e-6);
  assertAlmostEquals(w[1], Math.exp(-0.4) * (1 - Math.exp(-0.8)), 1e-6);
});

Deno.test("constant density: transmittance at the samples is exp(-sigma t)", () => {
  const sigma = 0.7, t = [0, 0.3, 0.8, 1.5, 2.1, 3];
  const deltas = t.slice(1).map((v, i) => v - t[i]).concat([1]);
  const T = values(transmittance(tf.tensor2d([t.map(() => sigma)]), tf.tensor2d([deltas])));
  t.forEach((ti, i) => assertAlmostEquals(T[i], Math.exp(-sigma * ti), 1e-6));
});

Deno.test("weights match the float64 running product; sum of weights = 1 - T_final", () => {
  const rng = createRng(40);
  const n = 8, k = 16;
  const sig = Array.from({ length: n * k }, () => rng.next() * 3);
  const del = Array.from({ length: n * k }, () => rng.next() * 0.2);
  const w = values(weightsFromDensity(tf.tensor2d(sig, [n, k]), tf.tensor2d(del, [n, k])));
  for (let r = 0; r < n; r++) {
    const s = sig.slice(r * k, r * k + k), d = del.slice(r * k, r * k + k);
    const ref = weightsJs(s, d);
    let sum = 0;
    ref.forEach((want, i) => {
      assertAlmostEquals(w[r * k + i], want, 1e-6);
      sum += w[r * k + i];
    });
    const tFinal = Math.exp(-s.reduce((acc, v, i) => acc + v * d[i], 0));
    assertAlmostEquals(sum, 1 - tFinal, 1e-5);
  }
});

Deno.test("weightsFromAlpha equals weightsFromDensity for alpha = 1 - exp(-sigma delta)", () => {
  const rng = createRng(41);
  const n = 6, k = 12;
  const sigmas = tf.tensor2d(Array.from({ length: n * k }, () => rng.next() * 4), [n, k]);
  const deltas = tf.tensor2d(Array.from({ length: n * k }, () => rng.next() * 0.3), [n, k]);
  const alphas = alphaFromDensity(sigmas, deltas);
  for (const opaqueLast of [false, true]) {
    const a = values(weightsFromDensity(sigmas, deltas, { opaqueLast }));
    const b = values(weightsFromAlpha(alphas, { opaqueLast }));
    a.forEach((v, i) => assertAlmostEquals(b[i], v, 1e-6, `opaqueLast ${opaqueLast} entry ${i}`));
  }
  tf.dispose([sigmas, deltas, alphas]);
});

Deno.test("opaqueLast makes every ray's weights sum to 1, even with zero density at the end", () => {
  const sig = tf.tensor2d([[0.2, 0.5, 0], [0, 0, 0]]);
  const del = tf.tensor2d([[1, 1, 1e10], [1, 1, 1e10]]);
  const plain = values(weightsFromDensity(sig, del));
  const w = values(weightsFromDensity(sig, del, { opaqueLast: true }));
  assertAlmostEquals(plain[2], 0); // NeRF's 1e10 interval does not help when the density is 0
  assertAlmostEquals(w[0] + w[1] + w[2], 1, 1e-6);
  assertAlmostEquals(w[2], Math.exp(-0.7), 1e-6);
  assertEquals(Array.from(w.subarray(3)), [0, 0, 1]);
  tf.dispose([sig, del]);
});

Deno.test("gradients of the weights w.r.t. sigma on wasm match float64 finite differences", () => {
  const rng = createRng(42);
  const k = 6;
  const sig = Array.from({ length: k }, () => 0.2 + rng.next() * 2);
  const del = Array.from({ length: k }, () => 0.1 + rng.next() * 0.5);
  const coef = Array.from({ length: k }, () => rng.next() * 2 - 1);
  const loss = (s: number[]) => weightsJs(s, del).reduce((acc, w, i) => acc + coef[i] * w, 0);
  const fd = sig.map((_, j) => {
    const h = 1e-6, up = [...sig], dn = [...sig];
    up[j] += h, dn[j] -= h;
    return (loss(up) - loss(dn)) / (2 * h);
  });
  const c = tf.tensor2d([coef]), d = tf.tensor2d([del]);
  const gDensity = values(
    tf.tidy(() =>
      tf.grad((s: tf.Tensor) => tf.sum(tf.mul(weightsFromDensity(s as tf.Tensor2D, d), c)))(
        tf.tensor2d([sig]),
      )
    ),
  );
  // Through alpha: d loss / d sigma = d loss / d alpha * delta exp(-sigma delta).
  const gAlpha = values(
    tf.tidy(() =>
      tf.grad((s: tf.Tensor) => tf.sum(tf.mul(weightsFromAlpha(alphaFromDensity(s as tf.Tensor2D, d)), c)))(
        tf.tensor2d([sig]),
      )
    ),
  );
  fd.forEach((want, j) => {
    assertAlmostEquals(gDensity[j], want, 1e-4, `density path, sample ${j}`);
    assertAlmostEquals(gAlpha[j], want, 1e-4, `alpha path, sample ${j}`);
  });
  tf.dispose([c, d]);
});

Deno.test("gradients stay finite with NeRF's 1e10 last interval and with opaqueLast", () => {
  const del = tf.tensor2d([[0.5, 0.5, 1e10]]);
  for (const opaqueLast of [false, true]) {
    const g = values(
      tf.tidy(() =>
        tf.grad((s: tf.Tensor) => tf.sum(weightsFromDensity(s as tf.Tensor2D, del, { opaqueLast })))(
          tf.tensor2d([[1, 0, 2]]),
        )
      ),
    );
    assert(g.every(Number.isFinite), `opaqueLast ${opaqueLast}: ${g}`);
  }
  del.dispose();
});

Deno.test("weight functions do not leak tensors, with and without gradients; bad shapes throw", async () => {
  const s = tf.tensor2d([[0.1, 0.2, 0.3]]), d = tf.tensor2d([[1, 1, 1]]);
  await assertNoLeak(() => transmittance(s, d), "transmittance");
  await assertNoLeak(() => weightsFromDensity(s, d, { opaqueLast: true }), "weightsFromDensity");
  await assertNoLeak(() => weightsFromAlpha(s, { opaqueLast: true }), "weightsFromAlpha");
  await assertNoLeak(() => alphaFromDensity(s, d), "alphaFromDensity");
  await assertNoLeak(
    () => tf.grad((x: tf.Tensor) => tf.sum(weightsFromDensity(x as tf.Tensor2D, d)))(s),
    "grad",
  );
  const bad = tf.tensor2d([[1, 1]]);
  assertThrows(() => weightsFromDensity(s, bad), Error, "must have the same shape");
  assertThrows(() => weightsFromAlpha(tf.tensor1d([1]) as unknown as tf.Tensor2D), Error, "alphas must be");
  tf.dispose([s, d, bad]);
});
