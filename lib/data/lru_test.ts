import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { LruCache } from "./lru.ts";

const bytes = (n: number) => () => Promise.resolve(new Uint8Array(n));
const cacheOf = (max: number) => new LruCache<Uint8Array>(max, (v) => v.byteLength);

Deno.test("LruCache keeps bytes within the bound and evicts the least recently used", async () => {
  const c = cacheOf(100);
  await c.get("a", bytes(40));
  await c.get("b", bytes(40));
  await c.get("a", bytes(40)); // hit: "a" is now the most recent
  await c.get("c", bytes(40)); // 120 > 100: "b" goes
  assert(c.has("a") && c.has("c"));
  assertFalse(c.has("b"));
  assertEquals(c.stats(), { bytes: 80, entries: 2, hits: 1, misses: 3, evictions: 1 });
  await c.get("d", bytes(90)); // drops "a" and "c"
  assertEquals(c.stats().bytes, 90);
  assertEquals(c.stats().entries, 1);
  assertEquals(c.stats().evictions, 3);
});

Deno.test("LruCache returns the cached object and loads once for concurrent callers", async () => {
  const c = cacheOf(100);
  let loads = 0;
  const load = () => {
    loads++;
    return new Promise<Uint8Array>((r) => setTimeout(() => r(new Uint8Array(8)), 5));
  };
  const [x, y] = await Promise.all([c.get("k", load), c.get("k", load)]);
  assertStrictEquals(x, y);
  assertStrictEquals(await c.get("k", load), x);
  assertEquals(loads, 1);
  assertEquals(c.stats().hits, 2);
});

Deno.test("LruCache does not keep values larger than the budget, nor failed loads", async () => {
  const c = cacheOf(10);
  assertEquals((await c.get("big", bytes(11))).byteLength, 11);
  assertFalse(c.has("big"));
  await assertRejects(() => c.get("bad", () => Promise.reject(new Error("boom"))), Error, "boom");
  assertFalse(c.has("bad"));
  assertEquals((await c.get("bad", bytes(3))).byteLength, 3); // retried after the failure
  const zero = cacheOf(0);
  await zero.get("a", bytes(1));
  assertEquals(zero.stats().entries, 0);
  assertThrows(() => cacheOf(-1), Error, "maxBytes must be a number >= 0");
  c.clear();
  assertEquals(c.stats().bytes, 0);
});
