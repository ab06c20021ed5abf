import { assertEquals } from "@std/assert";
import { override, TINY } from "../lib/config/mod.ts";
import { ablations } from "../experiments/ablations.ts";

Deno.test("ablations: the eye-control row flips the base's eye conditioning and changes nothing else", () => {
  for (const on of [true, false]) {
    const base = override(TINY, { eye: { enabled: on } });
    const rows = ablations(base);
    const label = on ? "w/o eye control" : "with eye control";
    assertEquals(label in rows, true);
    assertEquals((on ? "with eye control" : "w/o eye control") in rows, false);
    const { name: _a, eye: e, ...rest } = rows[label];
    const { name: _b, eye: baseEye, ...baseRest } = base;
    assertEquals([e.enabled, e.freqs], [!on, baseEye.freqs]);
    assertEquals(rest, baseRest);
  }
});
