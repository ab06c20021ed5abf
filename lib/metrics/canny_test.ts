import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { cannyEdges, gaussianBlur, sobel } from "./canny.ts";

function transpose(p: Float64Array | Uint8Array, w: number, h: number): Float64Array {
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[x * h + y] = p[y * w + x];
  return out;
}

const columnsWithEdges = (e: Uint8Array, w: number) =>
  [...new Set([...e.keys()].filter((i) => e[i]).map((i) => i % w))].sort((a, b) => a - b);

Deno.test("gaussianBlur keeps constants (border renormalised) and sums to the image total inside", () => {
  const flat = new Float64Array(7 * 5).fill(3);
  for (const v of gaussianBlur({ width: 7, height: 5, data: flat }, 1).data) assertAlmostEquals(v, 3, 1e-12);
  // An impulse far from the border spreads into weights exp(-d^2/2) / sum, summing to 1.
  const imp = new Float64Array(21 * 21);
  imp[10 * 21 + 10] = 1;
  const b = gaussianBlur({ width: 21, height: 21, data: imp }, 1).data;
  assertAlmostEquals(b.reduce((s, v) => s + v, 0), 1, 1e-12);
  assertAlmostEquals(b[10 * 21 + 11] / b[10 * 21 + 10], Math.exp(-0.5), 1e-12);
});

Deno.test("sobel: a unit ramp along x gives gx = 8, gy = 0 inside the image", () => {
  const w = 6, h = 5;
  const ramp = Float64Array.from({ length: w * h }, (_, i) => i % w);
  const { gx, gy } = sobel({ width: w, height: h, data: ramp });
  assertEquals(gx[2 * w + 2], 8); // (1 + 2 + 1) * (x+1 - (x-1))
  assertEquals(gy[2 * w + 2], 0);
  assertEquals(gx[2 * w], 4); // replicated border: one-sided difference
});

Deno.test("cannyEdges: a vertical step gives edges on the two columns beside it, none on a constant image", () => {
  const w = 16, h = 12;
  const step = Float64Array.from({ length: w * h }, (_, i) => (i % w < 8 ? 10 : 200));
  const e = cannyEdges({ width: w, height: h, data: step });
  assertEquals(columnsWithEdges(e, w), [7, 8]);
  // Rows 1..h-2 (the 1 px image border is dropped).
  assertEquals(e.reduce((s, v) => s + v, 0), 2 * (h - 2));
  assertEquals(
    cannyEdges({ width: w, height: h, data: new Float64Array(w * h).fill(77) }).some((v) => v > 0),
    false,
  );
});

Deno.test("cannyEdges: transposing the image transposes the edges", () => {
  const w = 23, h = 19, rng = createRng(3);
  const img = gaussianBlur({
    width: w,
    height: h,
    data: Float64Array.from({ length: w * h }, () => 255 * rng.next()),
  }, 1.2);
  const e = cannyEdges(img, { low: 2, high: 5 });
  const et = cannyEdges({ width: h, height: w, data: transpose(img.data, w, h) }, { low: 2, high: 5 });
  assert(e.some((v) => v > 0));
  assertEquals(Array.from(et), Array.from(transpose(e, w, h)));
});

Deno.test("cannyEdges: hysteresis keeps exactly the weak components that touch a strong pixel (union-find check)", () => {
  const w = 40, h = 32, rng = createRng(5);
  const img = gaussianBlur({
    width: w,
    height: h,
    data: Float64Array.from({ length: w * h }, () => 255 * rng.next()),
  }, 1.5);
  const [low, high] = [10, 30];
  const weak = cannyEdges(img, { low, high: low }); // every NMS pixel >= low
  const strong = cannyEdges(img, { low: high, high }); // every NMS pixel >= high
  // Independent path: label 8-connected components of `weak` with union-find.
  const parent = Int32Array.from({ length: w * h }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!weak[y * w + x]) continue;
      for (const [dx, dy] of [[1, 0], [0, 1], [1, 1], [-1, 1]]) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && xx < w && yy < h && weak[yy * w + xx]) parent[find(y * w + x)] = find(yy * w + xx);
      }
    }
  }
  const strongRoots = new Set([...strong.keys()].filter((i) => strong[i]).map(find));
  const expected = Array.from(weak, (v, i) => (v && strongRoots.has(find(i)) ? 1 : 0));
  const got = cannyEdges(img, { low, high });
  assertEquals(Array.from(got), expected);
  const count = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
  // Non-trivial: some weak pixels are kept beyond the strong ones, and some are dropped.
  assert(
    count(got) > count(strong) && count(got) < count(weak),
    `${count(strong)} < ${count(got)} < ${count(weak)}`,
  );
  assertThrows(() => cannyEdges(img, { low: 5, high: 3 }), Error, "low threshold 5");
  assertThrows(() => cannyEdges({ ...img, height: 3 }), Error, "expected width*height = 120");
});
