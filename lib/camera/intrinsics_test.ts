import { assertAlmostEquals, assertThrows } from "@std/assert";
import { fovFromIntrinsics, intrinsicsFromFov, scaleIntrinsics } from "./intrinsics.ts";
import { poseToC2w } from "./pose.ts";
import { projectPoints } from "./project.ts";
import { raysForPixels } from "./rays.ts";

Deno.test("intrinsicsFromFov and fovFromIntrinsics are inverse", () => {
  const intr = intrinsicsFromFov(0.4, { width: 450, height: 300 });
  assertAlmostEquals(intr.focal, 225 / Math.tan(0.2), 1e-9);
  const { fovX, fovY } = fovFromIntrinsics(intr);
  assertAlmostEquals(fovX, 0.4, 1e-12);
  assertAlmostEquals(fovY, 2 * Math.atan(150 / intr.focal), 1e-12);
  assertThrows(() => intrinsicsFromFov(Math.PI, { width: 4, height: 4 }), Error, "fovX must be in (0, pi)");
});

Deno.test("a pixel of the half-size image sees the centre of its 2x2 block in the full image", () => {
  const full = { focal: 100, cx: 16, cy: 12, width: 32, height: 24 };
  const half = scaleIntrinsics(full, 0.5);
  const c2w = poseToC2w([0.1, 0.2, 0], [0, 0, -3]);
  const u = 5, v = 9;
  const { origins, dirs } = raysForPixels(c2w, Int32Array.of(v * half.width + u), half);
  const p = Float32Array.from([0, 1, 2], (k) => origins[k] + 3 * dirs[k]);
  const [fu, fv] = projectPoints(p, c2w, full);
  assertAlmostEquals(fu, 2 * u + 1, 1e-3);
  assertAlmostEquals(fv, 2 * v + 1, 1e-3);
  assertThrows(() => scaleIntrinsics(full, 0.3), Error, "whole pixels");
});
