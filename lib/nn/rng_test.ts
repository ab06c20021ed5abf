import { assertAlmostEquals, assertEquals, assertNotEquals } from "@std/assert";
import { createRng } from "./rng.ts";

Deno.test("rng: same seed, same sequence; state() resumes it", () => {
  const a = createRng(42), b = createRng(42);
  for (let i = 0; i < 10; i++) assertEquals(a.next(), b.next());
  const resumed = createRng(a.state());
  assertEquals(resumed.next(), a.next());
  assertNotEquals(createRng(1).next(), createRng(2).next());
});

Deno.test("rng: uniform mean 1/2, variance 1/12; normal mean 0, variance 1 (Monte-Carlo)", () => {
  const r = createRng(3);
  const n = 200_000;
  let s = 0, s2 = 0, g = 0, g2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    s += u;
    s2 += u * u;
    const z = r.normal();
    g += z;
    g2 += z * z;
  }
  assertAlmostEquals(s / n, 0.5, 0.005);
  assertAlmostEquals(s2 / n - (s / n) ** 2, 1 / 12, 0.002);
  assertAlmostEquals(g / n, 0, 0.01);
  assertAlmostEquals(g2 / n, 1, 0.02);
});
