import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { nearFarFromPoses } from "./bounds.ts";
import { poseToC2w } from "./pose.ts";

Deno.test("near and far enclose the radius ball for cameras at known distances", () => {
  // Rotations do not change the camera distance |-R^T t| = |t|: distances 3 and 5.
  const c2ws = [poseToC2w([0.2, 0.1, 0], [0, 0, -3]), poseToC2w([-0.1, 0.3, 0.2], [0, 3, -4])];
  const { near, far } = nearFarFromPoses(c2ws, { radius: 0.5 });
  assertAlmostEquals(near, 2.5, 1e-6);
  assertAlmostEquals(far, 5.5, 1e-6);
  const d = nearFarFromPoses(c2ws); // default radius: 3 / 2
  assertAlmostEquals(d.near, 1.5, 1e-6);
  assertAlmostEquals(d.far, 6.5, 1e-6);
});

Deno.test("near is clamped above zero when the radius reaches the camera", () => {
  const { near, far } = nearFarFromPoses([poseToC2w([0, 0, 0], [0, 0, -2])], { radius: 3 });
  assertAlmostEquals(near, 0.02, 1e-7);
  assertEquals(far, 5);
});

Deno.test("nearFarFromPoses rejects empty input, a camera at the origin and a bad radius", () => {
  assertThrows(() => nearFarFromPoses([]), Error, "at least one camera");
  assertThrows(() => nearFarFromPoses([poseToC2w([0, 0, 0], [0, 0, 0])]), Error, "away from the origin");
  assertThrows(() => nearFarFromPoses([poseToC2w([0, 0, 0], [0, 0, -1])], { radius: -1 }), Error, "radius");
});
