import { assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { eulerToMatrix64 } from "../camera/euler.ts";
import { bundleAdjust } from "./bundle_adjust.ts";
import { fitPose, projectModel } from "./pose_fit.ts";
import { angleBetween, mul3, transpose3 } from "./rotation.ts";
import { alignSimilarity } from "./shape_fit.ts";
import { MEAN_FACE_68 } from "./template.ts";

const camera = { focal: 400, cx: 64, cy: 64 };

/** A face 10 % wider than the template with a 30 % deeper nose, turning and nodding. */
function scene(frames = 12) {
  const face = Float64Array.from(MEAN_FACE_68, (v, k) => (k % 3 === 0 ? 1.1 * v : v));
  for (let i = 27; i <= 35; i++) face[3 * i + 2] *= 1.3;
  const poses = Array.from({ length: frames }, (_, i) => ({
    rotation: eulerToMatrix64([0.25 * Math.sin(i / 2), 0.4 * Math.cos(i / 3), 0.1 * Math.sin(i)]),
    trans: [0.2 * Math.sin(i), -0.1, -11 + 0.3 * Math.cos(i)],
  }));
  return { face, poses, lms: poses.map((p) => projectModel(face, p, camera)) };
}

const ALL = new Float64Array(68).fill(1);
const startPoses = (lms: readonly ArrayLike<number>[]) => lms.map((l) => fitPose(l, camera));

Deno.test("bundleAdjust recovers a face unlike the template and its poses from exact projections", () => {
  const { face, poses, lms } = scene();
  const before = startPoses(lms).reduce((s, p) => s + p.rmse, 0) / lms.length;
  const ba = bundleAdjust(lms, camera, {
    prior: MEAN_FACE_68,
    poses: startPoses(lms),
    weights: ALL,
    sigma: 30,
  });
  assertLess(ba.rmse, 1e-3, `rmse ${ba.rmse} px (template alone: ${before} px)`);
  assertLess(1, before); // the template alone is pixels off: the test can fail
  // The shape, up to the similarity the images cannot see.
  const aligned = alignSimilarity(face, ba.shape);
  for (let k = 0; k < aligned.length; k++) assertAlmostEquals(ba.shape[k], aligned[k], 1e-3);
  // Rotations, up to the one constant rotation between the two head frames.
  const offset = mul3(transpose3(ba.poses[0].rotation), poses[0].rotation);
  for (let i = 0; i < poses.length; i++) {
    assertLess(angleBetween(mul3(ba.poses[i].rotation, offset), poses[i].rotation), 1e-4);
  }
});

Deno.test("bundleAdjust: the returned shape and poses give the returned RMSE; unweighted points keep the prior", () => {
  const { lms } = scene(8);
  const weights = Float64Array.from(ALL, (_, j) => (j >= 48 ? 0 : 1));
  const ba = bundleAdjust(lms, camera, { prior: MEAN_FACE_68, poses: startPoses(lms), weights });
  let sq = 0, m = 0;
  lms.forEach((l, i) => {
    const uv = projectModel(ba.shape, ba.poses[i], camera);
    for (let j = 0; j < 48; j++) sq += (uv[2 * j] - l[2 * j]) ** 2 + (uv[2 * j + 1] - l[2 * j + 1]) ** 2, m++;
  });
  assertAlmostEquals(Math.sqrt(sq / m), ba.rmse, 1e-9);
  assertEquals(Array.from(ba.shape.subarray(3 * 48)), Array.from(MEAN_FACE_68.subarray(3 * 48)));
  // Mirror symmetry: the outer eye corners 36 and 45 differ only in the sign of x.
  assertAlmostEquals(ba.shape[3 * 36], -ba.shape[3 * 45], 1e-12);
  assertAlmostEquals(ba.shape[3 * 36 + 2], ba.shape[3 * 45 + 2], 1e-12);
});

Deno.test("bundleAdjust: a tight prior keeps the template; a gross outlier is tolerated (Huber)", () => {
  const { lms } = scene();
  const tight = bundleAdjust(lms, camera, {
    prior: MEAN_FACE_68,
    poses: startPoses(lms),
    weights: ALL,
    sigma: 1e-6,
  });
  for (let k = 0; k < 3 * 68; k++) assertAlmostEquals(tight.shape[k], MEAN_FACE_68[k], 1e-6);
  const bad = lms.map((l) => Float64Array.from(l));
  bad[3][2 * 30] += 40; // the nose tip of one frame 40 px off
  const ba = bundleAdjust(bad, camera, {
    prior: MEAN_FACE_68,
    poses: startPoses(bad),
    weights: ALL,
    sigma: 30,
  });
  const clean = bundleAdjust(lms, camera, {
    prior: MEAN_FACE_68,
    poses: startPoses(lms),
    weights: ALL,
    sigma: 30,
  });
  let worst = 0;
  for (let k = 0; k < 3 * 48; k++) worst = Math.max(worst, Math.abs(ba.shape[k] - clean.shape[k]));
  assertLess(worst, 0.02); // decimetres: 2 mm
});

Deno.test("bundleAdjust: inputs of the wrong size are named", () => {
  const { lms } = scene(3);
  const poses = startPoses(lms);
  assertThrows(
    () => bundleAdjust(lms, camera, { prior: MEAN_FACE_68, poses: poses.slice(1), weights: ALL }),
    Error,
    "options.poses",
  );
  assertThrows(
    () => bundleAdjust(lms, camera, { prior: MEAN_FACE_68, poses, weights: ALL.subarray(1) }),
    Error,
    "options.weights",
  );
  assertThrows(
    () =>
      bundleAdjust([lms[0].subarray(2)], camera, { prior: MEAN_FACE_68, poses: [poses[0]], weights: ALL }),
    Error,
    "136 numbers",
  );
});
