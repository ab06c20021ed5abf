import { assert, assertAlmostEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { eulerToMatrix } from "./euler.ts";
import { poseToC2w } from "./pose.ts";
import { projectPoints } from "./project.ts";
import { raysForPixels } from "./rays.ts";

const INTR = { focal: 120, cx: 32, cy: 30, width: 64, height: 60 };

Deno.test("points along a pixel's ray project onto that pixel's centre", () => {
  const rng = createRng(31);
  const c2w = poseToC2w([0.1, -0.25, 0.05], [0.05, 0.1, -3]);
  for (const normalize of [false, true]) {
    const ids = Int32Array.from({ length: 40 }, () => rng.int(INTR.width * INTR.height));
    const { origins, dirs } = raysForPixels(c2w, ids, INTR, { normalize });
    const ts = [0.5, 2, 7];
    const pts = new Float32Array(ids.length * ts.length * 3);
    for (let i = 0; i < ids.length; i++) {
      for (let j = 0; j < ts.length; j++) {
        for (let k = 0; k < 3; k++) {
          pts[(i * ts.length + j) * 3 + k] = origins[3 * i + k] + ts[j] * dirs[3 * i + k];
        }
      }
    }
    const uv = projectPoints(pts, c2w, INTR);
    for (let i = 0; i < ids.length; i++) {
      const u = ids[i] % INTR.width, v = Math.floor(ids[i] / INTR.width);
      for (let j = 0; j < ts.length; j++) {
        assertAlmostEquals(uv[(i * ts.length + j) * 2], u + 0.5, 2e-3);
        assertAlmostEquals(uv[(i * ts.length + j) * 2 + 1], v + 0.5, 2e-3);
      }
    }
  }
});

Deno.test("projection of known head points matches the hand pinhole projection of R x + t", () => {
  const euler = [0.15, 0.3, -0.2] as const, trans = [0.2, -0.1, -2.5] as const;
  const c2w = poseToC2w(euler, trans);
  const R = eulerToMatrix(euler);
  const xs = [[0, 0, 0], [0.3, 0.1, -0.2], [-0.4, 0.5, 0.3]];
  const uv = projectPoints(Float32Array.from(xs.flat()), c2w, INTR);
  xs.forEach((x, i) => {
    // The head pose puts x at R x + t in the camera frame (AD-NeRF tracker: u = cx - f X / Z, v = cy + f Y / Z).
    const [X, Y, Z] = [0, 1, 2].map((r) =>
      R[3 * r] * x[0] + R[3 * r + 1] * x[1] + R[3 * r + 2] * x[2] + trans[r]
    );
    assertAlmostEquals(uv[2 * i], INTR.cx - INTR.focal * X / Z, 1e-3);
    assertAlmostEquals(uv[2 * i + 1], INTR.cy + INTR.focal * Y / Z, 1e-3);
  });
  // The canonical origin, 2.5 in front with a small offset: u = 32 - 120 * 0.2 / -2.5 = 41.6, v = 30 + 120 * -0.1 / -2.5 = 34.8.
  const [u0, v0] = projectPoints(new Float32Array(3), poseToC2w([0, 0, 0], trans), INTR);
  assertAlmostEquals(u0, 41.6, 1e-4);
  assertAlmostEquals(v0, 34.8, 1e-4);
});

Deno.test("points behind the camera project to NaN; bad shapes throw", () => {
  const identity = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  const uv = projectPoints(Float32Array.of(0, 0, 1, 0, 0, 0), identity, INTR);
  assert(uv.every(Number.isNaN));
  assertThrows(() => projectPoints(new Float32Array(4), identity, INTR), Error, "[n, 3]");
});
