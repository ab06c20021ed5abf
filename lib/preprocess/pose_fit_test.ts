import { assert, assertAlmostEquals, assertLess, assertThrows } from "@std/assert";
import { eulerToMatrix64 as eulerToMatrix } from "../camera/euler.ts";
import { poseToC2w } from "../camera/pose.ts";
import { projectPoints } from "../camera/project.ts";
import { fitPose, projectModel } from "./pose_fit.ts";
import { angleBetween } from "./rotation.ts";
import { MEAN_FACE_68 } from "./template.ts";

const camera = { focal: 600, cx: 256, cy: 256 };

Deno.test("projectModel agrees with lib/camera projectPoints through poseToC2w", () => {
  const euler = [0.2, -0.3, 0.1] as const;
  const trans = [0.3, -0.2, -9] as const;
  const uv = projectModel(MEAN_FACE_68, { rotation: eulerToMatrix(euler), trans: [...trans] }, camera);
  const ref = projectPoints(
    Float32Array.from(MEAN_FACE_68),
    poseToC2w(euler, trans),
    { ...camera, width: 512, height: 512 },
  );
  for (let k = 0; k < uv.length; k++) assertAlmostEquals(uv[k], ref[k], 1e-3);
});

Deno.test("fitPose recovers known poses from exact projections, from a frontal start", () => {
  for (const euler of [[0, 0, 0], [0.2, 0.4, -0.1], [-0.3, -0.5, 0.3], [0.1, 0.7, 0]] as const) {
    const truth = { rotation: eulerToMatrix(euler), trans: [-0.4, 0.3, -10] };
    const fit = fitPose(projectModel(MEAN_FACE_68, truth, camera), camera);
    assertLess(
      angleBetween(fit.rotation, truth.rotation),
      1e-6,
      `euler ${euler}: ${angleBetween(fit.rotation, truth.rotation)} ${fit.rmse} ${fit.iterations}`,
    );
    assertAlmostEquals(fit.trans[2], -10, 1e-4);
    assertLess(fit.rmse, 1e-4);
  }
});

Deno.test("fitPose: Huber weights resist gross outliers better than plain least squares", () => {
  const truth = { rotation: eulerToMatrix([0.1, 0.3, 0.05]), trans: [0, 0, -9] };
  const lms = projectModel(MEAN_FACE_68, truth, camera);
  // Small noise everywhere, and 6 jaw points thrown 40 px off (a mis-tracked contour).
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  for (let k = 0; k < lms.length; k++) lms[k] += rand();
  for (const i of [0, 1, 2, 3, 4, 5]) lms[2 * i] += 40;
  const robust = fitPose(lms, camera, { huberDelta: 2 });
  const plain = fitPose(lms, camera, { huberDelta: 1e6 });
  const eR = angleBetween(robust.rotation, truth.rotation) * 180 / Math.PI;
  const eP = angleBetween(plain.rotation, truth.rotation) * 180 / Math.PI;
  assertLess(eR, 1.5);
  assertLess(eR * 2, eP, `robust ${eR.toFixed(2)} deg vs plain ${eP.toFixed(2)} deg`);
});

Deno.test("fitPose: starting from the previous frame's pose converges in few iterations", () => {
  const a = { rotation: eulerToMatrix([0.1, 0.2, 0]), trans: [0, 0, -9] };
  const b = { rotation: eulerToMatrix([0.12, 0.23, 0.01]), trans: [0.02, 0, -9.05] };
  const fit = fitPose(projectModel(MEAN_FACE_68, b, camera), camera, { init: a });
  assertLess(angleBetween(fit.rotation, b.rotation), 1e-6);
  assert(fit.iterations < 15, `${fit.iterations} iterations`);
});

Deno.test("fitPose: inputs of the wrong size or non-finite values are named", () => {
  assertThrows(() => fitPose(new Float32Array(10), camera), Error, "landmarks must hold 136 numbers");
  const bad = new Float32Array(136).fill(NaN);
  assertThrows(() => fitPose(bad, camera), Error, "landmarks[0] is NaN");
  assertThrows(() => fitPose(new Float32Array(136), { ...camera, focal: 0 }), Error, "focal > 0");
});
