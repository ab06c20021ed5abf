import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { join } from "node:path";
import { rigidityProblem } from "../data/transforms.ts";
import { createRng } from "../nn/rng.ts";
import { angleBetween, expSO3, mul3 } from "../preprocess/rotation.ts";
import { meanAngularStep } from "../preprocess/smooth.ts";
import { eulerToMatrix64, matrixToEuler } from "./euler.ts";
import { c2wToPose, poseToC2w } from "./pose.ts";
import {
  parsePoseFile,
  parsePosePathSpec,
  pingPong,
  poseJitterDeg,
  readPoseFile,
  resolvePosePath,
  smoothPosePath,
} from "./pose_path.ts";

const deg = Math.PI / 180;

/** A head path: slow yaw and pitch sweeps plus, optionally, white noise on the three angles. */
function path(
  n: number,
  noiseDeg: number,
  seed = 1,
): { euler: [number, number, number]; trans: [number, number, number] }[] {
  const rng = createRng(seed);
  const gauss = () => rng.normal();
  return Array.from({ length: n }, (_, i) => ({
    euler: [
      0.1 * Math.sin(i / 15) + noiseDeg * deg * gauss(),
      0.3 * Math.sin(i / 25) + noiseDeg * deg * gauss(),
      0.05 * Math.cos(i / 20) + noiseDeg * deg * gauss(),
    ],
    trans: [0.1 * Math.sin(i / 30), 0.6, -12 + 0.2 * Math.cos(i / 40)],
  }));
}

/** Quaternion (w, x, y, z) of a rotation matrix (Shepperd's method). */
function quat(R: ArrayLike<number>): number[] {
  const t = R[0] + R[4] + R[8];
  if (t > 0) {
    const s = 2 * Math.sqrt(1 + t);
    return [s / 4, (R[7] - R[5]) / s, (R[2] - R[6]) / s, (R[3] - R[1]) / s];
  }
  if (R[0] > R[4] && R[0] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[0] - R[4] - R[8]);
    return [(R[7] - R[5]) / s, s / 4, (R[1] + R[3]) / s, (R[2] + R[6]) / s];
  }
  if (R[4] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[4] - R[0] - R[8]);
    return [(R[2] - R[6]) / s, (R[1] + R[3]) / s, s / 4, (R[5] + R[7]) / s];
  }
  const s = 2 * Math.sqrt(1 + R[8] - R[0] - R[4]);
  return [(R[3] - R[1]) / s, (R[2] + R[6]) / s, (R[5] + R[7]) / s, s / 4];
}

function quatToMatrix([w, x, y, z]: number[]): Float64Array {
  return Float64Array.of(
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  );
}

Deno.test("poseJitterDeg: hand-made steps, and the same as preprocessing's meanAngularStep on Euler angles", () => {
  // Steps of 2 degrees about x, then 3 about z (head rotation Rz Rx): mean 2.5.
  const Rx = expSO3([2 * deg, 0, 0]);
  const hand = [Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), Rx, mul3(expSO3([0, 0, 3 * deg]), Rx)]
    .map((R) => poseToC2w(matrixToEuler(R), [0, 0, -1]));
  assertAlmostEquals(poseJitterDeg(hand), 2.5, 1e-4);
  assertEquals(poseJitterDeg([hand[0]]), 0);
  const p = path(60, 0.5);
  assertAlmostEquals(poseJitterDeg(p.map((q) => poseToC2w(q.euler, q.trans))), meanAngularStep(p), 1e-4);
});

Deno.test("smoothPosePath: a constant-speed turn keeps its interior poses; translations are moving averages", () => {
  const n = 15;
  const c2ws = Array.from({ length: n }, (_, i) => {
    const R = expSO3([0, 0.02 * i, 0]); // yaw at 0.02 rad per frame about one axis
    return poseToC2w(matrixToEuler(R), [0.1 * i * i, 0, -10]);
  });
  const s = smoothPosePath(c2ws, 5);
  for (let i = 0; i < n; i++) {
    // The chordal mean of rotations spaced evenly about one axis is the middle one.
    const a = c2wToPose(c2ws[i]), b = c2wToPose(s[i]);
    assertLess(angleBetween(eulerToMatrix64(a.euler), eulerToMatrix64(b.euler)), 1e-6);
    // x = 0.1 i^2: the centred mean over i-h..i+h adds 0.1 h(h+1)/3.
    const h = Math.min(2, i, n - 1 - i);
    assertAlmostEquals(b.trans[0], 0.1 * (i * i + (h * (h + 1)) / 3), 1e-4);
    assertAlmostEquals(b.trans[2], -10, 1e-4);
    assertEquals(rigidityProblem(s[i]), undefined);
  }
  // Window 1 changes nothing.
  assertLess(
    Math.max(...smoothPosePath(c2ws, 1).flatMap((m, i) => [...m].map((v, k) => Math.abs(v - c2ws[i][k])))),
    1e-5,
  );
});

Deno.test("smoothPosePath: rotations agree with a sign-aligned quaternion average, and noise shrinks", () => {
  const truth = path(80, 0);
  const noisy = path(80, 1);
  const c2ws = noisy.map((q) => poseToC2w(q.euler, q.trans));
  const w = 7, half = 3;
  const s = smoothPosePath(c2ws, w);
  let worst = 0;
  for (let i = half; i < noisy.length - half; i++) {
    // Independent path: mean of the window's quaternions, signs aligned with the centre, normalised.
    const qc = quat(eulerToMatrix64(noisy[i].euler));
    const acc = [0, 0, 0, 0];
    for (let j = i - half; j <= i + half; j++) {
      const q = quat(eulerToMatrix64(noisy[j].euler));
      const sign = q.reduce((a, v, k) => a + v * qc[k], 0) < 0 ? -1 : 1;
      for (let k = 0; k < 4; k++) acc[k] += sign * q[k];
    }
    const norm = Math.hypot(...acc);
    const Rq = quatToMatrix(acc.map((v) => v / norm));
    worst = Math.max(worst, angleBetween(Rq, eulerToMatrix64(c2wToPose(s[i]).euler)));
  }
  // The two means differ at second order in the spread (a few degrees here): far below 0.01 degrees.
  assertLess(worst / deg, 0.01);
  const before = poseJitterDeg(c2ws), after = poseJitterDeg(s);
  const truthJitter = poseJitterDeg(truth.map((q) => poseToC2w(q.euler, q.trans)));
  assertLess(after, before / 2);
  assert(after > truthJitter * 0.5, `smoothing must not freeze the head: ${after} vs truth ${truthJitter}`);
  const err = (m: ArrayLike<number>[]) =>
    m.reduce(
      (a, c, i) => a + angleBetween(eulerToMatrix64(c2wToPose(c).euler), eulerToMatrix64(truth[i].euler)),
      0,
    ) /
    m.length;
  assertLess(err(s), err(c2ws) * 0.6);
  assertThrows(() => smoothPosePath(c2ws, 4), Error, "odd integer");
});

Deno.test("pingPong goes back and forth without a jump", () => {
  assertEquals(pingPong([0, 1, 2], 8), [0, 1, 2, 1, 0, 1, 2, 1]);
  assertEquals(pingPong([5], 3), [5, 5, 5]);
});

Deno.test("pose files: read, and bad ones named with the file, entry and expectation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-poses-" });
  try {
    const file = join(dir, "path.json");
    const poses = path(4, 0);
    await Deno.writeTextFile(file, JSON.stringify({ poses }));
    const c2ws = await readPoseFile(file, 4);
    assertEquals(c2ws.length, 4);
    assertLess(Math.abs(c2wToPose(c2ws[2]).euler[1] - poses[2].euler[1]), 1e-6);
    await assertRejects(
      () => readPoseFile(file, 5),
      Error,
      `${file}: has 4 poses: expected 5, one per rendered frame`,
    );
    await Deno.writeTextFile(file, "{ not json");
    await assertRejects(() => readPoseFile(file), Error, `${file}: cannot read the pose file as JSON`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertThrows(
    () =>
      parsePoseFile(
        { poses: [{ euler: [0, 0, 0], trans: [0, 0, -1] }, { euler: [0, 0], trans: [0, 0, 0] }] },
        "p.json",
      ),
    Error,
    "p.json: poses[1].euler must be 3 finite angles in radians: got [0,0]",
  );
  assertThrows(
    () => parsePoseFile({ poses: [{ euler: [0, 0, 0], trans: [0, "x", 0] }] }, "p.json"),
    Error,
    "p.json: poses[0].trans must be 3 finite numbers",
  );
  assertThrows(() => parsePoseFile([1, 2], "p.json"), Error, 'p.json: expected an object {"poses"');
});

Deno.test("parsePosePathSpec: the four kinds, and bad values", () => {
  assertEquals(parsePosePathSpec("dataset"), { kind: "dataset" });
  assertEquals(parsePosePathSpec("still"), { kind: "still" });
  assertThrows(() => parsePosePathSpec("smooth:4"), Error, "odd integer");
  assertThrows(() => parsePosePathSpec("smooth:x"), Error, "odd integer");
  assertThrows(
    () => parsePosePathSpec("wobbly"),
    Error,
    "dataset, still, smooth:<odd window> or a FILE.json",
  );
});

Deno.test("resolvePosePath: dataset back and forth, smooth with its jitter before, a file of the right length", async () => {
  const recorded = path(6, 1).map((q) => poseToC2w(q.euler, q.trans));
  const d = await resolvePosePath({ kind: "dataset" }, recorded, 12);
  assertEquals(d.poses.map((p) => recorded.indexOf(p)), [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, 1]);
  assertEquals(d.unsmoothedJitterDeg, undefined);
  const s = await resolvePosePath({ kind: "smooth", window: 3 }, recorded, 12);
  assertAlmostEquals(s.unsmoothedJitterDeg!, d.jitterDeg, 1e-9);
  assertLess(s.jitterDeg, d.jitterDeg);
  const dir = await Deno.makeTempDir({ prefix: "ssp-poses-" });
  try {
    const file = join(dir, "p.json");
    await Deno.writeTextFile(file, JSON.stringify({ poses: path(12, 0) }));
    assertEquals((await resolvePosePath({ kind: "file", path: file }, recorded, 12)).poses.length, 12);
    await assertRejects(
      () => resolvePosePath({ kind: "file", path: file }, recorded, 10),
      Error,
      "expected 10",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
