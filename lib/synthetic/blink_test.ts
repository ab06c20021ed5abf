import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertThrows,
} from "@std/assert";
import { blinkSchedule, evenBlinks, eyeClosureAt, eyeClosurePath } from "./blink.ts";

Deno.test("blink schedule: seeded, within the interval and duration ranges, inside the span", () => {
  const a = blinkSchedule(0, 60, { seed: 4 });
  assertEquals(a, blinkSchedule(0, 60, { seed: 4 }));
  assert(JSON.stringify(a) !== JSON.stringify(blinkSchedule(0, 60, { seed: 5 })));
  // 60 s at one blink per 1.5-3.5 s: 17 to 40 blinks
  assert(a.length >= 17 && a.length <= 40, `${a.length}`);
  for (let i = 0; i < a.length; i++) {
    assert(a[i].duration >= 0.2 && a[i].duration <= 0.3);
    assert(a[i].start >= 0 && a[i].start + a[i].duration <= 60);
    if (i > 0) {
      const gap = a[i].start - a[i - 1].start;
      assert(gap >= 1.5 && gap <= 3.5, `gap ${gap}`);
    }
  }
  const slow = blinkSchedule(10, 20, { seed: 1, intervalSeconds: [4, 5], durationSeconds: [0.1, 0.1] });
  assert(slow.length >= 1 && slow.length <= 3 && slow.every((b) => b.start >= 10 && b.duration === 0.1));
  assertEquals(blinkSchedule(5, 4), []);
  assertThrows(() => blinkSchedule(0, 10, { intervalSeconds: [0.2, 1] }), Error, "longest blink");
  assertThrows(() => blinkSchedule(0, 10, { durationSeconds: [0.3, 0.2] }), Error, "durationSeconds");
});

Deno.test("eyelid closure: 0 outside blinks, rises to 1, stays shut, falls back, continuous", () => {
  const b = [{ start: 1, duration: 0.4 }];
  assertEquals(eyeClosureAt(b, 0.99), 0);
  assertEquals(eyeClosureAt(b, 1.41), 0);
  assertAlmostEquals(eyeClosureAt(b, 1 + 0.4 * 0.175), 0.5, 1e-9); // halfway through closing: sin^2(pi/4)
  assertEquals(eyeClosureAt(b, 1 + 0.4 * 0.45), 1);
  let prev = 0;
  for (let t = 0.9; t < 1.5; t += 0.001) {
    const c = eyeClosureAt(b, t);
    assertLess(Math.abs(c - prev), 0.03);
    prev = c;
  }
  const path = eyeClosurePath(b, 50, 25);
  assertEquals(path.length, 50);
  assertGreater(path.filter((c) => c > 0.5).length, 3);
  assertEquals(path[0], 0);
});

Deno.test("even blinks: centred in equal shares of the span; too many is an error", () => {
  const e = evenBlinks(8.84, 9.76, 3, 0.24);
  assertEquals(e.length, 3);
  const share = 0.92 / 3;
  e.forEach((b, k) => assertAlmostEquals(b.start + 0.12, 8.84 + (k + 0.5) * share, 1e-9));
  assertEquals(evenBlinks(0, 1, 0, 0.24), []);
  assertThrows(() => evenBlinks(0, 0.5, 3, 0.24), Error, "do not fit");
});
