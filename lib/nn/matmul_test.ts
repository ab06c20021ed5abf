import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { createRng } from "./rng.ts";
import { addRows, dense, matMulT, transpose2d } from "./matmul.ts";

await initBackend({ log: null });

function randomMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  assertEquals(actual.length, expected.length, label);
  for (let i = 0; i < actual.length; i++) {
    assertAlmostEquals(actual[i], expected[i], tol * (1 + Math.abs(expected[i])), `${label}[${i}]`);
  }
}

Deno.test("matMulT forward and gradients equal tf.matMul's (wasm)", () => {
  const a = randomMatrix(7, 5, 1), b = randomMatrix(5, 3, 2), g = randomMatrix(7, 3, 3);
  const loss = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor2D) => (x: tf.Tensor, y: tf.Tensor) =>
    tf.sum(tf.mul(f(x as tf.Tensor2D, y as tf.Tensor2D), g));
  const [da, db] = tf.grads(loss(matMulT))([a, b]);
  const [ra, rb] = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
  close(matMulT(a, b).dataSync(), tf.matMul(a, b).dataSync(), 1e-5, "y");
  close(da.dataSync(), ra.dataSync(), 1e-5, "dA");
  close(db.dataSync(), rb.dataSync(), 1e-5, "dB");
  tf.dispose([a, b, g, da, db, ra, rb]);
});

Deno.test("matMulT gradients equal central finite differences of a non-linear loss", () => {
  // L = sum(tanh(A B)), so the check goes through the chain rule, not just a linear map.
  const rng = createRng(9);
  const A = Float64Array.from({ length: 3 * 4 }, () => 0.5 * rng.normal());
  const B = Float64Array.from({ length: 4 * 2 }, () => 0.5 * rng.normal());
  const lossJs = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        let y = 0;
        for (let k = 0; k < 4; k++) y += a[i * 4 + k] * b[k * 2 + j];
        s += Math.tanh(y);
      }
    }
    return s;
  };
  const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
    tf.sum(tf.tanh(matMulT(x as tf.Tensor2D, y as tf.Tensor2D)))
  )(
    [tf.tensor2d(Float32Array.from(A), [3, 4]), tf.tensor2d(Float32Array.from(B), [4, 2])],
  );
  const fd = (m: Float64Array, which: "a" | "b") =>
    Array.from(m, (_, i) => {
      const p = m.slice(), q = m.slice();
      p[i] += 1e-6;
      q[i] -= 1e-6;
      return (which === "a" ? lossJs(p, B) - lossJs(q, B) : lossJs(A, p) - lossJs(A, q)) / 2e-6;
    });
  close(da.dataSync(), fd(A, "a"), 1e-4, "dA");
  close(db.dataSync(), fd(B, "b"), 1e-4, "dB");
  tf.dispose([da, db]);
});

Deno.test("matMulT checks shapes and leaks nothing in a gradient step", async () => {
  const a = randomMatrix(4, 3, 5), b = randomMatrix(3, 2, 6);
  assertThrows(() => matMulT(a, a), Error, "matmul.ts: matMulT needs [m, k] x [k, n]: got [4,3] x [4,3]");
  const v = tf.variable(b);
  await assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(matMulT(a, v as tf.Tensor2D)), [v]);
    tf.dispose([value, grads]);
  }, "variableGrads(matMulT)");
  tf.dispose([a, b, v]);
});

/** Every element's float32 bits equal. */
function sameBits(actual: tf.Tensor, expected: tf.Tensor, label: string): void {
  assertEquals(actual.shape, expected.shape, `${label} shape`);
  const a = actual.dataSync() as Float32Array, e = expected.dataSync() as Float32Array;
  let bad = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], e[i])) bad++;
  assertEquals(bad, 0, `${label}: ${bad} of ${a.length} elements differ`);
}

Deno.test("transpose2d of tall matrices (the JS kernel) equals tf.transpose bit for bit", () => {
  // 300 x 17: not a multiple of the tile; 5000 x 3: a thin one; 64 x 64 stays on tf.transpose.
  for (const [r, c] of [[300, 17], [5000, 3], [64, 64], [70, 65]]) {
    const x = randomMatrix(r, c, r + c);
    const t = transpose2d(x), ref = tf.transpose(x);
    sameBits(t, ref, `[${r}, ${c}]`);
    tf.dispose([x, t, ref]);
  }
});

Deno.test("dense equals matMulT + addRows bit for bit, values and gradients of x, w and b", () => {
  // Tall inputs (the JS transpose with its row of ones) and a small one (tf.transpose + concat);
  // a bias of shape [m] and [1, m].
  const cases: [number, number, number, boolean][] = [
    [600, 13, 7, false],
    [600, 13, 7, true],
    [5, 4, 3, false],
    [4096, 1, 2, false],
  ];
  for (const [n, k, m, row] of cases) {
    const x = randomMatrix(n, k, n + k), w = randomMatrix(k, m, 7 * m);
    const b = row ? randomMatrix(1, m, 3) : tf.tensor1d(randomMatrix(1, m, 3).dataSync());
    const g = randomMatrix(n, m, 11);
    const loss =
      (f: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor) => tf.Tensor2D) =>
      (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(tf.tanh(f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb)), g));
    const label = `[${n}, ${k}] x [${k}, ${m}] + [${b.shape}]`;
    const y = dense(x, w, b), yRef = addRows(matMulT(x, w), b);
    sameBits(y, yRef, `${label} y`);
    const got = tf.grads(loss(dense))([x, w, b]);
    const ref = tf.grads(loss((xx, ww, bb) => addRows(matMulT(xx, ww), bb)))([x, w, b]);
    ["dx", "dw", "db"].forEach((name, i) => sameBits(got[i], ref[i], `${label} ${name}`));
    tf.dispose([x, w, b, g, y, yRef, ...got, ...ref]);
  }
});

Deno.test("dense gradients equal central finite differences; without a bias it is matMulT", () => {
  const rng = createRng(4);
  const X = Float64Array.from({ length: 3 * 2 }, () => rng.normal());
  const W = Float64Array.from({ length: 2 * 2 }, () => 0.5 * rng.normal());
  const B = Float64Array.from({ length: 2 }, () => 0.5 * rng.normal());
  const lossJs = (x: Float64Array, w: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) s += Math.tanh(x[2 * i] * w[j] + x[2 * i + 1] * w[2 + j] + b[j]);
    }
    return s;
  };
  const got = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.tanh(dense(x as tf.Tensor2D, w as tf.Tensor2D, b)))
  )([
    tf.tensor2d(Float32Array.from(X), [3, 2]),
    tf.tensor2d(Float32Array.from(W), [2, 2]),
    tf.tensor1d(Float32Array.from(B)),
  ]);
  const all = [X, W, B];
  all.forEach((m, which) => {
    const fd = Array.from(m, (_, i) => {
      const plus = all.map((a) => a.slice()), minus = all.map((a) => a.slice());
      plus[which][i] += 1e-6;
      minus[which][i] -= 1e-6;
      return (lossJs(plus[0], plus[1], plus[2]) - lossJs(minus[0], minus[1], minus[2])) / 2e-6;
    });
    close(got[which].dataSync(), fd, 1e-4, ["dx", "dw", "db"][which]);
  });
  tf.dispose(got);
  const x = randomMatrix(4, 3, 1), w = randomMatrix(3, 2, 2);
  const y = dense(x, w), ref = matMulT(x, w);
  sameBits(y, ref, "no bias");
  assertThrows(() => dense(x, x), Error, "matmul.ts: dense needs x [n, k] and w [k, m]: got [4,3] and [4,3]");
  assertThrows(() => dense(x, w, tf.zeros([3])), Error, "dense needs a bias of [2] or [1, 2]: got [3]");
  tf.dispose([x, w, y, ref]);
});

Deno.test("dense leaks nothing in a gradient step", async () => {
  const x = randomMatrix(600, 8, 5);
  const w = tf.variable(randomMatrix(8, 4, 6)), b = tf.variable(tf.zeros([4]));
  await assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(dense(x, w as tf.Tensor2D, b)), [w, b]);
    tf.dispose([value, grads]);
  }, "variableGrads(dense)");
  tf.dispose([x, w, b]);
});
