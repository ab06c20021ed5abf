import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import type { Image } from "../io/types.ts";
import type { FloatImage } from "./image.ts";
import { meanPsnr, meanSquaredError, psnr, PSNR_CAP_DB, psnrClamped, summarizePsnr } from "./psnr.ts";

function randomImage(w: number, h: number, c: 1 | 3, seed: number): Image {
  const rng = createRng(seed);
  return {
    width: w,
    height: h,
    channels: c,
    data: Uint8Array.from({ length: w * h * c }, () => rng.int(256)),
  };
}

function toFloat(img: Image): FloatImage {
  return { ...img, data: Float32Array.from(img.data, (v) => v / 255) };
}

Deno.test("psnr: hand value, MSE 1/4 on [0, 1] gives 10 log10(4) dB", () => {
  const a: Image = { width: 2, height: 2, channels: 1, data: new Uint8Array([0, 0, 0, 0]) };
  const b: Image = { width: 2, height: 2, channels: 1, data: new Uint8Array([255, 0, 0, 0]) };
  assertAlmostEquals(psnr(a, b), 10 * Math.log10(4), 1e-12);
  assertAlmostEquals(psnr(a, b), 6.0206, 1e-4);
  // maxValue scales the peak: + 20 log10(2)
  assertAlmostEquals(psnr(a, b, { maxValue: 2 }), 6.0206 + 20 * Math.log10(2), 1e-4);
});

Deno.test("psnr: uint8 and the same image as [0, 1] floats agree; direct MSE formula agrees", () => {
  const a = randomImage(13, 9, 3, 1), b = randomImage(13, 9, 3, 2);
  let sse = 0;
  for (let i = 0; i < a.data.length; i++) sse += ((a.data[i] - b.data[i]) / 255) ** 2;
  const direct = -10 * Math.log10(sse / a.data.length);
  assertAlmostEquals(psnr(a, b), direct, 1e-10);
  assertAlmostEquals(psnr(toFloat(a), toFloat(b)), direct, 1e-10);
  assertAlmostEquals(psnr(toFloat(a), b), direct, 1e-10);
});

Deno.test("psnr: float images are quantised to 8 bits by default, not with quantize: false", () => {
  const f: FloatImage = { width: 1, height: 1, channels: 1, data: new Float32Array([0.5]) };
  const u: Image = { width: 1, height: 1, channels: 1, data: new Uint8Array([128]) }; // round(127.5) = 128
  assertEquals(psnr(f, u), Infinity);
  const d = 0.5 - 128 / 255;
  assertAlmostEquals(psnr(f, u, { quantize: false }), -10 * Math.log10(d * d), 1e-6);
});

Deno.test("psnr: a rectangular mask equals the same crop (two paths), and counts only masked pixels", () => {
  const a = randomImage(10, 8, 3, 3), b = randomImage(10, 8, 3, 4);
  const crop = { x: 2, y: 3, w: 5, h: 4 };
  const mask = new Uint8Array(80);
  for (let y = crop.y; y < crop.y + crop.h; y++) {
    for (let x = crop.x; x < crop.x + crop.w; x++) mask[y * 10 + x] = 1;
  }
  assertAlmostEquals(psnr(a, b, { mask }), psnr(a, b, { crop }), 1e-12);
  assertEquals(meanSquaredError(a, b, { mask }).count, 5 * 4 * 3);
  // Crop and mask combine: the crop's top row only.
  const row = { x: 2, y: 3, w: 5, h: 1 };
  assertAlmostEquals(
    psnr(a, b, { mask, crop: { x: 0, y: 0, w: 10, h: 4 } }),
    psnr(a, b, { crop: row }),
    1e-12,
  );
});

Deno.test("psnr: identical frames give Infinity, capped variants give the cap", () => {
  const a = randomImage(4, 4, 1, 5);
  assertEquals(psnr(a, a), Infinity);
  assertEquals(psnrClamped(a, a), PSNR_CAP_DB);
  assertEquals(psnr(a, a, { cap: 60 }), 60);
  const b = randomImage(4, 4, 1, 6);
  assertEquals(psnrClamped(a, b), psnr(a, b));
});

Deno.test("meanPsnr: mean of per-frame dB (not dB of the mean MSE), capped frames counted", () => {
  // MSE 1e-2 -> 20 dB, MSE 1e-4 -> 40 dB: mean 30 dB (dB of the mean MSE would be 19.96 dB).
  const f = (v: number): FloatImage => ({ width: 1, height: 1, channels: 1, data: new Float64Array([v]) });
  const s = meanPsnr([f(0.1), f(0.01), f(0.3)], [f(0), f(0), f(0.3)], { quantize: false });
  assertAlmostEquals(s.perFrame[0], 20, 1e-9);
  assertAlmostEquals(s.perFrame[1], 40, 1e-9);
  assertEquals(s.perFrame[2], 100);
  assertAlmostEquals(s.psnr, (20 + 40 + 100) / 3, 1e-9);
  assertEquals([s.frames, s.capped, s.cap], [3, 1, 100]);
  const noCap = meanPsnr([f(0.1), f(0.3)], [f(0), f(0.3)], { quantize: false, cap: Infinity });
  assertEquals([noCap.psnr, noCap.capped], [Infinity, 0]);
  assertEquals(summarizePsnr([]).frames, 0);
});

Deno.test("psnr: errors name the input and what was expected", () => {
  const a = randomImage(4, 4, 1, 7), b = randomImage(4, 3, 1, 8);
  assertThrows(() => psnr(a, b), Error, "psnr: a is 4x4x1 but psnr: b is 4x3x1");
  assertThrows(() => psnr(a, a, { mask: new Uint8Array(16) }), Error, "mask selects no pixel");
  assertThrows(() => psnr(a, a, { mask: new Uint8Array(3) }), Error, "mask has 3 entries");
  assertThrows(() => psnr(a, a, { crop: { x: 2, y: 0, w: 3, h: 1 } }), Error, "inside the 4x4 image");
  assertThrows(() => meanPsnr([a], []), Error, "1 predicted frames but 0 targets");
  assertThrows(() => summarizePsnr([NaN]), Error, "frame 0 has PSNR NaN");
});
