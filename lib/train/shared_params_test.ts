import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { createRng } from "../nn/rng.ts";
import { Adam } from "./adam.ts";
import {
  control,
  createSharedBuffers,
  GradientSum,
  paramLayout,
  ParamMirror,
  sumAndUpdateRange,
} from "./shared_params.ts";

await initBackend({ log: null });

Deno.test("ParamMirror writes only the parameters that changed, and uploads the buffer's values", () => {
  const params = new Map([
    ["a", tf.variable(tf.tensor1d([1, 2])) as tf.Variable],
    ["b", tf.variable(tf.tensor2d([[3], [4]])) as tf.Variable],
  ]);
  const { slots, total } = paramLayout(params);
  const mirror = new ParamMirror(slots, new Float32Array(total));
  assertEquals(mirror.sync(params), true);
  assertEquals(Array.from(mirror.buffer), [1, 2, 3, 4]);
  assertEquals(mirror.sync(params), false, "nothing changed");
  mirror.buffer[0] = 9; // not written again while "a" is unchanged
  params.get("b")!.assign(tf.tensor2d([[5], [6]]) as tf.Tensor);
  assertEquals(mirror.sync(params), true);
  assertEquals(Array.from(mirror.buffer), [9, 2, 5, 6]);
  const before = tf.memory().numTensors;
  mirror.upload(params, Uint8Array.of(1, 0));
  assertEquals(tf.memory().numTensors, before);
  assertEquals(Array.from(params.get("a")!.dataSync()), [9, 2]);
  assertEquals(mirror.sync(params), false, "an uploaded parameter counts as in step");
  tf.dispose([...params.values()]);
});

Deno.test("GradientSum: w0 g0 + w1 g1 in share order; unreached parameters are absent", () => {
  const params = new Map([["a", tf.variable(tf.tensor1d([0, 0]))], ["b", tf.variable(tf.tensor1d([0]))]]);
  const { slots, total } = paramLayout(params);
  const sum = new GradientSum(slots, total);
  const g0 = tf.tensor1d([1, 2]);
  sum.addTensors(new Map([["a", g0]]), 0.25);
  sum.addShared(Float32Array.of(4, 8, 2), Uint8Array.of(1, 1), 0.75);
  assertEquals(Array.from(sum.acc), [0.25 + 3, 0.5 + 6, 1.5]);
  assertEquals(Array.from(sum.touched), [1, 1]);
  const t = sum.tensors();
  assertEquals(Array.from(t.get("b")!.dataSync()), [1.5]);
  tf.dispose([g0, ...t.values(), ...params.values()]);
});

Deno.test("sumAndUpdateRange: any split by element range equals GradientSum + Adam.applyFlat bit for bit", () => {
  const rng = createRng(7);
  const shapes = [[5, 3], [1], [37], [4, 4], [9]];
  const make = () => new Map(shapes.map((sh, i) => [`p${i}`, tf.variable(tf.zeros(sh))]));
  const pa = make(), pb = make();
  const { slots, total } = paramLayout(pa);
  const lrScale = new Map([["p2", 10]]);
  const ref = new Adam(pa, { lrScale }), split = new Adam(pb, { lrScale });
  const init = Float32Array.from({ length: total }, () => rng.normal());
  const pRef = init.slice(), pSplit = init.slice();
  const shared = createSharedBuffers(total, slots, 2);
  const tensors = tf.memory().numTensors;
  for (let step = 0; step < 6; step++) {
    // Two or three shares of random gradients (magnitudes from 1e-6 to 1e2), so slots are reached by one,
    // two or three shares (the fused and the chunked sums); each share misses a random parameter, and
    // parameter p1 is reached by none at step 1.
    const shares = step % 2 ? [0, 1] : [0, 1, 2];
    const grads = shares.map(() =>
      Float32Array.from({ length: total }, () => rng.normal() * 10 ** (rng.int(9) - 6))
    );
    const reached = shares.map(() => {
      const r = new Uint8Array(slots.length).fill(1);
      r[rng.int(slots.length)] = 0;
      if (step === 1) r[1] = 0;
      return r;
    });
    const weights = [0.3, 0.45, 0.25].slice(0, shares.length);
    const sum = new GradientSum(slots, total);
    grads.forEach((g, i) => sum.addShared(g, reached[i], weights[i]));
    ref.applyFlat(slots, sum.acc, sum.touched, pRef, 0.01);
    // The same update in ranges cut inside parameters, with a scratch smaller than most of them.
    const { step: s, m, v } = split.flatStep(slots, 0.01, { m: shared.m, v: shared.v });
    const cuts = [0, 7, 8, 30, 31, 64, total];
    for (let c = 0; c + 1 < cuts.length; c++) {
      sumAndUpdateRange(
        slots,
        { grads, reached, weights },
        s,
        m,
        v,
        pSplit,
        cuts[c],
        cuts[c + 1],
        new Float32Array(3),
      );
    }
    assertEquals(pSplit, pRef, `parameters after step ${step + 1}`);
  }
  assertEquals(tf.memory().numTensors, tensors);
  assertEquals(split.step, 6);
  // The moments (in shared memory) reach state(), equal to the unsplit update's.
  const sr = ref.state(), ss = split.state();
  for (const [k, t] of sr) assertEquals(ss.get(k)!.dataSync(), t.dataSync(), k);
  assertEquals(control.size(2), 6);
  tf.dispose([...pa.values(), ...pb.values()]);
  ref.dispose(), split.dispose();
});

Deno.test("Adam.flatStep: moments carried into new arrays, and read again after state()", () => {
  const params = new Map([["a", tf.variable(tf.zeros([3]))]]);
  const layout = [{ name: "a", offset: 0, size: 3 }];
  const adam = new Adam(params);
  const p = new Float32Array(3);
  adam.applyFlat(layout, Float32Array.of(1, -2, 0.5), Uint8Array.of(1), p, 0.1);
  const own = adam.flatStep(layout, 0.1);
  const moved = { m: new Float32Array(3), v: new Float32Array(3) };
  const taken = adam.flatStep(layout, 0.1, moved);
  assertEquals(taken.m, moved.m, "the given arrays hold the moments from now on");
  assertEquals(Array.from(moved.m), Array.from(own.m), "carried over as they were");
  // A checkpoint load writes the moments through state(): the next step reads them into its arrays.
  adam.state().get("m/a")!.assign(tf.tensor1d([7, 8, 9]));
  adam.flatStep(layout, 0.1, moved);
  assertEquals(Array.from(moved.m), [7, 8, 9]);
  try {
    adam.flatStep(layout, 0.1, { m: new Float32Array(2), v: new Float32Array(2) });
    throw new Error("accepted moments of the wrong size");
  } catch (e) {
    assertEquals((e as Error).message, "Adam.flatStep: moments must hold 3 values: got 2, 2");
  }
  tf.dispose([...params.values()]);
  adam.dispose();
});
