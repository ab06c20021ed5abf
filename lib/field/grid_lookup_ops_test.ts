import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { gridLevels } from "./grid_levels.ts";
import { triplaneLookup } from "./grid_lookup.ts";
import { triplaneLookupTensorOps } from "./grid_lookup_ops.ts";

await initBackend({ log: null });

const F = 2;

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

Deno.test("the tensor-op lookup (the webgpu path) equals the JS kernel: values, table and position gradients", async () => {
  // Power-of-two resolutions (2, 4, 8; the last hashed): the cell choice is exact in float32, so even the
  // position gradient must agree. Gradients need tf.gather's (UnsortedSegmentSum: cpu has it, wasm not).
  const levels = gridLevels({ levels: 3, baseResolution: 2, maxResolution: 8, log2HashSize: 6 });
  const n = 64;
  const xyz = uniform(3 * n, -1.2, 1.2, 70);
  const tables = Array.from(
    { length: 9 },
    (_, k) => uniform(levels[k % 3].tableSize * F, -1, 1, 80 + k),
  );
  const D = 9 * F;
  const R = uniform(n * D, -1, 1, 90);
  const run = (fn: typeof triplaneLookup) =>
    tf.tidy(() => {
      const x = tf.tensor2d(xyz, [n, 3]);
      const tt = tables.map((t, k) => tf.tensor2d(t, [levels[k % 3].tableSize, F]));
      const r = tf.tensor2d(R, [n, D]);
      const values = fn(x, tt, levels).dataSync();
      const grads = tf.grads((...ts: tf.Tensor[]) =>
        tf.sum(tf.mul(fn(ts[0] as tf.Tensor2D, ts.slice(1) as tf.Tensor2D[], levels), r))
      )([x, ...tt]);
      return { values: Array.from(values), grads: grads.map((g) => Array.from(g.dataSync())) };
    });
  const js = run(triplaneLookup);
  await tf.setBackend("cpu");
  try {
    const ops = run(triplaneLookupTensorOps);
    js.values.forEach((v, i) => assertAlmostEquals(ops.values[i], v, 1e-5, `value ${i}`));
    js.grads.forEach((g, k) =>
      g.forEach((v, i) =>
        assertAlmostEquals(ops.grads[k][i], v, 1e-4, `${k === 0 ? "dxyz" : `dtable${k - 1}`}[${i}]`)
      )
    );
    const x = tf.tensor2d(xyz, [n, 3]);
    const tt = tables.map((t, k) => tf.tensor2d(t, [levels[k % 3].tableSize, F]));
    await assertNoLeak(
      () =>
        tf.grads((...ts: tf.Tensor[]) =>
          tf.sum(triplaneLookupTensorOps(ts[0] as tf.Tensor2D, ts.slice(1) as tf.Tensor2D[], levels))
        )([x, ...tt]),
      "tensor-op backward",
    );
    tf.dispose([x, ...tt]);
  } finally {
    await tf.setBackend("wasm");
  }
});
