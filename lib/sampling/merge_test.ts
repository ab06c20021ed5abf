import { assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { mergeSorted } from "./merge.ts";

Deno.test("mergeSorted equals concatenate-and-sort per ray", () => {
  const rng = createRng(17);
  const n = 30, ka = 7, kb = 11;
  const sortedRows = (k: number) => {
    const out = new Float32Array(n * k);
    for (let r = 0; r < n; r++) {
      const row = Array.from({ length: k }, () => Math.round(rng.next() * 20) / 4).sort((x, y) => x - y);
      out.set(row, r * k);
    }
    return out;
  };
  const a = sortedRows(ka), b = sortedRows(kb);
  const m = mergeSorted(a, b, n, ka, kb);
  for (let r = 0; r < n; r++) {
    const want = [...a.subarray(r * ka, (r + 1) * ka), ...b.subarray(r * kb, (r + 1) * kb)].sort((x, y) =>
      x - y
    );
    assertEquals(Array.from(m.subarray(r * (ka + kb), (r + 1) * (ka + kb))), want);
  }
});

Deno.test("mergeSorted handles an empty side and rejects wrong lengths", () => {
  assertEquals(Array.from(mergeSorted(Float32Array.of(1, 2), new Float32Array(0), 1, 2, 0)), [1, 2]);
  assertThrows(
    () => mergeSorted(new Float32Array(3), new Float32Array(2), 2, 2, 1),
    Error,
    "a must be [2, 2]",
  );
});
