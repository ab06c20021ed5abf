import { assertAlmostEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { eulerToMatrix } from "./euler.ts";
import { c2wToPose, poseToC2w } from "./pose.ts";

function randomPose(rng: ReturnType<typeof createRng>) {
  const euler = [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5] as [number, number, number];
  const trans = [rng.next() - 0.5, rng.next() - 0.5, -3 - rng.next()] as [number, number, number];
  return { euler, trans };
}

Deno.test("c2w maps a head point's camera coordinates R x + t back to the canonical point x", () => {
  const rng = createRng(21);
  for (let trial = 0; trial < 10; trial++) {
    const { euler, trans } = randomPose(rng);
    const R = eulerToMatrix(euler);
    const c2w = poseToC2w(euler, trans);
    const x = [rng.next() - 0.5, rng.next() - 0.5, rng.next() - 0.5];
    const cam = [0, 1, 2].map((i) => R[3 * i] * x[0] + R[3 * i + 1] * x[1] + R[3 * i + 2] * x[2] + trans[i]);
    for (let i = 0; i < 3; i++) {
      const w = c2w[4 * i] * cam[0] + c2w[4 * i + 1] * cam[1] + c2w[4 * i + 2] * cam[2] + c2w[4 * i + 3];
      assertAlmostEquals(w, x[i], 1e-5, `trial ${trial} axis ${i}`);
    }
    assertAlmostEquals(c2w[12] + c2w[13] + c2w[14], 0);
    assertAlmostEquals(c2w[15], 1);
  }
});

Deno.test("c2wToPose inverts poseToC2w", () => {
  const rng = createRng(22);
  for (let trial = 0; trial < 20; trial++) {
    const { euler, trans } = randomPose(rng);
    const back = c2wToPose(poseToC2w(euler, trans));
    for (let i = 0; i < 3; i++) {
      assertAlmostEquals(back.euler[i], euler[i], 2e-6);
      assertAlmostEquals(back.trans[i], trans[i], 2e-6);
    }
  }
});

Deno.test("pose functions reject malformed input", () => {
  assertThrows(() => poseToC2w([0, 0, 0], [0, Infinity, 0]), Error, "trans must be 3 finite");
  assertThrows(() => c2wToPose(new Float32Array(12)), Error, "length 16");
});
