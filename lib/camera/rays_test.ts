import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { eulerToMatrix } from "./euler.ts";
import { poseToC2w } from "./pose.ts";
import { raysForImage, raysForPixels } from "./rays.ts";

const IDENTITY = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);

Deno.test("rays through pixel centres with the identity camera, by hand", () => {
  const intr = { focal: 10, cx: 3, cy: 2, width: 6, height: 4 };
  // id 0 = (0, 0): ((0.5 - 3) / 10, -(0.5 - 2) / 10, -1); id 23 = (5, 3): (0.25, -0.15, -1).
  const { origins, dirs } = raysForPixels(IDENTITY, Int32Array.of(0, 23), intr);
  const expected = [-0.25, 0.15, -1, 0.25, -0.15, -1];
  for (let i = 0; i < 6; i++) assertAlmostEquals(dirs[i], expected[i], 1e-7);
  assertEquals(Array.from(origins), [0, 0, 0, 0, 0, 0]);
});

Deno.test("rays of a posed camera: origin is the camera centre, direction is R_c2w d", () => {
  const euler = [0.2, -0.3, 0.1] as const, trans = [0.1, -0.2, -4] as const;
  const c2w = poseToC2w(euler, trans);
  const intr = { focal: 50, cx: 20, cy: 20, width: 40, height: 40 };
  const id = 7 * 40 + 31; // (u, v) = (31, 7)
  const { origins, dirs } = raysForPixels(c2w, Uint32Array.of(id), intr);
  // Independent path: R_c2w = R^T of the head rotation, centre = -R^T t.
  const R = eulerToMatrix(euler);
  const d = [(31.5 - 20) / 50, -(7.5 - 20) / 50, -1];
  for (let i = 0; i < 3; i++) {
    const expDir = R[i] * d[0] + R[3 + i] * d[1] + R[6 + i] * d[2];
    const expOrigin = -(R[i] * trans[0] + R[3 + i] * trans[1] + R[6 + i] * trans[2]);
    assertAlmostEquals(dirs[i], expDir, 1e-6);
    assertAlmostEquals(origins[i], expOrigin, 1e-5);
  }
});

Deno.test("normalize gives unit directions parallel to the depth-scaled ones", () => {
  const c2w = poseToC2w([0.3, 0.2, -0.1], [0, 0, -3]);
  const intr = { focal: 8, cx: 4, cy: 4, width: 8, height: 8 };
  const raw = raysForImage(c2w, intr);
  const unit = raysForImage(c2w, intr, { normalize: true });
  for (let i = 0; i < 64; i++) {
    const r = raw.dirs.subarray(3 * i, 3 * i + 3), u = unit.dirs.subarray(3 * i, 3 * i + 3);
    assertAlmostEquals(Math.hypot(u[0], u[1], u[2]), 1, 1e-6);
    const norm = Math.hypot(r[0], r[1], r[2]);
    for (let k = 0; k < 3; k++) assertAlmostEquals(u[k], r[k] / norm, 1e-6);
  }
});

Deno.test("raysForImage equals raysForPixels over all ids in order", () => {
  const rng = createRng(5);
  const c2w = poseToC2w([rng.next(), rng.next(), rng.next()], [0, 0, -2]);
  const intr = { focal: 5, cx: 2.5, cy: 1.5, width: 5, height: 3 };
  const all = raysForImage(c2w, intr);
  const ids = Int32Array.from({ length: 15 }, (_, i) => i);
  const one = raysForPixels(c2w, ids, intr);
  assertEquals(all.dirs, one.dirs);
  assertEquals(all.origins, one.origins);
});

Deno.test("raysForPixels rejects ids outside the image and bad intrinsics", () => {
  const intr = { focal: 1, cx: 1, cy: 1, width: 2, height: 2 };
  assertThrows(() => raysForPixels(IDENTITY, Int32Array.of(4), intr), Error, "pixelIds[0] must be in [0, 4)");
  assertThrows(() => raysForPixels(IDENTITY, Int32Array.of(-1), intr), Error, "got -1");
  assertThrows(() => raysForImage(IDENTITY, { ...intr, focal: 0 }), Error, "focal must be > 0");
  assertThrows(() => raysForImage(IDENTITY, { ...intr, width: 2.5 }), Error, "positive integers");
});
