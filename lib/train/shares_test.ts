import { assert, assertEquals, assertThrows } from "@std/assert";
import { shareRanges } from "./shares.ts";

Deno.test("shareRanges: contiguous shares covering every item, weights count / n, the first one scaled", () => {
  for (const n of [1, 2, 3, 7, 64, 1023, 1024]) {
    for (const parts of [1, 2, 3, 4]) {
      for (const scale of [1, 0.5, 0.986, 1.2]) {
        if (scale > parts) continue;
        const r = shareRanges(n, parts, scale);
        const what = `n ${n}, parts ${parts}, scale ${scale}`;
        assertEquals(r.length, Math.min(n, parts), what);
        let at = 0;
        for (const [start, count, w] of r) {
          assertEquals(start, at, what);
          assert(count >= 1, what);
          assertEquals(w, count / n, what);
          at += count;
        }
        assertEquals(at, n, what);
        const k = Math.min(n, parts);
        if (k > 1 && scale !== 1) {
          // The first share as asked (unless that would leave another share empty), the rest even.
          const want = Math.min(n - (k - 1), Math.max(1, Math.round(scale * n / k)));
          assertEquals(r[0][1], want, what);
          const rest = r.slice(1).map(([, c]) => c);
          assert(Math.max(...rest) - Math.min(...rest) <= 1, what);
        }
      }
    }
  }
  // The trainer's two threads on the demo's 1024 rays: 505 here, 519 on the worker.
  assertEquals(shareRanges(1024, 2, 0.986).map(([, c]) => c), [505, 519]);
  assertEquals(shareRanges(5, 2, 1), [[0, 3, 0.6], [3, 2, 0.4]]);
  assertThrows(() => shareRanges(10, 2, 0), Error, "firstScale must be in (0, 2]: got 0");
  assertThrows(() => shareRanges(10, 2, 3), Error, "firstScale must be in (0, 2]: got 3");
});
