import { assert, assertEquals, assertGreater, assertLess, assertNotEquals, assertThrows } from "@std/assert";
import { HEAD_MOTION_DEFAULTS, headPosePath, TORSO_MOTION_DEFAULTS, torsoMotionPath } from "./motion.ts";
import { applyPose, rotateInverse, rotationAngleBetween, rotationFromEuler } from "./rigid.ts";

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
});
