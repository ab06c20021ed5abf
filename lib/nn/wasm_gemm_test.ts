import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { createRng } from "./rng.ts";
import { weightGradApplies, weightGradWasm } from "./wasm_gemm.ts";

await initBackend({ log: null });

function randomMatrix(rows: number, cols: number, seed: number): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

Deno.test("weightGradWasm equals tfjs wasm's [x^T; 1] dy product (XNNPACK) bit for bit", () => {
  assertEquals(tf.getBackend(), "wasm");
  // Every remainder of k mod 4, n across the 128-row blocks (1, 128, 129, 700), m from 8 to 96.
  const cases: [number, number, number][] = [
    [1, 4, 8],
    [128, 5, 16],
    [129, 6, 8],
    [700, 7, 24],
    [700, 51, 96],
    [3000, 97, 64],
    // Narrow gradients (m not a multiple of 8) with k a multiple of 8: the transposed product.
    [700, 96, 1],
    [129, 16, 3],
    [3000, 48, 11],
  ];
  for (const [n, k, m] of cases) {
    const x = randomMatrix(n, k, n + k), dy = randomMatrix(n, m, 3 * m);
    const label = `[${n}, ${k}] x [${n}, ${m}]`;
    const ref = tf.tidy(() =>
      tf.matMul(tf.concat([tf.transpose(x), tf.ones([1, n])], 0) as tf.Tensor2D, tf.add(dy, 0) as tf.Tensor2D)
    );
    assertEquals(weightGradApplies(dy, x), true, label);
    const got = weightGradWasm(x, dy, true), noOnes = weightGradWasm(x, dy, false);
    const sums = weightGradWasm(undefined, dy, true);
    assertEquals(got.shape, [k + 1, m], label);
    assertEquals(bits(got), bits(ref), `${label}: [x^T dy; sums]`);
    assertEquals(bits(noOnes), bits(ref).slice(0, k * m), `${label}: x^T dy`);
    assertEquals(bits(sums), bits(ref).slice(k * m), `${label}: column sums`);
    tf.dispose([x, dy, ref, got, noOnes, sums]);
  }
});

Deno.test("weightGradWasm applies to float32 with columns in multiples of 8, and leaks nothing", async () => {
  const x = randomMatrix(300, 5, 1), dy = randomMatrix(300, 16, 2), odd = randomMatrix(300, 12, 3);
  assertEquals(weightGradApplies(odd, x), false);
  assertEquals(weightGradApplies(odd), false);
  assertEquals(weightGradApplies(odd, randomMatrix(300, 8, 5)), true);
  assertEquals(weightGradApplies(dy, randomMatrix(299, 5, 4)), false);
  await assertNoLeak(() => weightGradWasm(x, dy, true).dispose(), "weightGradWasm");
  tf.dispose([x, dy, odd]);
});
