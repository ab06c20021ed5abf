import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { encodedDim, positionalEncoding } from "../encoding/positional_encoding.ts";
import { ConditionedMlp } from "./conditioned_mlp.ts";
import { DEFORM3D_DEFAULTS, torsoConfigProblems } from "./config.ts";
import { Deform3dTorso, DeformationField3d } from "./deformation_field.ts";
import { cameraPlacement, poseProducts } from "./pose_features.ts";
import { eulerToMatrix64 } from "../camera/euler.ts";
import { poseToC2w } from "../camera/pose.ts";
import { poseCode, poseCodeFromC2w, poseCodeNormalization } from "./pose_code.ts";
import { rigidOffsets } from "./rigid_motion.ts";

await initBackend({ log: null });

/** Largest |gradient| per parameter key of `loss` (0 where no gradient arrives). */
function gradMaxAbs(params: ReadonlyMap<string, tf.Variable>, loss: () => tf.Scalar): Map<string, number> {
  const out = new Map<string, number>();
  tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, [...params.values()]);
    for (const [key, v] of params) {
      out.set(key, grads[v.name] ? tf.max(tf.abs(grads[v.name])).dataSync()[0] : 0);
    }
  });
  return out;
}

/** One plain gradient-descent step w <- w - lr dL/dw on every parameter. */
function sgdStep(params: ReadonlyMap<string, tf.Variable>, loss: () => tf.Scalar, lr: number): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(loss, [...params.values()]);
    for (const v of params.values()) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name], lr)));
    return value.dataSync()[0];
  });
}

const N = 64;
const xyz = tf.tidy(() => tf.randomUniform([N, 3], -1, 1, "float32", 7)) as tf.Tensor2D;
const pose = tf.tensor2d(poseCode([0.1, -0.05, 0.02], [0.02, -0.01, 0.03]), [1, 6]);

/** The gradients of sum(dx) at the shared points and pose w.r.t. every parameter leave no tensor behind. */
function assertGradsNoLeak(field: DeformationField3d, label: string): Promise<void> {
  return assertNoLeak(
    () => tf.variableGrads(() => tf.sum(field.apply(xyz, pose)) as tf.Scalar, [...field.params.values()]),
    label,
  );
}
// Toy target: the points shifted by a smooth field.
const target = tf.tidy(() => tf.add(xyz, tf.mul(0.1, tf.sin(tf.reverse(xyz, 1))))) as tf.Tensor2D;

Deno.test("runs on the wasm backend", () => assertEquals(tf.getBackend(), "wasm"));

Deno.test("identity at initialisation: dx is exactly 0 for any point and pose", () => {
  const field = new DeformationField3d("def.t1", 6, { width: 16, depth: 2, seed: 1 });
  const other = tf.tensor2d([[1, -2, 0.5, 3, 0, -1]]);
  for (const p of [pose, other]) {
    const dx = field.apply(xyz, p);
    assertEquals(dx.shape, [N, 3]);
    assert(dx.dataSync().every((v) => v === 0));
    dx.dispose();
  }
  other.dispose();
  field.dispose();
});

Deno.test("first step: only the zero-initialised last layer gets gradient; after one SGD step, every layer", () => {
  const field = new DeformationField3d("def.t2", 6, { width: 16, depth: 3, seed: 2 });
  const loss = () => tf.mean(tf.square(tf.sub(tf.add(xyz, field.apply(xyz, pose)), target))) as tf.Scalar;
  // With W_out = 0, dL/dh = dL/dy W_out^T = 0, so nothing reaches the layers before it.
  const g0 = gradMaxAbs(field.params, loss);
  for (const [key, g] of g0) {
    if (key.startsWith("def.t2.out.")) assertGreater(g, 0, `${key} should get gradient`);
    else assertEquals(g, 0, `${key} should get no gradient while the last layer is zero`);
  }
  const before = sgdStep(field.params, loss, 0.1);
  const g1 = gradMaxAbs(field.params, loss);
  assertEquals(g1.size, 9); // l0f.w, l0f.b, l0c.w, l1.w/b, l2.w/b, out.w/b
  for (const [key, g] of g1) assertGreater(g, 0, `${key} gets no gradient after the first step`);
  // A few more plain steps reduce the loss (measured: 2.74e-3 -> 1.7e-3 after 15 steps at lr 0.1).
  let last = before;
  for (let i = 0; i < 15; i++) last = sgdStep(field.params, loss, 0.1);
  assertLess(last, 0.75 * before);
  field.dispose();
});

Deno.test("with a perturbed last layer: every weight gets gradient, the pose matters, x gets the right gradient", () => {
  const field = new DeformationField3d("def.t3", 6, { width: 16, depth: 2, seed: 3 });
  const out = field.mlp.layers().at(-1)!;
  out.w.assign(tf.tidy(() => tf.randomNormal(out.w.shape, 0, 0.3, "float32", 5)));
  const loss = () => tf.mean(tf.square(tf.sub(tf.add(xyz, field.apply(xyz, pose)), target))) as tf.Scalar;
  for (const [key, g] of gradMaxAbs(field.params, loss)) assertGreater(g, 0, key);
  // Another pose moves the points differently; a shared [1, P] row equals P tiled per point.
  tf.tidy(() => {
    const a = field.apply(xyz, pose).dataSync();
    const b = field.apply(xyz, tf.tensor2d([[0.3, 0.2, -0.1, 0.1, 0.1, 0]])).dataSync();
    assert(a.some((v, i) => Math.abs(v - b[i]) > 1e-4));
    const tiled = field.apply(xyz, tf.tile(pose, [N, 1]) as tf.Tensor2D).dataSync();
    a.forEach((v, i) => assertAlmostEquals(tiled[i], v, 1e-6));
  });
  // d(sum dx)/dx against central differences at one point.
  const x0 = tf.tensor2d([[0.3, -0.2, 0.5]]);
  const g = tf.grad((x: tf.Tensor) => tf.sum(field.apply(x as tf.Tensor2D, pose)))(x0).dataSync();
  const h = 1e-2;
  for (let j = 0; j < 3; j++) {
    const fd = tf.tidy(() => {
      const e = tf.oneHot([j], 3).toFloat().mul(h);
      const up = tf.sum(field.apply(tf.add(x0, e) as tf.Tensor2D, pose)).dataSync()[0];
      const down = tf.sum(field.apply(tf.sub(x0, e) as tf.Tensor2D, pose)).dataSync()[0];
      return (up - down) / (2 * h);
    });
    assertAlmostEquals(g[j], fd, 2e-2 + 0.05 * Math.abs(fd));
  }
  x0.dispose();
  field.dispose();
});

Deno.test("apply and its gradient leak no tensors; bad shapes are named", async () => {
  const field = new DeformationField3d("def.t4", 6, { width: 8, depth: 2 });
  await assertNoLeak(() => field.apply(xyz, pose), "DeformationField3d.apply");
  await assertGradsNoLeak(field, "DeformationField3d gradients");
  assertThrows(() => field.apply(tf.zeros([4, 2]) as tf.Tensor2D, pose), Error, "xyz");
  assertThrows(() => field.apply(xyz, tf.zeros([1, 5]) as tf.Tensor2D), Error, "pose");
  field.dispose();
});

Deno.test("DeformationField3d: applyEncoded with a JS encoding equals apply", async () => {
  const { initBackend } = await import("../backend/backend.ts");
  const { positionalEncodingJs } = await import("../encoding/mod.ts");
  const tf = await import("@tensorflow/tfjs");
  const { assertAlmostEquals } = await import("@std/assert");
  await initBackend({ log: null });
  const f = new DeformationField3d("e", 6, { width: 8, depth: 2, posFreqs: 3, seed: 2 });
  // Perturb the zero last layer so the outputs are not trivially equal.
  for (const v of f.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 9));
  const pts = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 0.9);
  const pose = tf.tensor2d([[0.1, 0.2, -0.1, 0, 0.05, 0.3]]);
  const a = f.apply(tf.tensor2d(pts, [10, 3]), pose).dataSync();
  const b = f.applyEncoded(tf.tensor2d(positionalEncodingJs(pts, 3, 3), [10, 21]), pose).dataSync();
  a.forEach((v, i) => assertAlmostEquals(b[i], v, 1e-5));
  f.dispose();
  pose.dispose();
});

// ---- motion "rigid" ----

Deno.test('motion "offset" (or absent) is the module as before: the ConditionedMlp of the same seed, same keys and values', () => {
  const before = new ConditionedMlp(
    "old",
    { inDim: encodedDim(3, 6), condDim: encodedDim(6, 4), outDim: 3 },
    {
      width: 16,
      depth: 2,
      zeroLast: true,
      seed: 11,
    },
  );
  const absent = new DeformationField3d("old", 6, { width: 16, depth: 2, seed: 11 });
  const offset = new DeformationField3d("old", 6, { width: 16, depth: 2, seed: 11, motion: "offset" });
  const keys = ["old.l0f.w", "old.l0f.b", "old.l0c.w", "old.l1.w", "old.l1.b", "old.out.w", "old.out.b"];
  for (const f of [absent, offset]) {
    assertEquals([...f.params.keys()], keys);
    for (const k of keys) {
      assertEquals(f.params.get(k)!.shape, before.params.get(k)!.shape, k);
      assertEquals(Array.from(f.params.get(k)!.dataSync()), Array.from(before.params.get(k)!.dataSync()), k);
    }
  }
  // And the same outputs once the zero layer is perturbed (same values in all three).
  for (const m of [before, absent, offset]) {
    const out = m instanceof ConditionedMlp ? m.layers().at(-1)! : m.mlp.layers().at(-1)!;
    out.w.assign(tf.tidy(() => tf.randomNormal(out.w.shape, 0, 0.3, "float32", 5)));
  }
  tf.tidy(() => {
    const want = before.apply(positionalEncoding(xyz, 6), positionalEncoding(pose, 4)).dataSync();
    assertEquals(Array.from(absent.apply(xyz, pose).dataSync()), Array.from(want));
    assertEquals(Array.from(offset.apply(xyz, pose).dataSync()), Array.from(want));
  });
  for (const m of [before, absent, offset]) m.dispose();
});

Deno.test('motion "rigid": identity at initialisation (dx exactly 0), the extra parameters, the bad motion named', () => {
  const field = new DeformationField3d("rig.t1", 6, { width: 16, depth: 2, seed: 1, motion: "rigid" });
  assertEquals([...field.params.keys()], [
    "rig.t1.l0f.w",
    "rig.t1.l0f.b",
    "rig.t1.l0c.w",
    "rig.t1.l1.w",
    "rig.t1.l1.b",
    "rig.t1.out.w",
    "rig.t1.out.b",
    "rig.t1.rigid.l0.w",
    "rig.t1.rigid.l0.b",
    "rig.t1.rigid.out.w",
    "rig.t1.rigid.out.b",
  ]);
  assertEquals(field.params.get("rig.t1.out.w")!.shape, [16, 4]); // gate logit + residual
  assertEquals(field.params.get("rig.t1.rigid.l0.w")!.shape, [encodedDim(6, 4), 16]);
  assertEquals(field.params.get("rig.t1.rigid.out.w")!.shape, [16, 6]); // omega, tau
  const other = tf.tensor2d([[1, -2, 0.5, 3, 0, -1]]);
  for (const p of [pose, other]) {
    const dx = field.apply(xyz, p);
    assertEquals(dx.shape, [N, 3]);
    assert(dx.dataSync().every((v) => v === 0));
    dx.dispose();
  }
  other.dispose();
  field.dispose();
  assertThrows(
    () => new DeformationField3d("rig.bad", 6, { motion: "spin" as never }),
    Error,
    'motion must be "offset" or "rigid"',
  );
});

/** Sets a Linear layer's bias to `b` (its weights to 0), so its output is `b` for every input. */
function setConstant(layer: { w: tf.Variable; b: tf.Variable | null }, b: number[]): void {
  layer.w.assign(tf.zerosLike(layer.w));
  layer.b!.assign(tf.tensor1d(b));
}

Deno.test('motion "rigid": dx = sigmoid(gate) ((R - I) x + tau) + residual, with hand-set outputs', () => {
  const field = new DeformationField3d("rig.t2", 6, { width: 8, depth: 2, seed: 2, motion: "rigid" });
  const rigidOut = field.params;
  // The pose MLP outputs omega = quarter turn about z, tau = (0, 0, 1) for every pose.
  rigidOut.get("rig.t2.rigid.out.w")!.assign(tf.zeros([8, 6]));
  rigidOut.get("rig.t2.rigid.out.b")!.assign(tf.tensor1d([0, 0, Math.PI / 2, 0, 0, 1]));
  const out = field.mlp.layers().at(-1)!;
  const x = tf.tensor2d([[1, 0, 0], [0, 2, 0]]);
  // Gate logit 30 (g = 1), residual 0: (1,0,0) -> (0,1,1), (0,2,0) -> (-2,0,1).
  setConstant(out, [30, 0, 0, 0]);
  tf.tidy(() => {
    const want = [-1, 1, 1, -2, -2, 1];
    field.apply(x, pose).dataSync().forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5));
  });
  // Gate logit 0 (g = 1/2) and a residual (0.1, -0.2, 0.3).
  setConstant(out, [0, 0.1, -0.2, 0.3]);
  tf.tidy(() => {
    const want = [-0.5 + 0.1, 0.5 - 0.2, 0.5 + 0.3, -1 + 0.1, -1 - 0.2, 0.5 + 0.3];
    field.apply(x, pose).dataSync().forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5));
  });
  // Gate logit -30: the point stays (what the head should learn).
  setConstant(out, [-30, 0, 0, 0]);
  tf.tidy(() => assert(field.apply(x, pose).dataSync().every((v) => Math.abs(v) < 1e-9)));
  x.dispose();
  field.dispose();
});

Deno.test('motion "rigid": the gradient reaches the pose MLP and the gate, finite at omega = 0', () => {
  const field = new DeformationField3d("rig.t3", 6, { width: 16, depth: 2, seed: 3, motion: "rigid" });
  const loss = () => tf.mean(tf.square(tf.sub(tf.add(xyz, field.apply(xyz, pose)), target))) as tf.Scalar;
  // At init: omega = tau = 0, so r = 0: the pose MLP's output layer and the residual columns get gradient,
  // the gate's column none yet (dL/dg = dL/ddx . r = 0), everything finite.
  const gateGrad = () =>
    tf.tidy(() => {
      const { grads } = tf.variableGrads(loss, [field.params.get("rig.t3.out.w")!]);
      const g = grads[field.params.get("rig.t3.out.w")!.name].arraySync() as number[][];
      return Math.max(...g.map((row) => Math.abs(row[0])));
    });
  const g0 = gradMaxAbs(field.params, loss);
  for (const v of g0.values()) assert(Number.isFinite(v));
  assertGreater(g0.get("rig.t3.rigid.out.w")!, 0);
  assertGreater(g0.get("rig.t3.rigid.out.b")!, 0);
  assertGreater(g0.get("rig.t3.out.b")!, 0);
  assertEquals(gateGrad(), 0);
  sgdStep(field.params, loss, 0.1);
  // After one step the motion is not 0: every parameter gets gradient, the gate's column too.
  for (const [key, g] of gradMaxAbs(field.params, loss)) assertGreater(g, 0, key);
  assertGreater(gateGrad(), 0);
  field.dispose();
});

Deno.test('motion "rigid": learns to undo a pose-dependent rigid motion in 40 Adam steps (better than "offset"), tensors flat', () => {
  // A rigid body (random points) seen in 4 frames, each rotated about a tilted axis by an angle that depends
  // on the pose code (0.6 p0 rad) and shifted by 0.2 p1: the module must map each frame's points back.
  const body = tf.tidy(() => tf.randomUniform([48, 3], -0.6, 0.6, "float32", 21)) as tf.Tensor2D;
  const axis = [0.3, 0.9, 0.3].map((v) => v / Math.hypot(0.3, 0.9, 0.3));
  const frames = [[0.5, 0.3], [-0.4, -0.2], [0.8, -0.5], [-0.7, 0.6]].map(([p0, p1]) =>
    tf.tidy(() => {
      const omega = tf.tensor2d([axis.map((v) => 0.6 * p0 * v)]);
      const seen = tf.add(body, rigidOffsets(body, omega, tf.tensor2d([[0.2 * p1, 0, 0]])));
      return { pose: tf.tensor2d([[p0, p1, 0, 0, 0, 0]]), seen: seen as tf.Tensor2D };
    })
  );
  const fit = (motion: "offset" | "rigid") => {
    const field = new DeformationField3d(`fit.${motion}`, 6, { width: 32, depth: 2, seed: 4, motion });
    const loss = () =>
      tf.div(
        tf.addN(
          frames.map((f) => tf.mean(tf.square(tf.sub(tf.add(f.seen, field.apply(f.seen, f.pose)), body)))),
        ),
        frames.length,
      ) as tf.Scalar;
    const opt = tf.train.adam(0.01);
    const vars = [...field.params.values()];
    const step = () => tf.tidy(() => opt.minimize(loss, true, vars)!.dataSync()[0]);
    const first = step();
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 40; i++) last = step();
    assertEquals(tf.memory().numTensors, tensors, `${motion}: flat across steps`);
    opt.dispose();
    field.dispose();
    return { first, last };
  };
  // Measured: rigid 1.35e-2 -> 2.3e-4 (x0.017), offset 1.35e-2 -> 9.2e-4 (x0.068).
  const rigid = fit("rigid"), offset = fit("offset");
  assertLess(rigid.last, 0.05 * rigid.first, `rigid: loss ${rigid.first} -> ${rigid.last}`);
  assertLess(rigid.last, 0.5 * offset.last, `rigid ${rigid.last} vs offset ${offset.last}`);
  for (const f of frames) tf.dispose([f.pose, f.seen]);
  body.dispose();
});

Deno.test('motion "rigid": Deform3dTorso moves JS and device points alike; the penalty sees the whole dx', async () => {
  const field = new DeformationField3d("rig.t5", 6, {
    width: 8,
    depth: 2,
    posFreqs: 3,
    seed: 5,
    motion: "rigid",
  });
  for (const v of field.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 13));
  const torso = new Deform3dTorso(field, { ...DEFORM3D_DEFAULTS, weighting: "none", motion: "rigid" });
  const pts = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i) * 0.9);
  tf.tidy(() => {
    const want = Array.from(field.apply(tf.tensor2d(pts, [10, 3]), pose).dataSync());
    assert(want.some((v) => Math.abs(v) > 1e-3));
    const js = torso.deformPoints(pts, 10, pose);
    const dev = torso.deformPoints(tf.tensor2d(pts, [10, 3]), 10, pose);
    for (const d of [js, dev]) {
      d.offsets.dataSync().forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5));
      assertEquals(d.applied, d.offsets);
    }
    assertAlmostEquals(
      torso.penalty([js])!.dataSync()[0],
      want.reduce((s, v) => s + v * v, 0) / 10,
      1e-5,
    );
  });
  // deformPoints is called inside the renderer's tidy (its encoded points are intermediates).
  await assertNoLeak(() => tf.tidy(() => torso.deformPoints(pts, 10, pose).offsets), "rigid deformPoints");
  await assertNoLeak(
    () => tf.variableGrads(() => tf.sum(field.apply(xyz, pose)) as tf.Scalar, [...field.params.values()]),
    "rigid gradients",
  );
  assertThrows(
    () => tf.tidy(() => field.applyEncoded(positionalEncoding(xyz, 3), pose)),
    Error,
    "needs the points themselves",
  );
  field.dispose();
});

Deno.test('penalize "residual": the penalty sees only the free residual e, the points still move by the whole dx; gatePenalty adds k mean g (1 - g); validation', () => {
  const field = new DeformationField3d("rig.pr", 6, {
    width: 8,
    depth: 2,
    posFreqs: 3,
    seed: 5,
    motion: "rigid",
  });
  for (const v of field.params.values()) v.assign(tf.randomNormal(v.shape, 0, 0.3, "float32", 13));
  const cfg = { ...DEFORM3D_DEFAULTS, posFreqs: 3, weighting: "none" as const, motion: "rigid" as const };
  const whole = new Deform3dTorso(field, cfg);
  const residualOnly = new Deform3dTorso(field, { ...cfg, penalize: "residual" });
  const pts = Float32Array.from({ length: 30 }, (_, i) => Math.cos(i) * 0.8);
  tf.tidy(() => {
    // e by hand: the per-point MLP's last three outputs (its first is the gate's logit).
    const y = field.mlp.apply(positionalEncoding(tf.tensor2d(pts, [10, 3]), 3), positionalEncoding(pose, 4));
    const e = Array.from(tf.slice(y, [0, 1], [10, 3]).dataSync());
    const dx = Array.from(field.apply(tf.tensor2d(pts, [10, 3]), pose).dataSync());
    assert(dx.some((v, i) => Math.abs(v - e[i]) > 1e-3), "the rigid part must not vanish in this check");
    const a = whole.deformPoints(pts, 10, pose), b = residualOnly.deformPoints(pts, 10, pose);
    b.offsets.dataSync().forEach((v, i) => assertAlmostEquals(v, e[i], 1e-5));
    b.applied.dataSync().forEach((v, i) => assertAlmostEquals(v, dx[i], 1e-5));
    a.offsets.dataSync().forEach((v, i) => assertAlmostEquals(v, dx[i], 1e-5));
    const sq = (xs: number[]) => xs.reduce((s, v) => s + v * v, 0) / 10;
    assertAlmostEquals(residualOnly.penalty([b])!.dataSync()[0], sq(e), 1e-5);
    assertAlmostEquals(whole.penalty([a])!.dataSync()[0], sq(dx), 1e-5);
  });
  // gatePenalty k: + k mean(g (1 - g)), g = sigmoid of the MLP's first output; no gates handed out without it.
  const gated = new Deform3dTorso(field, { ...cfg, gatePenalty: 2 });
  tf.tidy(() => {
    const y = field.mlp.apply(positionalEncoding(tf.tensor2d(pts, [10, 3]), 3), positionalEncoding(pose, 4));
    const g = Array.from(tf.sigmoid(tf.slice(y, [0, 0], [10, 1])).dataSync());
    const dx = Array.from(field.apply(tf.tensor2d(pts, [10, 3]), pose).dataSync());
    const d = gated.deformPoints(pts, 10, pose);
    d.gates!.dataSync().forEach((v, i) => assertAlmostEquals(v, g[i], 1e-6));
    assertEquals(whole.deformPoints(pts, 10, pose).gates, undefined);
    const want = dx.reduce((s, v) => s + v * v, 0) / 10 + 2 * g.reduce((s, v) => s + v * (1 - v), 0) / 10;
    assertAlmostEquals(gated.penalty([d, d])!.dataSync()[0], want, 1e-5);
  });
  field.dispose();
  assertEquals(torsoConfigProblems({ ...cfg, gatePenalty: -1 }), [
    "torso.gatePenalty must be a finite number >= 0: got -1",
  ]);
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, gatePenalty: 1 }), [
    'torso.gatePenalty needs motion "rigid" (only it has gates): got motion undefined',
  ]);
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, penalize: "residual" }), [
    'torso.penalize "residual" needs motion "rigid": got motion undefined',
  ]);
  assertEquals(torsoConfigProblems({ ...cfg, penalize: "all" as never }), [
    'torso.penalize must be "offset" or "residual" (absent: "offset"): got "all"',
  ]);
});

Deno.test("cameraPlacement: the rotation of lib/camera/euler.ts, and the translation scaled", () => {
  const eulers: [number, number, number][] = [[0.3, -0.2, 0.1], [-0.15, 0.4, -0.35], [0, 0, 0]];
  const codes = tf.tensor2d(eulers.map((e, i) => [...e, 0.1 * i, -0.2, 0.05]));
  tf.tidy(() => {
    const [rot, trans] = cameraPlacement(codes, 3);
    const r = rot.dataSync(), t = trans.dataSync();
    eulers.forEach((e, i) => {
      eulerToMatrix64(e).forEach((v, j) => assertAlmostEquals(r[9 * i + j], v, 1e-6));
      [0.3 * i, -0.6, 0.15].forEach((v, j) => assertAlmostEquals(t[3 * i + j], v, 1e-6));
    });
  });
  codes.dispose();
  assertThrows(() => cameraPlacement(tf.zeros([1, 4]) as tf.Tensor2D, 1), Error, "Euler pose codes [k, 6]");
});

Deno.test('motionFrame "camera": with the gate at 1 and no learned motion, a point fixed in the camera frame lands on one canonical point for every head pose', () => {
  // Training cameras of three head poses; the pose code's normalisation and the box radius as a scene has them.
  const poses: [[number, number, number], [number, number, number]][] = [
    [[0.1, -0.25, 0.05], [0.1, 0.6, -12]],
    [[-0.12, 0.2, -0.1], [-0.2, 0.5, -11.7]],
    [[0.05, 0.05, 0.15], [0.05, 0.7, -12.3]],
  ];
  const c2ws = poses.map(([e, t]) => poseToC2w(e, t));
  const norm = poseCodeNormalization(c2ws);
  const radius = 0.25 * norm.transScale; // points.boundsMargin x the mean camera distance
  const field = new DeformationField3d("cam", 6, {
    width: 8,
    depth: 2,
    seed: 3,
    motion: "rigid",
    poseMap: "linear",
    motionFrame: "camera",
    transToBox: norm.transScale / radius,
  });
  field.params.get("cam.out.b")!.assign(tf.tensor1d([30, 0, 0, 0, 0, 0].slice(0, 4))); // gate 1, e = 0
  const cameraPoint = [0.4, -2.1, -11.6]; // a point of the torso, in the camera frame
  const canonical = poses.map(([e, t], f) =>
    tf.tidy(() => {
      // Where the head's canonical frame has it in frame f: x = R^T (X - t), in box units.
      const r = eulerToMatrix64(e);
      const d = cameraPoint.map((v, i) => v - t[i]);
      const x = [0, 1, 2].map((i) => (r[i] * d[0] + r[3 + i] * d[1] + r[6 + i] * d[2]) / radius);
      const code = tf.tensor2d(poseCodeFromC2w(c2ws[f], norm), [1, 6]);
      const xt = tf.tensor2d([x], [1, 3]);
      return Array.from(tf.add(xt, field.apply(xt, code)).dataSync());
    })
  );
  // (X - o) / radius, o the mean head translation: the camera frame with the head at rest.
  const want = cameraPoint.map((v, i) => (v - norm.transOrigin[i]) / radius);
  for (const c of canonical) c.forEach((v, i) => assertAlmostEquals(v, want[i], 1e-5));
  field.dispose();
  assertThrows(
    () => new DeformationField3d("cam.bad", 6, { motion: "rigid", motionFrame: "camera" }),
    Error,
    "needs transToBox > 0",
  );
  assertThrows(
    () => new DeformationField3d("cam.bad", 8, { motion: "rigid", motionFrame: "camera", transToBox: 1 }),
    Error,
    "Euler pose code (6 numbers)",
  );
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, motionFrame: "camera" }), [
    'torso.motionFrame "camera" needs motion "rigid": got motion undefined',
  ]);
});

Deno.test('gate "point": the gate is an MLP of the point alone (same gate for every pose), starts at 1/2, gets a gradient; no leak', async () => {
  const field = new DeformationField3d("gp", 6, {
    width: 8,
    depth: 2,
    seed: 4,
    motion: "rigid",
    poseMap: "linear",
    gate: "point",
  });
  const keys = [...field.params.keys()];
  assert(keys.includes("gp.gate.l0.w") && keys.includes("gp.gate.l2.b"), keys.join(", "));
  // The per-point MLP now gives the residual only.
  assertEquals(field.params.get("gp.out.w")!.shape[1], 3);
  tf.tidy(() => assert(field.apply(xyz, pose).dataSync().every((v) => v === 0)));
  // A pure translation tau = (0.2, 0, 0) for every pose: dx = g tau with g from the point alone.
  field.params.get("gp.rigid.lin.b")!.assign(tf.tensor1d([0, 0, 0, 0.2, 0, 0]));
  const pose2 = tf.tensor2d(poseCode([-0.2, 0.3, 0.1], [0.05, 0.02, -0.04]), [1, 6]);
  tf.tidy(() => {
    const a = field.apply(xyz, pose).dataSync(), b = field.apply(xyz, pose2).dataSync();
    for (let i = 0; i < a.length; i += 3) assertAlmostEquals(a[i], 0.1, 1e-6); // g = 1/2 at init
    // With a non-zero gate head, the gate differs between points but not between poses.
    const last = field.params.get("gp.gate.l2.w")!;
    last.assign(tf.randomNormal(last.shape, 0, 1, "float32", 9));
    const c = field.apply(xyz, pose).dataSync(), d = field.apply(xyz, pose2).dataSync();
    assert(new Set(Array.from(c).filter((_, i) => i % 3 === 0).map((v) => v.toFixed(5))).size > 1);
    c.forEach((v, i) => assertAlmostEquals(v, d[i], 1e-6));
    assert(a.length === b.length);
  });
  const grads = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(field.apply(xyz, pose)) as tf.Scalar, [
      field.params.get("gp.gate.l0.w")!,
    ]);
    return grads["gp.gate.l0.w"].abs().sum().dataSync()[0];
  });
  assert(grads > 0, "the gate MLP gets no gradient");
  await assertGradsNoLeak(field, "gate point gradients");
  pose2.dispose();
  field.dispose();
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, gate: "point" }), [
    'torso.gate "point" needs motion "rigid": got motion undefined',
  ]);
});

Deno.test('gate "moved": the gate of "point" read at the rigidly moved point (a pure translation: moved at x = point at x + tau); no leak', async () => {
  const opts = { width: 8, depth: 2, seed: 4, motion: "rigid", poseMap: "linear" } as const;
  const moved = new DeformationField3d("gm", 6, { ...opts, gate: "moved" });
  const point = new DeformationField3d("gq", 6, { ...opts, gate: "point" });
  assertEquals([...moved.params.keys()], [...point.params.keys()].map((k) => k.replace("gq.", "gm.")));
  tf.tidy(() => assert(moved.apply(xyz, pose).dataSync().every((v) => v === 0)));
  const tau = [0.2, -0.1, 0.05];
  for (const [f, n] of [[moved, "gm"], [point, "gq"]] as const) {
    f.params.get(`${n}.rigid.lin.b`)!.assign(tf.tensor1d([0, 0, 0, ...tau]));
    const last = f.params.get(`${n}.gate.l2.w`)!;
    last.assign(tf.randomNormal(last.shape, 0, 1, "float32", 9));
  }
  tf.tidy(() => {
    const a = moved.apply(xyz, pose).dataSync();
    const b = point.apply(tf.add(xyz, tf.tensor1d(tau)) as tf.Tensor2D, pose).dataSync();
    assert(new Set(Array.from(a).filter((_, i) => i % 3 === 0).map((v) => v.toFixed(5))).size > 1);
    a.forEach((v, i) => assertAlmostEquals(v, b[i], 1e-5));
    // The gate at x itself (gate "point" at x) differs: the gate moved with the torso.
    const c = point.apply(xyz, pose).dataSync();
    assert(Array.from(a).some((v, i) => Math.abs(v - c[i]) > 1e-3));
  });
  // The motion's parameters get a gradient through the gate too (d g(x + tau) / d tau).
  const g = tf.tidy(() => {
    const w = moved.params.get("gm.rigid.lin.b")!;
    const { grads } = tf.variableGrads(() => tf.sum(moved.apply(xyz, pose)) as tf.Scalar, [w]);
    const h = point.params.get("gq.rigid.lin.b")!;
    const other = tf.variableGrads(() => tf.sum(point.apply(xyz, pose)) as tf.Scalar, [h]).grads;
    return tf.sub(grads["gm.rigid.lin.b"], other["gq.rigid.lin.b"]).abs().max().dataSync()[0];
  });
  assert(g > 1e-4, `gate "moved" adds no gradient to the motion: ${g}`);
  await assertGradsNoLeak(moved, "gate moved gradients");
  moved.dispose();
  point.dispose();
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, gate: "moved" }), [
    'torso.gate "moved" needs motion "rigid": got motion undefined',
  ]);
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, motion: "rigid", gate: "pose" as never }), [
    'torso.gate must be one of "pointAndPose", "point", "moved" (absent: "pointAndPose"): got "pose"',
  ]);
  assertThrows(
    () => new DeformationField3d("gm", 6, { ...opts, gate: "pose" as never }),
    Error,
    "gate must be one of",
  );
});

Deno.test('poseMap "linear" / "linear+mlp": the parameters, identity at init, (omega, tau) = A p + b (+ the MLP), bad value named', () => {
  const lin = new DeformationField3d("pm.l", 6, {
    width: 8,
    depth: 2,
    seed: 5,
    motion: "rigid",
    poseMap: "linear",
  });
  assertEquals([...lin.params.keys()].filter((k) => k.includes(".rigid.")), [
    "pm.l.rigid.lin.w",
    "pm.l.rigid.lin.b",
  ]);
  assertEquals(lin.params.get("pm.l.rigid.lin.w")!.shape, [6, 6]);
  tf.tidy(() => assert(lin.apply(xyz, pose).dataSync().every((v) => v === 0)));
  // A = 0 except A[0][2] = 2 (omega_z = 2 p0) and A[1][3] = -1 (tau_x = -p1); b = (0, 0, 0, 0, 0, 0.5).
  const a = tf.buffer([6, 6], "float32");
  a.set(2, 0, 2);
  a.set(-1, 1, 3);
  lin.params.get("pm.l.rigid.lin.w")!.assign(a.toTensor());
  lin.params.get("pm.l.rigid.lin.b")!.assign(tf.tensor1d([0, 0, 0, 0, 0, 0.5]));
  const p = tf.tensor2d([[0.25, 0.1, 0, 0, 0, 0]]);
  tf.tidy(() => {
    const [omega, tau] = lin.rigidMotion(p);
    assertEquals(Array.from(omega.dataSync()), [0, 0, 0.5]);
    Array.from(tau.dataSync()).forEach((v, i) => assertAlmostEquals(v, [-0.1, 0, 0.5][i], 1e-7));
  });
  // "linear+mlp": the MLP's output (here a constant (0, 0, 0.1, 0, 0.2, 0)) plus the same linear map.
  const both = new DeformationField3d("pm.b", 6, {
    width: 8,
    depth: 2,
    seed: 5,
    motion: "rigid",
    poseMap: "linear+mlp",
  });
  assertEquals([...both.params.keys()].filter((k) => k.includes(".rigid.")), [
    "pm.b.rigid.l0.w",
    "pm.b.rigid.l0.b",
    "pm.b.rigid.out.w",
    "pm.b.rigid.out.b",
    "pm.b.rigid.lin.w",
    "pm.b.rigid.lin.b",
  ]);
  tf.tidy(() => assert(both.apply(xyz, pose).dataSync().every((v) => v === 0)));
  both.params.get("pm.b.rigid.lin.w")!.assign(lin.params.get("pm.l.rigid.lin.w")!);
  both.params.get("pm.b.rigid.lin.b")!.assign(lin.params.get("pm.l.rigid.lin.b")!);
  both.params.get("pm.b.rigid.out.b")!.assign(tf.tensor1d([0, 0, 0.1, 0, 0.2, 0]));
  tf.tidy(() => {
    const [omega, tau] = both.rigidMotion(p);
    Array.from(omega.dataSync()).forEach((v, i) => assertAlmostEquals(v, [0, 0, 0.6][i], 1e-6));
    Array.from(tau.dataSync()).forEach((v, i) => assertAlmostEquals(v, [-0.1, 0.2, 0.5][i], 1e-6));
  });
  p.dispose();
  lin.dispose();
  both.dispose();
  assertThrows(
    () => new DeformationField3d("pm.bad", 6, { motion: "rigid", poseMap: "cubic" as never }),
    Error,
    'poseMap must be one of mlp, linear, linear+mlp, quadratic: got "cubic"',
  );
});

Deno.test('poseMap "quadratic": parameters, identity at init, (omega, tau) = A p + b + Q q(p) by hand, gradient reaches Q', () => {
  const quad = new DeformationField3d("pm.q", 6, {
    width: 8,
    depth: 2,
    seed: 5,
    motion: "rigid",
    poseMap: "quadratic",
  });
  assertEquals([...quad.params.keys()].filter((k) => k.includes(".rigid.")), [
    "pm.q.rigid.lin.w",
    "pm.q.rigid.lin.b",
    "pm.q.rigid.quad.w",
  ]);
  // 21 products of a 6-entry code, no bias (the linear part has one).
  assertEquals(quad.params.get("pm.q.rigid.quad.w")!.shape, [21, 6]);
  tf.tidy(() => assert(quad.apply(xyz, pose).dataSync().every((v) => v === 0)));
  // Products in the order (0,0), (0,1), ..., (0,5), (1,1), ...: p = (0.5, -2, 0, 0, 0, 3) gives
  // p0 p0 = 0.25 at 0, p0 p1 = -1 at 1, p0 p5 = 1.5 at 5, p1 p1 = 4 at 6, p5 p5 = 9 at 20.
  const p = tf.tensor2d([[0.5, -2, 0, 0, 0, 3]]);
  tf.tidy(() => {
    const q = poseProducts(p).dataSync();
    assertEquals(q.length, 21);
    assertEquals([q[0], q[1], q[5], q[6], q[20]], [0.25, -1, 1.5, 4, 9]);
  });
  // Q maps p0 p1 to omega_y (x 1) and p5 p5 to tau_z (x 0.1); A maps p0 to tau_x (x 2); b_omega_x = 0.3.
  const qw = tf.buffer([21, 6], "float32");
  qw.set(1, 1, 1);
  qw.set(0.1, 20, 5);
  quad.params.get("pm.q.rigid.quad.w")!.assign(qw.toTensor());
  const aw = tf.buffer([6, 6], "float32");
  aw.set(2, 0, 3);
  quad.params.get("pm.q.rigid.lin.w")!.assign(aw.toTensor());
  quad.params.get("pm.q.rigid.lin.b")!.assign(tf.tensor1d([0.3, 0, 0, 0, 0, 0]));
  tf.tidy(() => {
    const [omega, tau] = quad.rigidMotion(p);
    Array.from(omega.dataSync()).forEach((v, i) => assertAlmostEquals(v, [0.3, -1, 0][i], 1e-6));
    Array.from(tau.dataSync()).forEach((v, i) => assertAlmostEquals(v, [1, 0, 0.9][i], 1e-6));
  });
  // From zero, the products' weights get a gradient (they are a live input whenever the code is not 0).
  quad.params.get("pm.q.rigid.quad.w")!.assign(tf.zeros([21, 6]));
  const g = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.sum(quad.apply(xyz, p)) as tf.Scalar, [
      quad.params.get("pm.q.rigid.quad.w")!,
    ]);
    return grads["pm.q.rigid.quad.w"].abs().sum().dataSync()[0];
  });
  assert(g > 0, `no gradient to the products' weights: ${g}`);
  p.dispose();
  quad.dispose();
});

Deno.test('poseMap: with every hidden unit of the pose MLP off, "mlp" gives one motion for all poses and no gradient to its hidden layer; "linear+mlp" still learns', () => {
  // What happened on the fixture: all hidden pre-activations < 0 for every frame's pose code.
  const poses = tf.tensor2d([[0.1, -0.2, 0.05, 0.01, 0, -0.01], [-0.15, 0.2, -0.1, -0.01, 0.005, 0.01]]);
  const target = tf.tidy(() => tf.add(xyz, tf.tensor2d([[0.05, -0.02, 0.03]])));
  const kill = (f: DeformationField3d, name: string) => {
    f.params.get(`${name}.rigid.l0.b`)!.assign(tf.fill([8], -100));
    f.params.get(`${name}.rigid.out.b`)!.assign(tf.tensor1d([0.01, 0.02, 0.03, 0.04, 0.05, 0.06]));
  };
  const motions = (f: DeformationField3d) =>
    tf.tidy(() =>
      [0, 1].map((i) => {
        const [o, t] = f.rigidMotion(tf.slice(poses, [i, 0], [1, 6]) as tf.Tensor2D);
        return [...o.dataSync(), ...t.dataSync()];
      })
    );
  // Each frame's loss uses its own pose; the sum over both frames.
  const lossOf = (f: DeformationField3d) => () =>
    tf.addN(
      [0, 1].map((i) =>
        tf.mean(
          tf.square(
            tf.sub(tf.add(xyz, f.apply(xyz, tf.slice(poses, [i, 0], [1, 6]) as tf.Tensor2D)), target),
          ),
        )
      ),
    ) as tf.Scalar;
  for (const poseMap of ["mlp", "linear+mlp"] as const) {
    const name = `dead.${poseMap.replace("+", "_")}`;
    const f = new DeformationField3d(name, 6, { width: 8, depth: 2, seed: 6, motion: "rigid", poseMap });
    kill(f, name);
    const [m0, m1] = motions(f);
    assertEquals(m0, m1, `${poseMap}: the same motion for both poses before training`);
    const g = gradMaxAbs(f.params, lossOf(f));
    assertEquals(g.get(`${name}.rigid.l0.w`), 0, `${poseMap}: no gradient into the dead hidden layer`);
    assertEquals(g.get(`${name}.rigid.out.w`), 0, `${poseMap}: none into the output weights (h = 0)`);
    for (let i = 0; i < 3; i++) sgdStep(f.params, lossOf(f), 0.5);
    const [a0, a1] = motions(f);
    if (poseMap === "mlp") {
      assertEquals(a0, a1, "mlp: still one motion for every pose after training steps");
    } else {
      assertGreater(g.get(`${name}.rigid.lin.w`)!, 0);
      assertGreater(
        Math.max(...a0.map((v, i) => Math.abs(v - a1[i]))),
        1e-4,
        "linear+mlp: the motion follows the pose",
      );
    }
    f.dispose();
  }
  tf.dispose([poses, target]);
});
