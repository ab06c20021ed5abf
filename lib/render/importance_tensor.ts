/**
 * Importance sampling of fine depths with tensor ops, for GPU backends: the coarse weights stay on the
 * device (no readback between the coarse and the fine pass). The same inverse-CDF sampling as
 * `importanceSamples` (NeRF's `sample_pdf`) and the same merge with the coarse depths as `mergeSorted`,
 * computed in float32 (the JS path computes in float64, so the two agree to float precision: tested).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../nn/rng.ts";
import { PDF_WEIGHT_FLOOR } from "../sampling/mod.ts";

/**
 * Fine depths by inverse-CDF sampling of the coarse weights, as tensor ops: the bins are the K - 2
 * intervals between consecutive midpoints of the coarse depths, bin j has mass proportional to
 * w_{j+1} + 1e-5, and sample i of a ray is F^-1(u_i), with u_i = (i + 1/2) / N (rng null) or the sorted
 * draws of `rng` (drawn ray by ray, in the order `importanceSamples` draws them). The bin of u is the
 * number of inner CDF knots <= u (a comparison and a sum, not a sequential search), and its ends are
 * gathered per ray. No gradient flows into the depths (they are constants of the graph, as in the JS
 * path): call it on weights that need none, or wrap them in {@linkcode constantOf}.
 * @param tVals Coarse depths, [n, K], increasing per ray, K >= 3.
 * @param weights Coarse rendering weights, [n, K], >= 0.
 * @param numSamples N, fine samples per ray.
 * @param rng Random source, or null for the deterministic variant.
 * @returns Fine depths, [n, N], increasing per ray.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { importanceSamplesTensor } from "./importance_tensor.ts";
 * // Midpoints 0.5, 1.5, 2.5; the bin [1.5, 2.5] holds (almost) all the mass (weight of t = 2).
 * const t = importanceSamplesTensor(tf.tensor2d([[0, 1, 2, 3]]), tf.tensor2d([[0, 0, 1, 0]]), 2, null);
 * const [a, b] = await t.data();
 * assertAlmostEquals(a, 1.75, 1e-4);
 * assertAlmostEquals(b, 2.25, 1e-4);
 * t.dispose();
 * ```
 */
export function importanceSamplesTensor(
  tVals: tf.Tensor2D,
  weights: tf.Tensor2D,
  numSamples: number,
  rng: Rng | null,
): tf.Tensor2D {
  const [n, k] = tVals.shape;
  if (k < 3) throw new Error(`importanceSamplesTensor needs K >= 3 coarse samples per ray: got ${k}`);
  if (weights.shape[0] !== n || weights.shape[1] !== k) {
    throw new Error(`weights must be [${n}, ${k}] like tVals: got [${weights.shape}]`);
  }
  if (!Number.isInteger(numSamples) || numSamples < 1) {
    throw new Error(`numSamples must be an integer >= 1: got ${numSamples}`);
  }
  const nb = k - 2;
  let uValues: Float32Array;
  if (rng) {
    uValues = new Float32Array(n * numSamples);
    const row = new Float64Array(numSamples);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < numSamples; i++) row[i] = rng.next();
      row.sort();
      uValues.set(row, r * numSamples);
    }
  } else {
    uValues = Float32Array.from({ length: numSamples }, (_, i) => (i + 0.5) / numSamples);
  }
  return tf.tidy(() => {
    const u = tf.tensor2d(uValues, [rng ? n : 1, numSamples]);
    const mids = tf.mul(0.5, tf.add(tVals.slice([0, 0], [n, k - 1]), tVals.slice([0, 1], [n, k - 1])));
    const mass = tf.add(weights.slice([0, 1], [n, nb]), PDF_WEIGHT_FLOOR);
    const pdf = tf.div(mass, tf.sum(mass, 1, true));
    // Inner knots F(m_1) .. F(m_{nb-1}); F(m_0) = 0 and F(m_nb) = 1 exactly, as in the JS path.
    const inner = tf.cumsum(pdf, 1).slice([0, 0], [n, nb - 1]);
    const cdf = tf.concat([tf.zeros([n, 1]), inner, tf.ones([n, 1])], 1);
    const bin = tf.sum(
      tf.cast(tf.greaterEqual(tf.expandDims(u, 2), tf.expandDims(inner, 1)), "int32"),
      2,
    ) as tf.Tensor2D;
    // Row r's entry j of a [n, nb + 1] table is entry r (nb + 1) + j of the flat table (a flat gather:
    // the wasm backend's gather with batchDims reads out of bounds).
    const rowStart = tf.mul(tf.range(0, n, 1, "int32"), tf.scalar(nb + 1, "int32")).reshape([n, 1]);
    const at = tf.add(bin, rowStart), atNext = tf.add(at, tf.scalar(1, "int32"));
    const flatCdf = cdf.reshape([-1]), flatMids = mids.reshape([-1]);
    const c0 = tf.gather(flatCdf, at), c1 = tf.gather(flatCdf, atNext);
    const m0 = tf.gather(flatMids, at), m1 = tf.gather(flatMids, atNext);
    const frac = tf.div(tf.sub(u, c0), tf.sub(c1, c0));
    return tf.add(m0, tf.mul(frac, tf.sub(m1, m0))) as tf.Tensor2D;
  });
}

/**
 * The coarse and fine depths of each ray in one increasing row, [n, Ka + Kb] (what `mergeSorted` gives
 * for sorted rows), as tensor ops: a sort of the concatenated rows (`topk`, reversed).
 * @param a Sorted depths, [n, Ka].
 * @param b Sorted depths, [n, Kb].
 * @returns [n, Ka + Kb], increasing per row.
 */
export function mergeSortedTensor(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const all = tf.concat([a, b], 1);
    return tf.reverse(tf.topk(all, all.shape[1], true).values, 1) as tf.Tensor2D;
  });
}

/**
 * x as a constant of the gradient tape: the same values, and a zero gradient (tfjs has no
 * stop_gradient), so nothing upstream of x is trained through it. For values that the JS path reads
 * back and rebuilds as a fresh tensor, where a GPU backend must not read.
 * @param x Any float tensor.
 * @returns x's values; the gradient to x is zero.
 */
export function constantOf<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}

/**
 * `compute()` as a constant of the gradient tape: it runs inside one custom-gradient op, whose forward pass
 * tfjs does not record, and whose gradient to each of `inputs` is zero. For values computed on the device
 * from tensors that need a gradient elsewhere, through ops that have none (the fine samples' depths: a
 * `topk` merge of sorted depths drawn from the coarse weights). The tape sees one op, so backpropagation
 * never reaches an op without a gradient, and nothing upstream is trained through the result.
 * @param compute Builds the value from `inputs` (and anything else it closes over).
 * @param inputs The tensors `compute` reads that lie on the gradient tape.
 * @returns compute()'s value.
 */
export function withoutGradient<T extends tf.Tensor>(compute: () => T, ...inputs: tf.Tensor[]): T {
  const f = tf.customGrad((..._args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: compute(),
    gradFunc: () => inputs.map((x) => tf.zerosLike(x)),
  }));
  return f(...inputs) as T;
}
