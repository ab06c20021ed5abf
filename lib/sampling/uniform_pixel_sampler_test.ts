import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { uniformPixelSampler } from "./uniform_pixel_sampler.ts";

Deno.test("uniform sampler: in bounds, repeatable for a seed, each pixel within binomial tolerance", () => {
  const frame = { width: 5, height: 4 };
  const count = 20000;
  const ids = uniformPixelSampler().sample(frame, count, createRng(10));
  assertEquals(ids.length, count);
  assertEquals(uniformPixelSampler().sample(frame, count, createRng(10)), ids);
  const hist = new Array(20).fill(0);
  for (const id of ids) {
    assert(id >= 0 && id < 20, `id ${id}`);
    hist[id]++;
  }
  // Each count ~ Binomial(20000, 1/20): mean 1000, sd 30.8; 5 sd.
  for (const h of hist) assertLess(Math.abs(h - 1000), 5 * 30.8);
});

Deno.test("uniform sampler rejects bad frames and counts", () => {
  const s = uniformPixelSampler();
  assertThrows(() => s.sample({ width: 0, height: 4 }, 1, createRng(1)), Error, "positive integers");
  assertThrows(() => s.sample({ width: 2, height: 2 }, 1.5, createRng(1)), Error, "count");
  assertThrows(
    () => s.sample({ width: 2, height: 2, parsing: new Uint8Array(3) }, 1, createRng(1)),
    Error,
    "parsing",
  );
});
