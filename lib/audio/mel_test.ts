import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { hzToMel, melFilterbank, melToHz } from "./mel.ts";

Deno.test("mel scale: 1000 Hz is ~1000 mel and the inverse round-trips", () => {
  assertAlmostEquals(hzToMel(1000), 999.99, 0.01); // 2595 log10(1 + 10/7)
  for (const hz of [0, 55, 440, 8000]) assertAlmostEquals(melToHz(hzToMel(hz)), hz, 1e-9);
});

Deno.test("melFilterbank(26, 512, 16000): edges snapped to bins, triangles peak at 1", () => {
  const fb = melFilterbank(26, 512, 16000);
  const bins = 257;
  // Edge m: floor(513 * melToHz(m * hzToMel(8000) / 27) / 16000). First three by hand:
  // m=1: mel 2840.02/27 = 105.19 -> 68.4 Hz -> floor(2.19) = 2; m=2: 210.37 -> 141.1 Hz -> floor(4.52) = 4.
  // Filter 0 rises over [0, 2) and falls over [2, 4): weights 0, 0.5 | 1, 0.5.
  assertEquals(Array.from(fb.subarray(0, 5)), [0, 0.5, 1, 0.5, 0]);
  // The last filter ends at bin floor(513 * 8000 / 16000) = 256, which it never reaches.
  assertEquals(fb[25 * bins + 256], 0);
  for (let j = 0; j < 26; j++) {
    const row = Array.from(fb.subarray(j * bins, (j + 1) * bins));
    assertEquals(Math.max(...row), 1, `filter ${j} peaks at 1`);
    assertEquals(Math.min(...row), 0);
  }
});

Deno.test("melFilterbank rejects a band above Nyquist", () => {
  assertThrows(() => melFilterbank(26, 512, 16000, { highFreq: 9000 }), Error, "highFreq");
});
