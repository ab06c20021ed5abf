import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { Adam } from "./adam.ts";

await initBackend({ log: null });

Deno.test("adam: the first step moves each parameter by lr against the gradient's sign", () => {
  const p = tf.variable(tf.tensor1d([1, -2, 3]));
  const opt = new Adam(new Map([["p", p]]));
  // loss = sum(p * c): gradient c. Adam's first update is -lr * sign(g) (up to epsilon).
  const c = tf.tensor1d([0.5, -3, 0]);
  opt.minimize(() => tf.sum(tf.mul(p, c)), 0.1);
  const got = Array.from(p.dataSync());
  assertAlmostEquals(got[0], 0.9, 1e-5);
  assertAlmostEquals(got[1], -1.9, 1e-5);
  assertAlmostEquals(got[2], 3, 1e-5); // zero gradient: no move
  tf.dispose([p, c]);
  opt.dispose();
});

Deno.test("adam: lrScale multiplies one parameter's step", () => {
  const a = tf.variable(tf.scalar(1)), b = tf.variable(tf.scalar(1));
  const opt = new Adam(new Map([["a", a], ["b", b]]), { lrScale: new Map([["b", 10]]) });
  opt.minimize(() => tf.add(a, b) as tf.Scalar, 0.01);
  assertAlmostEquals(a.dataSync()[0], 0.99, 1e-6);
  assertAlmostEquals(b.dataSync()[0], 0.9, 1e-6);
  tf.dispose([a, b]);
  opt.dispose();
});

Deno.test("adam: matches a hand-rolled reference over several steps, and leaks nothing", () => {
  const p = tf.variable(tf.scalar(2));
  const opt = new Adam(new Map([["p", p]]));
  let x = 2, m = 0, v = 0;
  const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const before = tf.memory().numTensors;
  for (let t = 1; t <= 20; t++) {
    const loss = opt.minimize(() => tf.square(tf.sub(p, 0.5)) as tf.Scalar, lr);
    assertAlmostEquals(loss, (x - 0.5) ** 2, 1e-4);
    const g = 2 * (x - 0.5);
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    x -= lr * (m / (1 - b1 ** t)) / (Math.sqrt(v / (1 - b2 ** t)) + eps);
    assertAlmostEquals(p.dataSync()[0], x, 1e-4);
  }
  assertEquals(tf.memory().numTensors, before);
  assertEquals([...opt.state().keys()], ["m/p", "v/p"]);
  p.dispose();
  opt.dispose();
});

Deno.test("adam: applyFlat follows minimize's updates, skips unreached parameters, and its moments reach state()", () => {
  const init = { a: [1, -2, 3], b: [0.5, 0.25] };
  const make = () => new Map(Object.entries(init).map(([k, v]) => [k, tf.variable(tf.tensor1d(v))]));
  const pa = make(), pb = make();
  const lrScale = new Map([["b", 10]]);
  const ref = new Adam(pa, { lrScale }), flat = new Adam(pb, { lrScale });
  const layout = [{ name: "a", offset: 0, size: 3 }, { name: "b", offset: 3, size: 2 }];
  const params = Float32Array.of(...init.a, ...init.b);
  const target = [0.3, 0.1, -1, 2, -0.5];
  const before = tf.memory().numTensors;
  for (let step = 0; step < 5; step++) {
    // Parameter b is not reached at step 2: both skip it.
    const reachB = step !== 2;
    const loss = () => {
      const la = tf.sum(tf.square(tf.sub(pa.get("a")!, target.slice(0, 3))));
      return (reachB
        ? tf.add(la, tf.sum(tf.square(tf.sub(pa.get("b")!, target.slice(3)))))
        : la) as tf.Scalar;
    };
    ref.minimize(loss, 0.05);
    const grads = params.map((p, i) => 2 * (p - target[i]));
    flat.applyFlat(layout, grads, Uint8Array.of(1, reachB ? 1 : 0), params, 0.05);
  }
  assertEquals(tf.memory().numTensors, before);
  const want = [...pa.get("a")!.dataSync(), ...pa.get("b")!.dataSync()];
  want.forEach((w, i) => assertAlmostEquals(params[i], w, 1e-5));
  assertEquals(flat.step, 5);
  // The flat moments are written into the variables when state() is read.
  const sr = ref.state(), sf = flat.state();
  for (const [k, v] of sr) {
    const got = sf.get(k)!.dataSync();
    v.dataSync().forEach((x, i) => assertAlmostEquals(got[i], x, 1e-5, k));
  }
  // Moments assigned through state() (a checkpoint load) are read again by the next applyFlat.
  sf.get("m/a")!.assign(tf.zeros([3]));
  sf.get("v/a")!.assign(tf.zeros([3]));
  const p0 = params[0];
  flat.step = 0;
  flat.applyFlat(layout, Float32Array.of(1, 0, 0, 0, 0), Uint8Array.of(1, 0), params, 0.1);
  assertAlmostEquals(params[0], p0 - 0.1, 1e-6); // a first step again: -lr sign(g)
  tf.dispose([...pa.values(), ...pb.values()]);
  ref.dispose();
  flat.dispose();
});
