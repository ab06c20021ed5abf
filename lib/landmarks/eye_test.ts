import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { eyeAspectRatio, eyeSignalFromLandmarks, normalizeEyeSeries } from "./eye.ts";

/** 68 points with both eyes drawn as hexagons: corners `w` apart, upper and lower lid points `h` apart. */
function face(w: number, h: number, x0 = 100, y0 = 80): Float32Array {
  const lms = new Float32Array(136);
  for (const [base, cx] of [[36, x0], [42, x0 + 2 * w]] as const) {
    const pts = [[-w / 2, 0], [-w / 6, -h / 2], [w / 6, -h / 2], [w / 2, 0], [w / 6, h / 2], [-w / 6, h / 2]];
    pts.forEach(([x, y], k) => lms.set([cx + x, y0 + y], 2 * (base + k)));
  }
  return lms;
}

Deno.test("eye aspect ratio: hand-made eyes of known height / width, closed eyes, both eyes averaged", () => {
  assertAlmostEquals(eyeAspectRatio(face(30, 9)), 0.3, 1e-6); // (9 + 9) / (2 * 30)
  assertEquals(eyeAspectRatio(face(30, 0)), 0); // shut: the lids' points coincide
  // scale-free: the same eye twice as large
  assertAlmostEquals(eyeAspectRatio(face(60, 18, 300, 200)), 0.3, 1e-6);
  // one eye shut, one open: the mean
  const mixed = face(30, 9);
  mixed.set(face(30, 0).subarray(2 * 42, 2 * 48), 2 * 42);
  assertAlmostEquals(eyeAspectRatio(mixed), 0.15, 1e-6);
  // tilted face: the ratio does not depend on the eye's direction
  const a = Math.PI / 7, c = Math.cos(a), s = Math.sin(a), f = face(30, 9);
  const rot = Float32Array.from(
    { length: 136 },
    (_, i) => i % 2 === 0 ? c * f[i] - s * f[i + 1] : s * f[i - 1] + c * f[i],
  );
  assertAlmostEquals(eyeAspectRatio(rot), 0.3, 1e-5);
  assertThrows(() => eyeAspectRatio(new Float32Array(136)), Error, "corners 36 and 39 coincide");
  assertThrows(() => eyeAspectRatio(new Float32Array(10)), Error, "136");
});

Deno.test("eye signal: divided by the video's 90th percentile, clamped, shut = 0", () => {
  // 20 frames: 17 open (EAR 0.3), one wide (0.36), a blink at 0.15 and 0
  const ears = [...Array(17).fill(0.3), 0.36, 0.15, 0];
  const eye = normalizeEyeSeries(ears);
  // sorted: 0, 0.15, 0.3 x 17, 0.36; rank round(0.9 * 19) = 17 -> 0.3
  assertEquals(eye.slice(0, 17), Array(17).fill(1));
  assertEquals(eye.slice(17), [1, 0.5, 0]);
  assertEquals(normalizeEyeSeries([0, 0]), [0, 0]);
  assertEquals(normalizeEyeSeries([]), []);
  assertThrows(() => normalizeEyeSeries([0.3, NaN]), Error, "value 1");
  assertThrows(() => normalizeEyeSeries([0.3], 0), Error, "quantile");
  const lms = [face(30, 9), face(30, 9), face(30, 4.5), face(30, 0)];
  assertEquals(eyeSignalFromLandmarks(lms), [1, 1, 0.5, 0]);
});
