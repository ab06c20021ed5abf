import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertLess,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import type { TriplaneFieldConfig } from "../config/config.ts";
import { TRIPLANE } from "../config/presets.ts";
import { validateConfig } from "../config/validate.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { createField } from "./create.ts";
import { GRID_INIT_SCALE, TriplaneField } from "./triplane_field.ts";
import { triplaneLookup } from "./grid_lookup.ts";

await initBackend({ log: null });

const CONFIG: TriplaneFieldConfig = {
  kind: "triplane",
  levels: 3,
  baseResolution: 4,
  maxResolution: 16,
  featuresPerLevel: 2,
  log2HashSize: 7, // levels 4, 8 dense (25, 81 rows); 16 hashed (289 vertices -> 128 rows)
  hiddenWidth: 16,
  hiddenLayers: 2,
  colorWidth: 8,
  gridLrScale: 10,
  dirFreqs: 1,
  viewDirs: true,
  separateFine: false,
};

function points(n: number, seed: number, lo = -1, hi = 1): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Float32Array.from({ length: 3 * n }, () => lo + (hi - lo) * rng.next()), [n, 3]);
}

Deno.test("outputs have the shared shapes and ranges; parsing head only with classes", () => {
  const field = new TriplaneField("t", CONFIG, { posDim: 0, dirDim: 9, audDim: 4, numClasses: 5 }, 3);
  const xyz = points(64, 1, -1.3, 1.3);
  const dir = tf.randomUniform([64, 9], -1, 1, "float32", 2) as tf.Tensor2D;
  const aud = tf.randomNormal([1, 4], 0, 1, "float32", 3) as tf.Tensor2D;
  const out = field.apply({ xyz, dir, aud });
  assertEquals(out.sigma.shape, [64]);
  assertEquals(out.rgb.shape, [64, 3]);
  assertEquals(out.semanticLogits?.shape, [64, 5]);
  assert(tf.min(out.sigma).dataSync()[0] >= 0, "sigma >= 0");
  const rgb = out.rgb.dataSync();
  assert(rgb.every((c) => c > 0 && c < 1), "rgb in (0, 1)");
  const plain = new TriplaneField("u", CONFIG, { posDim: 0, dirDim: 0, audDim: 0, numClasses: 0 }, 3);
  const out2 = plain.apply({ xyz });
  assertEquals(out2.semanticLogits, undefined);
  assertEquals(
    [...plain.params.keys()].some((k) => k.includes("semantic") || k.includes(".aud") || k.includes("dir")),
    false,
  );
  tf.dispose([xyz, dir, aud, ...Object.values(out), ...Object.values(out2)]);
  field.dispose();
  plain.dispose();
});

Deno.test("grid tables: names, shapes, small uniform init, gridParams lists exactly them", () => {
  const field = new TriplaneField("coarse", CONFIG, { posDim: 0, dirDim: 0, audDim: 4, numClasses: 2 }, 7);
  const keys = field.gridParams();
  assertEquals(keys.length, 9);
  assertEquals(keys.slice(0, 4), [
    "coarse.plane0.level0",
    "coarse.plane0.level1",
    "coarse.plane0.level2",
    "coarse.plane1.level0",
  ]);
  assertEquals(field.levels.map((l) => [l.resolution, l.tableSize, l.hashed]), [[4, 25, false], [
    8,
    81,
    false,
  ], [16, 128, true]]);
  for (const [i, key] of keys.entries()) {
    const v = field.params.get(key)!;
    assertEquals(v.shape, [field.levels[i % 3].tableSize, 2]);
    const vals = v.dataSync();
    assert(vals.every((x) => Math.abs(x) <= GRID_INIT_SCALE), key);
    assert(vals.some((x) => x !== 0), `${key} is not all zero`);
  }
  // Everything else is a head weight.
  const heads = [...field.params.keys()].filter((k) => !keys.includes(k));
  assertEquals(heads.every((k) => !k.includes("plane")), true);
  assert(
    heads.includes("coarse.density.l0.grid.w") && heads.includes("coarse.density.l0.aud.w") &&
      heads.includes("coarse.sigma.w"),
  );
  assertEquals(field.featureDim, 3 * 3 * 2);
  field.dispose();
});

Deno.test("a [1, A] audio code equals the same code repeated per point, and it changes the outputs", () => {
  const field = new TriplaneField("a", CONFIG, { posDim: 0, dirDim: 0, audDim: 3, numClasses: 0 }, 5);
  // Non-trivial grid values so the features matter.
  for (const v of field.tables) v.assign(tf.randomUniform(v.shape, -1, 1, "float32", 9));
  const xyz = points(20, 4);
  const code = tf.tensor2d([[0.5, -1, 2]]);
  const a = field.apply({ xyz, aud: code });
  const b = field.apply({ xyz, aud: tf.tile(code, [20, 1]) as tf.Tensor2D });
  const c = field.apply({ xyz, aud: tf.tensor2d([[-2, 1, 0]]) });
  const av = a.sigma.dataSync(), bv = b.sigma.dataSync(), cv = c.sigma.dataSync();
  av.forEach((x, i) => assertAlmostEquals(x, bv[i], 1e-5));
  assert(av.some((x, i) => Math.abs(x - cv[i]) > 1e-4), "the audio code must condition the density");
  tf.dispose([xyz, code, ...Object.values(a), ...Object.values(b), ...Object.values(c)]);
  field.dispose();
});

Deno.test("gradients reach every parameter (tables, heads, audio) and the positions", () => {
  const field = new TriplaneField("g", CONFIG, { posDim: 0, dirDim: 9, audDim: 4, numClasses: 3 }, 11);
  for (const v of field.tables) v.assign(tf.randomUniform(v.shape, -1, 1, "float32", 2));
  const xyz = points(200, 8);
  const dir = tf.randomUniform([200, 9], -1, 1, "float32", 2) as tf.Tensor2D;
  const aud = tf.randomNormal([1, 4], 0, 1, "float32", 4) as tf.Tensor2D;
  const vars = [...field.params.values()];
  const { value, grads } = tf.variableGrads(() => {
    const o = field.apply({ xyz, dir, aud });
    return tf.add(tf.add(tf.sum(o.sigma), tf.sum(tf.square(o.rgb))), tf.sum(tf.square(o.semanticLogits!)));
  }, vars);
  for (const [key, v] of field.params) {
    const g = grads[v.name];
    assert(g !== undefined, `${key}: no gradient`);
    assert(tf.any(tf.notEqual(g, 0)).dataSync()[0], `${key}: zero gradient`);
  }
  const gx = tf.grad((x: tf.Tensor) => tf.sum(field.apply({ xyz: x as tf.Tensor2D, dir, aud }).sigma))(xyz);
  assert(tf.any(tf.notEqual(gx, 0)).dataSync()[0], "position gradient");
  tf.dispose([xyz, dir, aud, value, gx, ...Object.values(grads)]);
  field.dispose();
});

Deno.test("hiddenLayers 0: the grid features are the geometry feature and the audio enters sigma", () => {
  const config = { ...CONFIG, hiddenLayers: 0, viewDirs: false };
  const field = new TriplaneField("z", config, { posDim: 0, dirDim: 0, audDim: 2, numClasses: 2 }, 1);
  assert(field.params.has("z.sigma.grid.w") && field.params.has("z.sigma.aud.w"));
  assertEquals(field.params.get("z.color.geo.w")!.shape, [18, 8]);
  const xyz = points(10, 2);
  const out = field.apply({ xyz, aud: tf.ones([1, 2]) as tf.Tensor2D });
  assertEquals(out.sigma.shape, [10]);
  assertEquals(out.semanticLogits?.shape, [10, 2]);
  tf.dispose([xyz, ...Object.values(out)]);
  field.dispose();
});

Deno.test("same seed, same field; missing or misshapen inputs are named in the error", () => {
  const dims = { posDim: 0, dirDim: 9, audDim: 4, numClasses: 0 };
  const f1 = new TriplaneField("s", CONFIG, dims, 42), f2 = new TriplaneField("s", CONFIG, dims, 42);
  for (const [k, v] of f1.params) assertEquals(v.dataSync(), f2.params.get(k)!.dataSync(), k);
  const xyz = points(4, 1);
  const dir = tf.zeros([4, 9]) as tf.Tensor2D;
  assertThrows(() => f1.apply({ xyz, dir }), Error, "audio code must be [1 or 4, 4]");
  assertThrows(() => f1.apply({ xyz, dir, aud: tf.zeros([3, 4]) as tf.Tensor2D }), Error, "got [3,4]");
  assertThrows(() => f1.apply({ xyz, aud: tf.zeros([1, 4]) as tf.Tensor2D }), Error, "encoded directions");
  assertThrows(() => f1.apply({ xyz: tf.zeros([4, 2]) as tf.Tensor2D, dir }), Error, "xyz must be [n, 3]");
  tf.dispose([xyz, dir]);
  f1.dispose();
  f2.dispose();
});

Deno.test("createField builds a TriplaneField; the TRIPLANE preset is valid", () => {
  validateConfig(TRIPLANE, "TRIPLANE");
  assertEquals(TRIPLANE.field.kind, "triplane");
  const field = createField("c", CONFIG, { posDim: 0, dirDim: 0, audDim: 0, numClasses: 0 }, 1);
  assertInstanceOf(field, TriplaneField);
  field.dispose();
});

Deno.test("apply and its gradient leak no tensors", async () => {
  const field = new TriplaneField("l", CONFIG, { posDim: 0, dirDim: 9, audDim: 4, numClasses: 3 }, 2);
  const xyz = points(16, 3);
  const dir = tf.zeros([16, 9]) as tf.Tensor2D;
  const aud = tf.ones([1, 4]) as tf.Tensor2D;
  await assertNoLeak(() => field.apply({ xyz, dir, aud }), "apply");
  const vars = [...field.params.values()];
  await assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => tf.sum(field.apply({ xyz, dir, aud }).rgb), vars);
    return [value, ...Object.values(grads)];
  }, "variableGrads");
  tf.dispose([xyz, dir, aud]);
  field.dispose();
});

Deno.test("fits a 3-D density and colour target in a few dozen Adam steps", () => {
  // Target: a soft ball of density 8 and radius 0.55 whose colour varies along x and y, zero outside.
  const target = (p: Float32Array, n: number) => {
    const sigma = new Float32Array(n), rgb = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      const x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
      sigma[i] = 8 / (1 + Math.exp(-20 * (0.55 - Math.hypot(x, y, z))));
      rgb.set([0.5 + 0.4 * x, 0.5 + 0.4 * y, 0.5 - 0.3 * x * y], 3 * i);
    }
    return { sigma: tf.tensor1d(sigma), rgb: tf.tensor2d(rgb, [n, 3]) };
  };
  const config: TriplaneFieldConfig = {
    ...CONFIG,
    levels: 4,
    baseResolution: 4,
    maxResolution: 32,
    log2HashSize: 10,
    hiddenWidth: 32,
    colorWidth: 32,
    viewDirs: false,
  };
  const field = new TriplaneField("fit", config, { posDim: 0, dirDim: 0, audDim: 0, numClasses: 0 }, 1);
  const gridKeys = new Set(field.gridParams());
  const gridVars = [...field.params].filter(([k]) => gridKeys.has(k)).map(([, v]) => v);
  const headVars = [...field.params].filter(([k]) => !gridKeys.has(k)).map(([, v]) => v);
  const lr = 5e-3;
  const gridOpt = tf.train.adam(lr * config.gridLrScale), headOpt = tf.train.adam(lr);
  const loss = (xyz: tf.Tensor2D, t: { sigma: tf.Tensor1D; rgb: tf.Tensor2D }) => {
    const o = field.apply({ xyz });
    return tf.add(
      tf.div(tf.losses.meanSquaredError(t.sigma, o.sigma), 16),
      tf.losses.meanSquaredError(t.rgb, o.rgb),
    ) as tf.Scalar;
  };
  const n = 2048;
  const evalXyz = points(n, 999);
  const evalT = target(evalXyz.dataSync() as Float32Array, n);
  const evalLoss = () => tf.tidy(() => loss(evalXyz, evalT).dataSync()[0]);
  const before = evalLoss();
  const rng = createRng(5);
  for (let step = 0; step < 40; step++) {
    const pts = Float32Array.from({ length: 3 * n }, () => 2 * rng.next() - 1);
    tf.tidy(() => {
      const xyz = tf.tensor2d(pts, [n, 3]);
      const t = target(pts, n);
      const { value, grads } = tf.variableGrads(() => loss(xyz, t), [...gridVars, ...headVars]);
      gridOpt.applyGradients(gridVars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      headOpt.applyGradients(headVars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      value.dispose();
    });
  }
  const after = evalLoss();
  assertLess(after, before / 10, `held-out loss ${before} -> ${after}`);
  tf.dispose([evalXyz, evalT.sigma, evalT.rgb]);
  gridOpt.dispose();
  headOpt.dispose();
  field.dispose();
});

Deno.test("codeAttention: the first layer reads sigmoid(features W + b) * code (ER-NeRF), off leaves the field as it was", () => {
  const dims = { posDim: 0, dirDim: 0, audDim: 3, numClasses: 0 };
  const plain = new TriplaneField("r", CONFIG, dims, 5);
  const att = new TriplaneField("r", { ...CONFIG, codeAttention: true }, dims, 5);
  // Every other parameter starts as without attention; the attention layer is the only new one.
  assertEquals([...att.params.keys()].filter((k) => !plain.params.has(k)), [
    "r.density.l0.attention.w",
    "r.density.l0.attention.b",
  ]);
  for (const [k, v] of plain.params) assertEquals(att.params.get(k)!.dataSync(), v.dataSync(), k);
  for (const f of [plain, att]) {
    f.tables.forEach((v, i) => tf.tidy(() => v.assign(tf.randomUniform(v.shape, -1, 1, "float32", 9 + i))));
  }
  const xyz = points(7, 4);
  const code = tf.tensor2d([[0.5, -1, 2]]);
  // The same density computed by hand from the field's own layers: h = relu(F Wf + bf + (s(F Wa + ba) * a) Wc).
  const p = (k: string) => att.params.get(`r.${k}`)!;
  const expected = tf.tidy(() => {
    const features = triplaneLookup(xyz, att.tables, att.levels);
    const gate = tf.sigmoid(
      tf.add(tf.matMul(features, p("density.l0.attention.w")), p("density.l0.attention.b")),
    );
    let h = tf.relu(
      tf.add(
        tf.add(tf.matMul(features, p("density.l0.grid.w")), p("density.l0.grid.b")),
        tf.matMul(tf.mul(gate, code), p("density.l0.aud.w")),
      ),
    );
    h = tf.relu(tf.add(tf.matMul(h, p("density.l1.w")), p("density.l1.b")));
    return tf.softplus(tf.sub(tf.reshape(tf.add(tf.matMul(h, p("sigma.w")), p("sigma.b")), [-1]), 1));
  });
  const a = att.apply({ xyz, aud: code }), b = plain.apply({ xyz, aud: code });
  const ev = expected.dataSync(), av = a.sigma.dataSync(), bv = b.sigma.dataSync();
  av.forEach((x, i) => assertAlmostEquals(x, ev[i], 1e-5));
  assert(av.some((x, i) => Math.abs(x - bv[i]) > 1e-4), "the gate changes the density");
  // Its gradient reaches the attention layer.
  const { grads } = tf.variableGrads(() => tf.sum(att.apply({ xyz, aud: code }).sigma), [
    p("density.l0.attention.w"),
  ]);
  assert(tf.any(tf.notEqual(Object.values(grads)[0], 0)).dataSync()[0], "attention gradient");
  tf.dispose([xyz, code, expected, ...Object.values(a), ...Object.values(b), ...Object.values(grads)]);
  plain.dispose();
  att.dispose();
});

Deno.test("poseColor: the colour head's hidden layer adds pose W (zero at first); density ignores the pose; errors named", () => {
  const dims = { posDim: 0, dirDim: 0, audDim: 3, numClasses: 0 };
  const plain = new TriplaneField("q", CONFIG, dims, 6);
  const posed = new TriplaneField("q", { ...CONFIG, poseColor: true }, { ...dims, poseDim: 4 }, 6);
  assertEquals([...posed.params.keys()].filter((k) => !plain.params.has(k)), ["q.color.pose.w"]);
  for (const [k, v] of plain.params) assertEquals(posed.params.get(k)!.dataSync(), v.dataSync(), k);
  const xyz = points(9, 7);
  const code = tf.tensor2d([[0.5, -1, 2]]);
  const pose = tf.tensor2d([[0.1, -0.2, 0.3, 0.05]]), pose2 = tf.tensor2d([[-0.3, 0.2, 0, 0.1]]);
  // At first the same field whatever the pose.
  const a = plain.apply({ xyz, aud: code }), b = posed.apply({ xyz, aud: code, pose });
  assertEquals(b.rgb.dataSync(), a.rgb.dataSync());
  assertEquals(b.sigma.dataSync(), a.sigma.dataSync());
  // With a weight: rgb = sigmoid(relu(geo Wg + bg + pose Wp) Wr + br), by hand from the field's own layers.
  const w = posed.params.get("q.color.pose.w")!;
  w.assign(tf.randomNormal(w.shape, 0, 1, "float32", 3));
  const p = (k: string) => posed.params.get(`q.${k}`)!;
  const expected = tf.tidy(() => {
    const features = triplaneLookup(xyz, posed.tables, posed.levels);
    let h = tf.relu(tf.add(
      tf.add(tf.matMul(features, p("density.l0.grid.w")), p("density.l0.grid.b")),
      tf.matMul(code, p("density.l0.aud.w")),
    ));
    h = tf.relu(tf.add(tf.matMul(h, p("density.l1.w")), p("density.l1.b")));
    const c = tf.relu(tf.add(tf.add(tf.matMul(h, p("color.geo.w")), p("color.geo.b")), tf.matMul(pose, w)));
    return tf.sigmoid(tf.add(tf.matMul(c, p("rgb.w")), p("rgb.b")));
  });
  const c1 = posed.apply({ xyz, aud: code, pose }), c2 = posed.apply({ xyz, aud: code, pose: pose2 });
  const ev = expected.dataSync();
  c1.rgb.dataSync().forEach((x, i) => assertAlmostEquals(x, ev[i], 1e-5));
  assert(
    c1.rgb.dataSync().some((x, i) => Math.abs(x - c2.rgb.dataSync()[i]) > 1e-3),
    "the pose changes the colour",
  );
  assertEquals(c2.sigma.dataSync(), c1.sigma.dataSync());
  // Its gradient reaches the pose weights.
  const { grads } = tf.variableGrads(() => tf.sum(posed.apply({ xyz, aud: code, pose }).rgb), [w]);
  assert(tf.any(tf.notEqual(grads[w.name], 0)).dataSync()[0], "pose colour gradient");
  assertThrows(
    () => posed.apply({ xyz, aud: code }),
    Error,
    "pose code must be [1, 4] (field.poseColor): got none",
  );
  assertThrows(
    () => validateConfig({ ...TRIPLANE, field: { ...TRIPLANE.field, poseColor: "yes" } as never }, "t"),
    Error,
    "field.poseColor must be true or false",
  );
  tf.dispose([
    xyz,
    code,
    pose,
    pose2,
    expected,
    ...Object.values(a),
    ...Object.values(b),
    ...Object.values(c1),
  ]);
  tf.dispose([...Object.values(c2), ...Object.values(grads)]);
  plain.dispose();
  posed.dispose();
});
