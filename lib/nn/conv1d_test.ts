import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { Conv1d, conv1dOutputLength, conv1dUnfold } from "./conv1d.ts";
import { createRng } from "./rng.ts";

await initBackend({ log: null });

function randn(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  assertEquals(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    assertAlmostEquals(actual[i], expected[i], tol * (1 + Math.abs(expected[i])), `${label}[${i}]`);
  }
}

// tf.conv1d with a numeric pad is broken in tfjs 4.22 on both backends (conv2d pads the dummy height axis
// too: "Size(432) must match the product of shape 2,18,4"), so the references pad explicitly, then "valid".
function tfConv1d(x: tf.Tensor3D, w: tf.Tensor3D, stride: number, pad: number): tf.Tensor3D {
  return tf.conv1d(tf.pad(x, [[0, 0], [pad, pad], [0, 0]]), w, stride, "valid");
}

// Geometries AudioNet / AudioAttNet use, plus odd lengths, no padding, K = 1 and a stride larger than K.
const CASES = [
  { B: 2, T: 16, cin: 5, cout: 4, K: 3, stride: 2, pad: 1 },
  { B: 3, T: 8, cin: 4, cout: 2, K: 3, stride: 1, pad: 1 },
  { B: 1, T: 7, cin: 3, cout: 3, K: 3, stride: 2, pad: 0 },
  { B: 2, T: 9, cin: 2, cout: 5, K: 5, stride: 3, pad: 2 },
  { B: 2, T: 6, cin: 3, cout: 2, K: 1, stride: 1, pad: 0 },
  { B: 1, T: 10, cin: 2, cout: 2, K: 2, stride: 4, pad: 1 },
];

Deno.test("conv1dUnfold equals tf.conv1d forward on wasm", () => {
  for (const [i, c] of CASES.entries()) {
    tf.tidy(() => {
      const x = tf.tensor3d(randn(c.B * c.T * c.cin, i), [c.B, c.T, c.cin]);
      const w = tf.tensor3d(randn(c.K * c.cin * c.cout, 100 + i), [c.K, c.cin, c.cout]);
      const b = tf.tensor1d(randn(c.cout, 200 + i));
      const y = conv1dUnfold(x, w, b, c);
      const ref = tf.add(tfConv1d(x, w, c.stride, c.pad), b);
      assertEquals(y.shape, ref.shape, `case ${i}`);
      assertEquals(y.shape[1], conv1dOutputLength(c.T, c.K, c));
      close(y.dataSync(), ref.dataSync(), 1e-5, `case ${i}`);
    });
  }
});

/** dL/dx, dL/dw, dL/db of L = sum(conv(x, w) * G), by plain loops over the definition. */
function referenceGrads(
  x: Float32Array,
  w: Float32Array,
  g: Float32Array,
  c: typeof CASES[number],
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const tOut = Math.floor((c.T + 2 * c.pad - c.K) / c.stride) + 1;
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length), db = new Float64Array(c.cout);
  for (let b = 0; b < c.B; b++) {
    for (let t = 0; t < tOut; t++) {
      for (let o = 0; o < c.cout; o++) {
        const gv = g[(b * tOut + t) * c.cout + o];
        db[o] += gv;
        for (let k = 0; k < c.K; k++) {
          const i = t * c.stride + k - c.pad;
          if (i < 0 || i >= c.T) continue;
          for (let ch = 0; ch < c.cin; ch++) {
            dw[(k * c.cin + ch) * c.cout + o] += x[(b * c.T + i) * c.cin + ch] * gv;
            dx[(b * c.T + i) * c.cin + ch] += w[(k * c.cin + ch) * c.cout + o] * gv;
          }
        }
      }
    }
  }
  return { dx, dw, db };
}

Deno.test("conv1dUnfold gradients equal hand-written loops and the cpu backend's tf.conv1d gradients", async () => {
  const cpu: { dx: Float32Array; dw: Float32Array }[] = [];
  const inputs = CASES.map((c, i) => {
    const tOut = conv1dOutputLength(c.T, c.K, c);
    return {
      x: randn(c.B * c.T * c.cin, 10 + i),
      w: randn(c.K * c.cin * c.cout, 20 + i),
      g: randn(c.B * tOut * c.cout, 30 + i),
    };
  });
  // The cpu backend has conv1d filter gradients (wasm has none): take them as a second reference.
  await tf.setBackend("cpu");
  try {
    for (const [i, c] of CASES.entries()) {
      const { x, w, g } = inputs[i];
      const [dx, dw] = tf.tidy(() => {
        const G = tf.tensor3d(g, [c.B, conv1dOutputLength(c.T, c.K, c), c.cout]);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tfConv1d(a as tf.Tensor3D, b as tf.Tensor3D, c.stride, c.pad), G))
        )([tf.tensor3d(x, [c.B, c.T, c.cin]), tf.tensor3d(w, [c.K, c.cin, c.cout])]);
      });
      cpu.push({ dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array });
      tf.dispose([dx, dw]);
    }
  } finally {
    await tf.setBackend("wasm");
  }
  assertEquals(tf.getBackend(), "wasm");
  for (const [i, c] of CASES.entries()) {
    const { x, w, g } = inputs[i];
    const [dx, dw, db] = tf.tidy(() => {
      const G = tf.tensor3d(g, [c.B, conv1dOutputLength(c.T, c.K, c), c.cout]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.sum(tf.mul(conv1dUnfold(a as tf.Tensor3D, b as tf.Tensor3D, bias as tf.Tensor1D, c), G))
      )([tf.tensor3d(x, [c.B, c.T, c.cin]), tf.tensor3d(w, [c.K, c.cin, c.cout]), tf.zeros([c.cout])]);
    });
    const ref = referenceGrads(x, w, g, c);
    close(dx.dataSync(), ref.dx, 1e-4, `case ${i} dx (loops)`);
    close(dw.dataSync(), ref.dw, 1e-4, `case ${i} dw (loops)`);
    close(db.dataSync(), ref.db, 1e-4, `case ${i} db (loops)`);
    close(dx.dataSync(), cpu[i].dx, 1e-4, `case ${i} dx (cpu conv1d)`);
    close(dw.dataSync(), cpu[i].dw, 1e-4, `case ${i} dw (cpu conv1d)`);
    tf.dispose([dx, dw, db]);
  }
});

Deno.test("Conv1d layer: keys, shapes, torch init bounds, leaks, and clear errors", async () => {
  const conv = new Conv1d("conv.t", 29, 32, { stride: 2 });
  assertEquals([...conv.params.keys()], ["conv.t.w", "conv.t.b"]);
  assertEquals(conv.w.shape, [3, 29, 32]);
  const bound = 1 / Math.sqrt(29 * 3);
  assert(conv.w.dataSync().every((v) => Math.abs(v) <= bound));
  const x = tf.randomNormal([4, 16, 29]) as tf.Tensor3D;
  await assertNoLeak(() => conv.apply(x), "Conv1d.apply");
  await assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(conv.apply(x)), [conv.w, conv.b!]);
    tf.dispose([value, grads]);
  }, "Conv1d gradient step");
  assertThrows(
    () => conv.apply(tf.zeros([4, 16, 28]) as tf.Tensor3D),
    Error,
    "conv.t expects inputs [B, T, 29]: got [4,16,28]",
  );
  assertThrows(
    () =>
      conv1dUnfold(tf.zeros([1, 2, 3]) as tf.Tensor3D, tf.zeros([5, 3, 1]) as tf.Tensor3D, null, {
        stride: 1,
        pad: 0,
      }),
    Error,
    "input length 2 with pad 0 is shorter than the kernel 5",
  );
  tf.dispose(x);
  conv.dispose();
});
