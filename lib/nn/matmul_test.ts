import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { createRng } from "./rng.ts";
import { matMulT } from "./matmul.ts";

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
