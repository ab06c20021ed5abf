import { assert, assertEquals, assertThrows } from "@std/assert";
import { gridLevels, hashVertex2d, levelResolutions, vertexRow } from "./grid_levels.ts";

Deno.test("level resolutions grow geometrically from base to max", () => {
  const r = levelResolutions(8, 16, 512);
  assertEquals(r.length, 8);
  assertEquals(r[0], 16);
  assertEquals(r[7], 512);
  const b = Math.pow(32, 1 / 7);
  r.forEach((n, l) => assertEquals(n, Math.floor(16 * b ** l + 1e-6)));
  for (let l = 1; l < r.length; l++) assert(r[l] > r[l - 1], `strictly increasing here: ${r}`);
  assertEquals(levelResolutions(1, 5, 9), [5]);
  assertEquals(levelResolutions(4, 8, 8), [8, 8, 8, 8]);
  assertThrows(() => levelResolutions(0, 4, 8), Error, "levels");
  assertThrows(() => levelResolutions(2, 8, 4), Error, "max resolution");
});

Deno.test("levels are dense while (N+1)^2 fits the table, hashed beyond; log2HashSize 0 is always dense", () => {
  const levels = gridLevels({ levels: 4, baseResolution: 4, maxResolution: 32, log2HashSize: 8 });
  assertEquals(levels.map((l) => l.resolution), [4, 8, 16, 32]);
  assertEquals(levels.map((l) => l.hashed), [false, false, true, true]); // 25, 81 <= 256 < 289, 1089
  assertEquals(levels.map((l) => l.tableSize), [25, 81, 256, 256]);
  const dense = gridLevels({ levels: 2, baseResolution: 4, maxResolution: 32, log2HashSize: 0 });
  assertEquals(dense.map((l) => [l.tableSize, l.hashed]), [[25, false], [1089, false]]);
  assertThrows(
    () => gridLevels({ levels: 2, baseResolution: 4, maxResolution: 8, log2HashSize: 31 }),
    Error,
    "log2HashSize",
  );
});

Deno.test("hash equals (i XOR j * 2654435761 mod 2^32) mod T, is in range and deterministic", () => {
  const T = 1 << 12;
  const seen = new Set<number>();
  for (let j = 0; j <= 300; j += 7) {
    for (let i = 0; i <= 300; i += 5) {
      const h = hashVertex2d(i, j, T);
      // Independent reference in BigInt arithmetic.
      const ref = Number((BigInt(i) ^ ((BigInt(j) * 2654435761n) % (1n << 32n))) % BigInt(T));
      assertEquals(h, ref, `(${i}, ${j})`);
      assert(Number.isInteger(h) && h >= 0 && h < T);
      assertEquals(hashVertex2d(i, j, T), h);
      seen.add(h);
    }
  }
  // 43 x 61 = 2623 vertices into 4096 rows: a usable hash spreads them (collisions expected, not collapse).
  assert(seen.size > 1500, `only ${seen.size} distinct rows`);
});

Deno.test("dense rows enumerate the (N+1)^2 vertices row by row", () => {
  const level = { resolution: 3, tableSize: 16, hashed: false };
  const rows = [];
  for (let j = 0; j <= 3; j++) for (let i = 0; i <= 3; i++) rows.push(vertexRow(i, j, level));
  assertEquals(rows, Array.from({ length: 16 }, (_, k) => k));
  assertEquals(vertexRow(7, 9, { resolution: 40, tableSize: 64, hashed: true }), hashVertex2d(7, 9, 64));
});
