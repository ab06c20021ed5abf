import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { faceRectPixelRange, faceRectPixelSampler } from "./face_rect_pixel_sampler.ts";
import { createPixelSampler } from "./create.ts";
import { uniformPixelSampler } from "./uniform_pixel_sampler.ts";

const W = 40, H = 30;
const RECT = [10, 5, 12, 8] as const; // pixels u 10..21, v 5..12: 96 of 1200
const inRect = (id: number) => {
  const u = id % W, v = Math.floor(id / W);
  return u >= 10 && u < 22 && v >= 5 && v < 13;
};

Deno.test("face box pixel range uses pixel centres and clips to the image", () => {
  assertEquals(faceRectPixelRange(RECT, W, H), { u0: 10, u1: 22, v0: 5, v1: 13 });
  // Centres 0.5, 1.5, ...: x = 0.6 excludes u = 0; x + w = 2.5 excludes u = 2 (2.5 < 2.5 is false).
  assertEquals(faceRectPixelRange([0.6, -3, 1.9, 100], W, H), { u0: 1, u1: 2, v0: 0, v1: 30 });
});

Deno.test("95 % of rays inside the box, the rest outside, each part uniform within binomial tolerance", () => {
  const count = 4000;
  const ids = faceRectPixelSampler().sample({ width: W, height: H, faceRect: RECT }, count, createRng(3));
  const nIn = Math.round(0.95 * count);
  let leftHalf = 0, outAbove = 0, outBand = 0;
  ids.forEach((id, i) => {
    assert(id >= 0 && id < W * H);
    assertEquals(inRect(id), i < nIn, `ray ${i} (id ${id})`);
    const u = id % W, v = Math.floor(id / W);
    if (i < nIn && u < 16) leftHalf++;
    if (i >= nIn && v < 5) outAbove++;
    if (i >= nIn && v >= 5 && v < 13) outBand++;
  });
  // Left half of the box: Binomial(3800, 1/2), sd 30.8. Complement (1104 px): 200 above (p = 200/1104),
  // band 8 * 28 = 224 (p = 224/1104), 200 rays: sd ~ 5.4 and 5.7. All at 4 sd.
  assertLess(Math.abs(leftHalf - nIn / 2), 4 * Math.sqrt(nIn / 4));
  const nOut = count - nIn, pA = 200 / 1104, pB = 224 / 1104;
  assertLess(Math.abs(outAbove - nOut * pA), 4 * Math.sqrt(nOut * pA * (1 - pA)));
  assertLess(Math.abs(outBand - nOut * pB), 4 * Math.sqrt(nOut * pB * (1 - pB)));
});

Deno.test("the complement mapping reaches every outside pixel and no inside one", () => {
  const frame = { width: 6, height: 5, faceRect: [2, 1, 3, 2] as const }; // 6 px inside, 24 outside
  const ids = faceRectPixelSampler({ insideFraction: 0 }).sample(frame, 3000, createRng(12));
  const seen = new Set(ids);
  assertEquals(seen.size, 24);
  for (const id of seen) {
    const u = id % 6, v = Math.floor(id / 6);
    assert(!(u >= 2 && u < 5 && v >= 1 && v < 3), `inside id ${id}`);
  }
});

Deno.test("repeatable for a seed; a frame without a box falls back to the uniform sampler", () => {
  const s = faceRectPixelSampler({ insideFraction: 0.8 });
  const frame = { width: W, height: H, faceRect: RECT };
  assertEquals(s.sample(frame, 500, createRng(4)), s.sample(frame, 500, createRng(4)));
  assertEquals(
    s.sample({ width: W, height: H }, 300, createRng(5)),
    uniformPixelSampler().sample({ width: W, height: H }, 300, createRng(5)),
  );
});

Deno.test("degenerate boxes: empty box samples outside only; a box covering the image samples inside", () => {
  const empty = faceRectPixelSampler().sample(
    { width: 4, height: 4, faceRect: [50, 50, 5, 5] },
    100,
    createRng(1),
  );
  assert(empty.every((id) => id >= 0 && id < 16));
  const full = faceRectPixelSampler({ insideFraction: 0.5 })
    .sample({ width: 4, height: 4, faceRect: [-1, -1, 10, 10] }, 100, createRng(1));
  assert(full.every((id) => id >= 0 && id < 16));
  assertEquals(new Set(full).size, 16);
});

Deno.test("createPixelSampler builds each kind; bad options throw", () => {
  assertEquals(createPixelSampler({ kind: "uniform" }).kind, "uniform");
  const fr = createPixelSampler({ kind: "faceRect", insideFraction: 1 });
  assertEquals(fr.kind, "faceRect");
  assert(fr.sample({ width: W, height: H, faceRect: RECT }, 200, createRng(2)).every(inRect));
  assertThrows(() => faceRectPixelSampler({ insideFraction: 1.2 }), Error, "insideFraction");
  assertThrows(() => faceRectPixelRange([0, 0, -1, 2], 4, 4), Error, "faceRect");
});
