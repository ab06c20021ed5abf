import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { encodeEye, EYE_OFF, eyeCodeDim, eyeConfigProblems } from "./eye_code.ts";

Deno.test("encodeEye: raw value then sin/cos of 2^k pi e, by hand", () => {
  const c = encodeEye({ enabled: true, freqs: 2 }, 0.25);
  const want = [0.25, Math.SQRT1_2, Math.SQRT1_2, 1, 0]; // pi/4, then pi/2
  assertEquals(c.length, 5);
  want.forEach((v, i) => assertAlmostEquals(c[i], v, 1e-6));
  // Shut and open differ in every channel but the ones sin(2^k pi e) = 0 at both ends.
  const shut = encodeEye({ enabled: true, freqs: 1 }, 0), open = encodeEye({ enabled: true, freqs: 1 }, 1);
  assertEquals(Array.from(shut), [0, 0, 1]);
  assertEquals([open[0], Math.round(open[2])], [1, -1]);
  assertEquals(Array.from(encodeEye({ enabled: true, freqs: 0 }, 0.5)), [0.5]);
});

Deno.test("encodeEye refuses values outside [0, 1] and NaN, naming the caller", () => {
  for (const bad of [-0.1, 1.5, NaN]) {
    assertThrows(
      () => encodeEye({ enabled: true, freqs: 2 }, bad, "frame 7"),
      Error,
      "frame 7: the eye openness",
    );
  }
});

Deno.test("eyeCodeDim and eyeConfigProblems", () => {
  assertEquals([eyeCodeDim(undefined), eyeCodeDim(EYE_OFF), eyeCodeDim({ enabled: true, freqs: 3 })], [
    0,
    0,
    7,
  ]);
  assertEquals(eyeConfigProblems(undefined), []);
  assertEquals(eyeConfigProblems({ enabled: true, freqs: 2 }), []);
  const p = eyeConfigProblems({ enabled: "yes" as unknown as boolean, freqs: 1.5 });
  assertEquals(p.length, 2);
  assertEquals(p[0].startsWith("eye.enabled"), true);
  assertEquals(p[1].startsWith("eye.freqs"), true);
});
