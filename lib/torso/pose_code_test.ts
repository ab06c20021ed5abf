import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { poseToC2w } from "../camera/pose.ts";
import { createRng } from "../nn/rng.ts";
import { POSE_CODE_DIM, poseCode, poseCodeFromC2w, poseCodeNormalization } from "./pose_code.ts";

Deno.test("poseCode: angles as given, translation centred and scaled", () => {
  const p = poseCode([0.1, -0.2, 0.3], [2, -4, -10], { transScale: 2, transOrigin: [0, 0, -8] });
  assertEquals(p.length, POSE_CODE_DIM);
  [0.1, -0.2, 0.3, 1, -2, -1].forEach((want, i) => assertAlmostEquals(p[i], want, 1e-6));
  assertEquals(Array.from(poseCode([0, 0, 0], [1, 2, 3])), [0, 0, 0, 1, 2, 3]); // defaults: scale 1, origin 0
});

Deno.test("poseCodeFromC2w inverts the camera convention c2w = [R^T | -R^T t]", () => {
  const rng = createRng(4);
  for (let i = 0; i < 20; i++) {
    const euler: [number, number, number] = [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5];
    const trans: [number, number, number] = [rng.next() - 0.5, rng.next() - 0.5, -3 - rng.next()];
    const opts = { transScale: 3, transOrigin: [0, 0, -3.5] as [number, number, number] };
    const want = poseCode(euler, trans, opts);
    const got = poseCodeFromC2w(poseToC2w(euler, trans), opts);
    want.forEach((w, k) => assertAlmostEquals(got[k], w, 2e-6));
  }
});

Deno.test("poseCodeNormalization centres the translations and scales by the mean camera distance", () => {
  const c2ws = [poseToC2w([0.2, 0, 0], [0.1, 0, -3]), poseToC2w([-0.2, 0.1, 0], [-0.1, 0.2, -5])];
  const opts = poseCodeNormalization(c2ws);
  const dist = (c2ws[0][11] ** 2 + c2ws[0][3] ** 2 + c2ws[0][7] ** 2) ** 0.5 / 2 +
    (c2ws[1][11] ** 2 + c2ws[1][3] ** 2 + c2ws[1][7] ** 2) ** 0.5 / 2;
  assertAlmostEquals(opts.transScale, dist, 1e-5);
  [0, 0.1, -4].forEach((w, i) => assertAlmostEquals(opts.transOrigin[i], w, 1e-5));
  // The codes' translations then average to 0.
  const codes = c2ws.map((m) => poseCodeFromC2w(m, opts));
  for (let i = 3; i < 6; i++) assertAlmostEquals(codes[0][i] + codes[1][i], 0, 1e-5);
});

Deno.test("pose code rejects bad input", () => {
  assertThrows(() => poseCode([0, 0, 0], [0, 0, 0], { transScale: 0 }), Error, "transScale");
  assertThrows(() => poseCode([0, NaN, 0], [0, 0, 0]), Error, "euler");
  assertThrows(() => poseCode([0, 0, 0], [0, 0, Infinity]), Error, "trans");
  assertThrows(() => poseCodeFromC2w(new Float32Array(9)), Error, "4x4");
  assertThrows(() => poseCodeNormalization([]), Error, "at least one");
});
