import { assertAlmostEquals, assertThrows } from "@std/assert";
import { mouthOpening } from "./mouth.ts";

Deno.test("mouthOpening: inner-lip gap over outer-eye-corner distance, invariant to scale and rotation", () => {
  const lms = new Float32Array(136);
  const set = (i: number, x: number, y: number) => (lms[2 * i] = x, lms[2 * i + 1] = y);
  set(36, 10, 20), set(45, 90, 20); // eyes 80 apart
  set(61, 40, 70), set(62, 50, 69), set(63, 60, 70); // upper inner lip
  set(67, 40, 78), set(66, 50, 81), set(65, 60, 78); // lower inner lip: gaps 8, 12, 8
  assertAlmostEquals(mouthOpening(lms), (8 + 12 + 8) / 3 / 80, 1e-9);
  // Rotate by 30 degrees and scale by 2.5 about (7, -3): same ratio.
  const c = Math.cos(Math.PI / 6) * 2.5, s = Math.sin(Math.PI / 6) * 2.5;
  const t = lms.map((_, k) => {
    const x = lms[k & ~1], y = lms[k | 1];
    return k % 2 ? 7 + s * x + c * y : -3 + c * x - s * y;
  });
  assertAlmostEquals(mouthOpening(t), (8 + 12 + 8) / 3 / 80, 1e-6);
  assertThrows(() => mouthOpening(new Float32Array(136)), Error, "outer eye corners 36 and 45 coincide");
});
