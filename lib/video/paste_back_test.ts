import { assert, assertAlmostEquals, assertEquals, assertLess } from "@std/assert";
import type { Image } from "../io/types.ts";
import { pasteAlpha, pasteBack, renderedCrops, seamGradients } from "./paste_back.ts";

/** A smooth colour ramp, `w` x `h`. */
function ramp(w: number, h: number): Image {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      data[o] = 40 + x, data[o + 1] = 60 + y, data[o + 2] = 100;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** The crop of `img` at (x, y), side `s`, with `offset` added to every channel. */
function cropOf(img: Image, x0: number, y0: number, s: number, offset: number): Image {
  const data = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      for (let k = 0; k < 3; k++) {
        data[(y * s + x) * 3 + k] = Math.min(255, img.data[((y0 + y) * img.width + x0 + x) * 3 + k] + offset);
      }
    }
  }
  return { width: s, height: s, channels: 3, data };
}

Deno.test("pasteAlpha: 1 on the mask, 0 two feather radii outside it and at the crop's edge, hard with feather 0", () => {
  const n = 32;
  const mask = new Uint8Array(n * n);
  for (let y = 10; y < 22; y++) for (let x = 10; x < 22; x++) mask[y * n + x] = 1;
  const a = pasteAlpha(mask, n, n, 3);
  for (let y = 10; y < 22; y++) for (let x = 10; x < 22; x++) assertEquals(a[y * n + x], 1);
  assertEquals(a[16 * n + 3], 0); // 7 px left of the mask: beyond 2 x 3
  // Monotone fall-off along a row leaving the mask.
  for (let x = 22; x < 30; x++) assert(a[16 * n + x + 1] <= a[16 * n + x] + 1e-7);
  assert(a[16 * n + 23] > 0 && a[16 * n + 23] < 1);
  // Hard mask: the mask itself.
  assertEquals([...pasteAlpha(mask, n, n, 0)], [...mask]);
  // Mask of a smaller render, resampled to the crop: the square scales by 2.
  const big = pasteAlpha(mask, n, 2 * n, 0);
  assertEquals(big[(2 * 16) * 2 * n + 2 * 16], 1);
  assertEquals(big[(2 * 16) * 2 * n + 2 * 8], 0);
  // Whole crop: 1 inside, falling to ~0 at the rim.
  const whole = pasteAlpha(undefined, n, n, 4);
  assertEquals(whole[16 * n + 16], 1);
  assertLess(whole[0], 0.15);
});

Deno.test("pasteBack: outside the crop the source unchanged, weight 1 takes the rendering, 0.5 the mean", () => {
  const src = ramp(40, 30);
  const crop = { x: 10, y: 5, w: 16, h: 16 };
  const rendered = cropOf(src, 10, 5, 16, 30);
  const alpha = new Float32Array(16 * 16).fill(1);
  alpha[0] = 0.5;
  const out = pasteBack(src, rendered, alpha, crop);
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const o = (y * 40 + x) * 3;
      const inside = x >= 10 && x < 26 && y >= 5 && y < 21;
      const want = !inside ? src.data[o] : x === 10 && y === 5 ? src.data[o] + 15 : src.data[o] + 30;
      assertEquals(out.data[o], want);
    }
  }
  // A render at half the crop's size is enlarged: a flat render stays flat.
  const flat = { width: 8, height: 8, channels: 3 as const, data: new Uint8Array(8 * 8 * 3).fill(77) };
  const out2 = pasteBack(src, flat, new Float32Array(256).fill(1), crop);
  assertEquals(out2.data[(12 * 40 + 17) * 3], 77);
});

Deno.test("seamGradients: a colour step pasted hard shows at the border; feathered it does not", () => {
  const src = ramp(64, 64);
  const crop = { x: 16, y: 16, w: 32, h: 32 };
  const rendered = cropOf(src, 16, 16, 32, 24); // 24 levels brighter: a mismatch a seam would show
  const hardAlpha = pasteAlpha(undefined, 32, 32, 0);
  const softAlpha = pasteAlpha(undefined, 32, 32, 4);
  const hard = seamGradients(pasteBack(src, rendered, hardAlpha, crop), hardAlpha, crop);
  const soft = seamGradients(pasteBack(src, rendered, softAlpha, crop), softAlpha, crop);
  const base = seamGradients(src, softAlpha, crop);
  // The ramp's own gradient: (1 + 1) / 3 / 2 per pixel of luminance.
  assertAlmostEquals(base.elsewhere, 1 / 3, 0.05);
  assert(hard.band > 5 * base.band, `hard seam ${hard.band} vs source ${base.band}`);
  assertLess(soft.band, hard.band / 2);
  assertLess(soft.band, base.band + 24 / 8); // a 24-level rise spread over about 2 x 4 pixels
});

Deno.test("renderedCrops: the person of the rendered parsing, else of the fallback, else the whole crop", async () => {
  const rgb = new Float32Array(2 * 2 * 3).fill(0.5);
  const frames = [
    { width: 2, height: 2, rgb, parsing: Uint8Array.of(0, 1, 9, 0) },
    { width: 2, height: 2, rgb },
    { width: 2, height: 2, rgb },
  ];
  const got = [];
  for await (
    const c of renderedCrops(frames, (i) => Promise.resolve(i === 1 ? Uint8Array.of(3, 0, 0, 0) : undefined))
  ) {
    got.push(c);
  }
  assertEquals(got.map((c) => c.mask && [...c.mask]), [[0, 1, 1, 0], [1, 0, 0, 0], undefined]);
  assertEquals(got[0].image.data[0], 128);
});
