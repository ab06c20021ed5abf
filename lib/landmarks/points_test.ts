import { assertEquals, assertThrows } from "@std/assert";
import { LANDMARK_GROUPS, MIRROR_68, mirrorLandmarks } from "./points.ts";

Deno.test("MIRROR_68 is an involution that maps each part onto itself", () => {
  assertEquals(MIRROR_68.map((j) => MIRROR_68[j]), Array.from({ length: 68 }, (_, i) => i));
  assertEquals([...MIRROR_68].sort((a, b) => a - b), Array.from({ length: 68 }, (_, i) => i));
  for (const [part, idx] of Object.entries(LANDMARK_GROUPS)) {
    for (const i of idx) {
      assertEquals((idx as readonly number[]).includes(MIRROR_68[i]), true, `${part}: ${i}`);
    }
  }
  // Fixed points: nose bridge, nose tip, lip centres.
  const fixed = MIRROR_68.map((j, i) => (j === i ? i : -1)).filter((i) => i >= 0);
  assertEquals(fixed, [8, 27, 28, 29, 30, 33, 51, 57, 62, 66]);
  assertEquals([MIRROR_68[0], MIRROR_68[36], MIRROR_68[40], MIRROR_68[48], MIRROR_68[55], MIRROR_68[65]], [
    16,
    45,
    47,
    54,
    59,
    67,
  ]);
});

Deno.test("mirrorLandmarks: a symmetric face mirrors onto itself; mirroring twice is the identity", () => {
  // Build a face symmetric about x = 50: point i at (x, y), its partner at (100 - x, y).
  const lms = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    const j = MIRROR_68[i];
    if (j < i) continue;
    const x = j === i ? 50 : 20 + (i % 25), y = 10 + i;
    lms[2 * i] = x, lms[2 * i + 1] = y;
    lms[2 * j] = 100 - x, lms[2 * j + 1] = y;
  }
  assertEquals(mirrorLandmarks(lms, 100), lms);
  const random = Float32Array.from({ length: 136 }, (_, k) => (k * 37) % 101);
  assertEquals(mirrorLandmarks(mirrorLandmarks(random, 256), 256), random);
  assertThrows(() => mirrorLandmarks(new Float32Array(10), 5), Error, "has 10 numbers, expected 136");
});
