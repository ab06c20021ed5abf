import { assert, assertAlmostEquals, assertLess } from "@std/assert";
import { MIRROR_68 } from "../landmarks/points.ts";
import { alignedRotationErrors } from "./align.ts";
import { expSO3, mul3, nearestRotation, rotationAngle } from "./rotation.ts";
import { alignSimilarity, refineShape } from "./shape_fit.ts";
import { MEAN_FACE_68, symmetrizeShape } from "./template.ts";
import { projectModel } from "./pose_fit.ts";

const P = (i: number) => [0, 1, 2].map((k) => MEAN_FACE_68[3 * i + k]);

Deno.test("template: mirror-symmetric in the 300-W scheme's pairing, plausible proportions", () => {
  for (let i = 0; i < 68; i++) {
    const [x, y, z] = P(i), [mx, my, mz] = P(MIRROR_68[i]);
    assertAlmostEquals(x, -mx, 1e-12);
    assertAlmostEquals(y, my, 1e-12);
    assertAlmostEquals(z, mz, 1e-12);
  }
  assert(P(30)[2] > P(39)[2] && P(39)[2] > P(36)[2] && P(36)[2] > P(0)[2], "nose tip, inner, outer eye, ear");
  assert(
    P(27)[1] > P(30)[1] && P(30)[1] > P(51)[1] && P(51)[1] > P(57)[1] && P(57)[1] > P(8)[1],
    "top to chin",
  );
  assertAlmostEquals(P(16)[0] - P(0)[0], 1.4, 1e-9); // 14 cm
  assertLess(MEAN_FACE_68.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1.2);
  assertAlmostEquals(symmetrizeShape(MEAN_FACE_68)[3 * 45], P(45)[0], 1e-12);
});

Deno.test("rotations: nearestRotation, angles and the aligned comparison of two sequences", () => {
  const R = expSO3([0.3, -0.2, 0.1]);
  const noisy = R.map((v, k) => v + (k === 4 ? 0.01 : 0));
  assertLess(
    rotationAngle(
      mul3(nearestRotation(noisy), Float64Array.of(R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8])),
    ),
    0.01,
  );
  const ref = [0, 1, 2, 3].map((i) => expSO3([0.1 * i, -0.05 * i, 0]));
  const off = expSO3([0.4, 0, 0.2]);
  const est = ref.map((r, i) => mul3(mul3(r, off), expSO3([0, 0, i === 2 ? 0.02 : 0])));
  const a = alignedRotationErrors(est, ref);
  assertAlmostEquals(a.offsetDeg, (rotationAngle(off) * 180) / Math.PI, 0.5);
  assertAlmostEquals(a.maxDeg, a.errorsDeg[2], 1e-12);
});

Deno.test("refineShape moves the template towards the face seen; alignSimilarity keeps its size", () => {
  const face = Float64Array.from(MEAN_FACE_68, (v, k) => (k % 3 === 2 ? 1.3 * v : v)); // deeper face
  const cam = { focal: 500, cx: 100, cy: 100 };
  const poses = [0, 1, 2, 3, 4].map((i) => ({
    rotation: expSO3([0.1 * i - 0.2, 0.3 * Math.sin(i), 0]),
    trans: [0, 0, -10],
  }));
  const lms = poses.map((p) => projectModel(face, p, cam));
  const before = MEAN_FACE_68.reduce((s, v, k) => s + (v - face[k]) ** 2, 0);
  const refined = refineShape(lms, poses, cam, MEAN_FACE_68, { sigma: 10 });
  const after = refined.reduce((s, v, k) => s + (v - alignSimilarity(face, refined)[k]) ** 2, 0);
  assertLess(after, before / 4);
});
