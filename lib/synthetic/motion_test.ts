import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import {
  coupledTorsoPath,
  HEAD_MOTION_DEFAULTS,
  headDrift,
  headPosePath,
  TORSO_COUPLING_GAINS,
  TORSO_MOTION_DEFAULTS,
  torsoFromHead,
  torsoMotionPath,
} from "./motion.ts";
import { pearson } from "./mouth.ts";
import {
  applyPose,
  type RigidPose,
  rotateInverse,
  rotationAngleBetween,
  rotationFromEuler,
  translationAboutPivot,
} from "./rigid.ts";

const DEG = Math.PI / 180;

Deno.test("head pose path: deterministic per seed, within the amplitude, smooth", () => {
  const a = headPosePath(250, { seed: 5 });
  assertEquals(a, headPosePath(250, { seed: 5 }));
  assertNotEquals(a, headPosePath(250, { seed: 6 }));
  const amp = HEAD_MOTION_DEFAULTS.amplitudeDeg;
  for (const p of a) for (let k = 0; k < 3; k++) assert(Math.abs(p.euler[k]) <= amp[k] * DEG + 1e-12);
  // it moves: each angle spans at least a fifth of its range over 10 s
  for (let k = 0; k < 3; k++) {
    const v = a.map((p) => p.euler[k]);
    assertGreater(Math.max(...v) - Math.min(...v), 0.4 * amp[k] * DEG);
  }
  // smooth: at 25 fps no angle jumps more than a degree between frames
  for (let i = 1; i < a.length; i++) {
    for (let k = 0; k < 3; k++) assertLess(Math.abs(a[i].euler[k] - a[i - 1].euler[k]), 1 * DEG);
  }
  const custom = headPosePath(100, { seed: 1, amplitudeDeg: 3 });
  assert(custom.every((p) => p.euler.every((e) => Math.abs(e) <= 3 * DEG + 1e-12)));
});

Deno.test("the head rotates about the neck pivot: the pivot only drifts by the translation amplitude", () => {
  const path = headPosePath(200, { seed: 2 });
  const { pivot, restPosition, translationAmplitude } = HEAD_MOTION_DEFAULTS;
  for (const p of path) {
    const w = applyPose(p, pivot);
    for (let k = 0; k < 3; k++) {
      assert(Math.abs(w[k] - (restPosition[k] + pivot[k])) <= translationAmplitude[k] + 1e-9);
    }
  }
});

Deno.test("the torso moves on its own: not rigidly attached to the head", () => {
  const head = headPosePath(250, { seed: 4 });
  const torso = torsoMotionPath(250, { seed: 4 });
  const amp = TORSO_MOTION_DEFAULTS.amplitudeDeg;
  for (const t of torso) for (let k = 0; k < 3; k++) assert(Math.abs(t.euler[k]) <= amp[k] * DEG + 1e-12);
  // a shoulder point, seen from the head's canonical space, moves by decimetres over the clip: a model
  // that attaches the torso to the head cannot explain it
  const shoulder = [1.2, -0.4, 0];
  const canon = head.map((h, i) => {
    const w = applyPose(torso[i], shoulder);
    return rotateInverse(rotationFromEuler(h.euler), [
      w[0] - h.trans[0],
      w[1] - h.trans[1],
      w[2] - h.trans[2],
    ]);
  });
  const spread = Math.max(
    ...[0, 1, 2].map((k) => Math.max(...canon.map((c) => c[k])) - Math.min(...canon.map((c) => c[k]))),
  );
  assertGreater(spread, 0.4);
  // while in the camera frame, where it really moves, it moves much less
  const world = torso.map((t) => applyPose(t, shoulder));
  const worldSpread = Math.max(
    ...[0, 1, 2].map((k) => Math.max(...world.map((c) => c[k])) - Math.min(...world.map((c) => c[k]))),
  );
  assertLess(worldSpread, 0.6 * spread);
  // and the two orientations differ by several degrees somewhere
  const gaps = head.map((h, i) =>
    rotationAngleBetween(rotationFromEuler(h.euler), rotationFromEuler(torso[i].euler))
  );
  assertGreater(Math.max(...gaps), 8 * DEG);
});

Deno.test("motion paths reject bad arguments with the field named", () => {
  assertThrows(() => headPosePath(-1), Error, "numFrames");
  assertThrows(() => headPosePath(5, { fps: 0 }), Error, "fps");
  assertThrows(
    () => headPosePath(5, { amplitudeDeg: [1, 2] as unknown as [number, number, number] }),
    Error,
    "amplitudeDeg",
  );
  assertThrows(() => torsoMotionPath(5, { amplitudeDeg: [1, 2, 90] }), Error, "amplitudeDeg");
  const head = headPosePath(5);
  assertThrows(() => coupledTorsoPath(head, { coupling: -1 }), Error, "coupling");
  assertThrows(() => coupledTorsoPath(head, { residual: NaN }), Error, "residual");
  assertThrows(() => coupledTorsoPath(head, { lagSeconds: -0.1 }), Error, "lagSeconds");
});

Deno.test("coupled torso: coupling 0 and residual 1 give the independent torso of version 1 exactly", () => {
  const head = headPosePath(120, { seed: 9 });
  assertEquals(
    coupledTorsoPath(head, { seed: 9, coupling: 0, residual: 1 }).poses,
    torsoMotionPath(120, { seed: 9 }),
  );
});

Deno.test("coupled torso: the poses are the sum of the recorded parts, and the parts are what they say", () => {
  const head = headPosePath(200, { seed: 3 });
  const { poses, coupled, residual } = coupledTorsoPath(head, { seed: 3 });
  const sway = torsoMotionPath(200, { seed: 3 });
  const { pivot, restPosition } = TORSO_MOTION_DEFAULTS;
  poses.forEach((p, i) => {
    // coupled part: the function of this frame's head pose
    const want = torsoFromHead(
      head[i].euler,
      headDrift(head[i], HEAD_MOTION_DEFAULTS.pivot, HEAD_MOTION_DEFAULTS.restPosition),
    );
    for (let k = 0; k < 3; k++) {
      assertAlmostEquals(coupled[i].euler[k], want.euler[k], 1e-15);
      assertAlmostEquals(coupled[i].offset[k], want.offset[k], 1e-15);
      // residual: the independent sway at 0.15 of its amplitude (angles are linear in the amplitude)
      assertAlmostEquals(residual[i].euler[k], 0.15 * sway[i].euler[k], 1e-12);
      assertAlmostEquals(p.euler[k], coupled[i].euler[k] + residual[i].euler[k], 1e-15);
    }
    const offset = [0, 1, 2].map((k) => restPosition[k] + coupled[i].offset[k] + residual[i].offset[k]);
    const t = translationAboutPivot(rotationFromEuler(p.euler), pivot, offset);
    for (let k = 0; k < 3; k++) assertAlmostEquals(p.trans[k], t[k], 1e-12);
  });
  // the head's drift is recovered from its pose: the path's own drift is within its amplitude
  for (const h of head) {
    const d = headDrift(h, HEAD_MOTION_DEFAULTS.pivot, HEAD_MOTION_DEFAULTS.restPosition);
    for (let k = 0; k < 3; k++) assert(Math.abs(d[k]) <= HEAD_MOTION_DEFAULTS.translationAmplitude[k] + 1e-9);
  }
});

Deno.test("coupled torso: follows the head (twist with yaw, sway with roll), dominates the residual", () => {
  const head = headPosePath(250, { seed: 4 });
  const { poses, coupled, residual } = coupledTorsoPath(head, { seed: 4 });
  const col = (ps: readonly { euler: readonly number[] }[], k: number) => ps.map((p) => p.euler[k]);
  assertGreater(pearson(col(head, 1), col(poses, 1)), 0.95);
  assertGreater(pearson(col(head, 2), col(poses, 2)), 0.9);
  // the twist is a fraction of the yaw, smaller than the head's own turn
  const yawRange = (ps: readonly { euler: readonly number[] }[]) =>
    Math.max(...col(ps, 1)) - Math.min(...col(ps, 1));
  assertLess(yawRange(poses), 0.6 * yawRange(head));
  // variance of the coupled part is several times the residual's, on every angle
  const variance = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
  };
  for (let k = 0; k < 3; k++) assertGreater(variance(col(coupled, k)), 4 * variance(col(residual, k)));
  // with no residual the torso is a function of the current head pose: equal poses, equal torsos
  const still: RigidPose[] = [head[10], head[50], head[10]];
  const t = coupledTorsoPath(still, { residual: 0 }).poses;
  assertEquals(t[0], t[2]);
  assertNotEquals(t[0], t[1]);
});

Deno.test("coupled torso: a lag makes it follow the head's earlier pose", () => {
  const head = headPosePath(100, { seed: 2 });
  const lagged = coupledTorsoPath(head, { lagSeconds: 0.2, residual: 0 }); // 5 frames at 25 fps
  const now = coupledTorsoPath(head, { residual: 0 });
  assertEquals(lagged.coupled[30], now.coupled[25]);
  assertEquals(lagged.coupled[2], now.coupled[0]); // before the clip: the first pose
  // half a frame: halfway between two frames' inputs
  const half = coupledTorsoPath(head, { lagSeconds: 0.02, residual: 0 });
  const mid = torsoFromHead(
    [0, 1, 2].map((k) => (head[40].euler[k] + head[41].euler[k]) / 2),
    [0, 1, 2].map((k) => {
      const d0 = headDrift(head[40], HEAD_MOTION_DEFAULTS.pivot, HEAD_MOTION_DEFAULTS.restPosition);
      const d1 = headDrift(head[41], HEAD_MOTION_DEFAULTS.pivot, HEAD_MOTION_DEFAULTS.restPosition);
      return (d0[k] + d1[k]) / 2;
    }),
  );
  for (let k = 0; k < 3; k++) assertAlmostEquals(half.coupled[41].euler[k], mid.euler[k], 1e-12);
});

Deno.test("torsoFromHead: hand-computed terms, and non-linear (tanh twist, square shrug)", () => {
  const g = TORSO_COUPLING_GAINS;
  const p = torsoFromHead([0.1, 0.2, -0.05], [0.02, 0, -0.1]);
  assertAlmostEquals(p.euler[0], g.lean * 0.1, 1e-15);
  assertAlmostEquals(p.euler[1], g.yaw * g.yawScale * Math.tanh(0.2 / g.yawScale), 1e-15);
  assertAlmostEquals(p.euler[2], g.roll * -0.05, 1e-15);
  assertAlmostEquals(p.offset[0], g.shift * 0.02 - g.shiftFromRoll * Math.sin(-0.05), 1e-15);
  assertAlmostEquals(
    p.offset[1],
    g.shrug * Math.tanh(0.1 / g.shrugScale) + g.shrugQuadratic * 0.01 + g.shrugFromYaw * 0.04,
    1e-15,
  );
  assertAlmostEquals(p.offset[2], g.depth * -0.1, 1e-15);
  // twist saturates: doubling a large yaw gives less than double
  const a = torsoFromHead([0, 0.2, 0], [0, 0, 0]).euler[1],
    b = torsoFromHead([0, 0.4, 0], [0, 0, 0]).euler[1];
  assertLess(b, 1.8 * a);
  assertEquals(torsoFromHead([0.1, 0.2, 0.3], [1, 1, 1], g, 0).euler.map(Math.abs), [0, 0, 0]);
});
