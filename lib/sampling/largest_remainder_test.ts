import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { largestRemainder } from "./largest_remainder.ts";

Deno.test("largest remainder: exact totals, |count - quota| < 1, zero weights get nothing", () => {
  const rng = createRng(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(12);
    const w = Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : rng.next()));
    if (!w.some((x) => x > 0)) w[0] = 1;
    const total = rng.int(3000);
    const c = largestRemainder(w, total);
    const sum = w.reduce((a, b) => a + b, 0);
    assertEquals(c.reduce((a, b) => a + b, 0), total);
    c.forEach((ck, k) => {
      assertLess(Math.abs(ck - total * w[k] / sum), 1);
      if (w[k] === 0) assertEquals(ck, 0);
    });
  }
});

Deno.test("largest remainder: hand-worked splits, ties to the lower index", () => {
  assertEquals(Array.from(largestRemainder([1, 1, 1], 10)), [4, 3, 3]); // quotas 3.33 each
  assertEquals(Array.from(largestRemainder([1, 1], 3)), [2, 1]); // tie 1.5 / 1.5
  assertEquals(Array.from(largestRemainder([0.1, 0.6, 0.3], 7)), [1, 4, 2]); // 0.7, 4.2, 2.1
  assertEquals(Array.from(largestRemainder([0, 0], 0)), [0, 0]);
});

Deno.test("largest remainder: rejects bad input", () => {
  assertThrows(() => largestRemainder([1, -1], 3), Error, "weights");
  assertThrows(() => largestRemainder([0, 0], 3), Error, "sum to 0");
  assertThrows(() => largestRemainder([1], 2.5), Error, "total");
  assert(largestRemainder([], 0).length === 0);
});
