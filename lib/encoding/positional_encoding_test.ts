import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { createRng } from "../nn/rng.ts";
import { encodedDim, positionalEncoding, positionalEncodingJs } from "./positional_encoding.ts";

await initBackend({ log: null });

function randomInputs(n: number, dim: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * dim }, () => rng.next() * 3 - 1.5);
}

Deno.test("layout by hand: x, then per frequency the sines of all dims, then their cosines", () => {
  const x = Float32Array.of(0.3, -0.7);
  const e = positionalEncodingJs(x, 2, 2);
  const want = [0.3, -0.7, Math.sin(0.3), Math.sin(-0.7), Math.cos(0.3), Math.cos(-0.7)]
    .concat([Math.sin(0.6), Math.sin(-1.4), Math.cos(0.6), Math.cos(-1.4)]);
  assertEquals(e.length, encodedDim(2, 2));
  want.forEach((w, i) => assertAlmostEquals(e[i], w, 1e-7, `entry ${i}`));
  const t = positionalEncoding(tf.tensor2d(x, [1, 2]), 2);
  const tv = t.dataSync();
  t.dispose();
  want.forEach((w, i) => assertAlmostEquals(tv[i], w, 1e-6, `tf entry ${i}`));
});

Deno.test("the JS recurrence stays within float32 rounding of the exact encoding for L = 10", () => {
  const dim = 3, L = 10, x = randomInputs(2000, dim, 1);
  const e = positionalEncodingJs(x, dim, L, { includeInput: false });
  let maxErr = 0;
  for (let i = 0; i < x.length / dim; i++) {
    for (let k = 0; k < L; k++) {
      for (let j = 0; j < dim; j++) {
        const a = x[i * dim + j] * 2 ** k, at = i * 2 * L * dim + 2 * k * dim + j;
        maxErr = Math.max(maxErr, Math.abs(e[at] - Math.sin(a)), Math.abs(e[at + dim] - Math.cos(a)));
      }
    }
  }
  // Float32 rounding of values in [-1, 1] is at most 2^-25 ~ 3e-8; the float64 recurrence adds < 1e-10.
  assertLess(maxErr, 3.1e-8);
});

Deno.test("JS and tfjs (wasm) encodings agree for L = 10 on [-1.5, 1.5]", () => {
  const dim = 3, L = 10, n = 4000, x = randomInputs(n, dim, 2);
  const js = positionalEncodingJs(x, dim, L);
  const t = positionalEncoding(tf.tensor2d(x, [n, dim]), L);
  assertEquals(t.shape, [n, encodedDim(dim, L)]);
  const tv = t.dataSync();
  t.dispose();
  let maxDiff = 0;
  for (let i = 0; i < js.length; i++) maxDiff = Math.max(maxDiff, Math.abs(js[i] - tv[i]));
  assertLess(maxDiff, 1e-5);
  const noInput = positionalEncodingJs(x, dim, L, { includeInput: false });
  assertEquals(noInput.length, n * encodedDim(dim, L, false));
  assertEquals(noInput[0], js[dim]);
});

Deno.test("gradient of the tf encoding w.r.t. x matches d/dx sum = 1 + sum_k 2^k (cos 2^k x - sin 2^k x)", () => {
  const xs = [-1.2, 0.1, 0.9];
  const g = tf.tidy(() =>
    tf.grad((x: tf.Tensor) => positionalEncoding(x as tf.Tensor2D, 4).sum())(tf.tensor2d(xs, [3, 1]))
  );
  const gv = g.dataSync();
  g.dispose();
  xs.forEach((x, i) => {
    let want = 1;
    for (let k = 0; k < 4; k++) want += 2 ** k * (Math.cos(2 ** k * x) - Math.sin(2 ** k * x));
    assertAlmostEquals(gv[i], want, 1e-4);
  });
});

Deno.test("positional encodings do not leak tensors and reject bad arguments", async () => {
  const x = tf.tensor2d([[0.1, 0.2, 0.3]]);
  await assertNoLeak(() => positionalEncoding(x, 6), "positionalEncoding");
  await assertNoLeak(() => positionalEncoding(x, 0), "positionalEncoding L = 0");
  await assertNoLeak(
    () => tf.grad((v: tf.Tensor) => positionalEncoding(v as tf.Tensor2D, 3).sum())(x),
    "grad",
  );
  assertThrows(() => positionalEncoding(x, 0, { includeInput: false }), Error, "encodes nothing");
  assertThrows(() => positionalEncodingJs(new Float32Array(4), 3, 2), Error, "[n, 3] flattened");
  assertThrows(() => encodedDim(3, -1), Error, "numFreqs");
  x.dispose();
});

/** |a - b| <= tol (1 + |b|) elementwise. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  assertEquals(a.length, b.length, label);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  assertLess(worst, tol, label);
}

/** The encoding as the plain tfjs op graph (no custom gradient): tfjs' own autodiff differentiates it. */
function opGraphEncoding(x: tf.Tensor2D, numFreqs: number, includeInput: boolean): tf.Tensor2D {
  const [n, d] = x.shape;
  const freqs = tf.tensor3d(Float32Array.from({ length: numFreqs }, (_, k) => 2 ** k), [1, numFreqs, 1]);
  const scaled = tf.mul(x.reshape([n, 1, d]), freqs);
  const sc = tf.stack([tf.sin(scaled), tf.cos(scaled)], 2).reshape([n, 2 * numFreqs * d]) as tf.Tensor2D;
  return includeInput ? tf.concat([x, sc], 1) : sc;
}

Deno.test("the wasm encoding op: positionalEncodingJs's values bit for bit, the op graph's gradients", () => {
  assertEquals(tf.getBackend(), "wasm");
  const cases: [number, number, number, boolean][] = [[2000, 3, 8, true], [300, 2, 5, false], [
    7,
    3,
    1,
    true,
  ]];
  for (const [n, d, numFreqs, includeInput] of cases) {
    const rng = createRng(n + d);
    // |x| <= 1.5 as the encoded points are (the op graph's float32 angles drift from the exact ones beyond).
    const values = Float32Array.from({ length: n * d }, () => rng.next() * 3 - 1.5);
    const x = tf.tensor2d(values, [n, d]);
    const width = encodedDim(d, numFreqs, includeInput);
    const g = tf.tensor2d(Float32Array.from({ length: n * width }, () => rng.normal()), [n, width]);
    const label = `n ${n}, d ${d}, L ${numFreqs}, input ${includeInput}`;
    const got = positionalEncoding(x, numFreqs, { includeInput });
    assertEquals(
      Array.from(got.dataSync()),
      Array.from(positionalEncodingJs(values, d, numFreqs, { includeInput })),
      `${label}: values`,
    );
    const ref = opGraphEncoding(x, numFreqs, includeInput);
    close(got.dataSync(), ref.dataSync(), 2e-5, `${label}: op graph values`);
    const loss = (f: (v: tf.Tensor2D) => tf.Tensor2D) => (v: tf.Tensor) =>
      tf.sum(tf.mul(f(v as tf.Tensor2D), g));
    const dGot = tf.grad(loss((v) => positionalEncoding(v, numFreqs, { includeInput })))(x);
    const dRef = tf.grad(loss((v) => opGraphEncoding(v, numFreqs, includeInput)))(x);
    close(dGot.dataSync(), dRef.dataSync(), 2e-6 * 2 ** numFreqs, `${label}: gradients`);
    tf.dispose([x, g, got, ref, dGot, dRef]);
  }
});
