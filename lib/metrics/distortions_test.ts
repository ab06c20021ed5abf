import { assert, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import type { Image } from "../io/types.ts";
import { addNoise, blurImage, cropImage, openMouth, shiftImage } from "./distortions.ts";
import { psnr } from "./psnr.ts";
import { ssim } from "./ssim.ts";
import { cpbd } from "./cpbd.ts";

/** RGB checkerboard of 8 px squares, dark and light: many sharp edges. */
function checker(n = 64): Image {
  const data = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const v = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
      data.set([v, v - 20, v + 10], (y * n + x) * 3);
    }
  }
  return { width: n, height: n, channels: 3, data };
}

Deno.test("addNoise: seeded, leaves the input alone, PSNR falls as sigma grows", () => {
  const img = checker();
  const before = img.data.slice();
  const a = addNoise(img, 0.02, 5), b = addNoise(img, 0.02, 5), c = addNoise(img, 0.02, 6);
  assertEquals(a.data, b.data);
  assert(a.data.some((v, i) => v !== c.data[i]), "another seed, other noise");
  assertEquals(img.data, before);
  assertEquals(addNoise(img, 0).data, img.data);
  const p = [0.01, 0.03, 0.1].map((s) => psnr(addNoise(img, s), img));
  assert(p[0] > p[1] && p[1] > p[2], `${p}`);
  assertThrows(() => addNoise(img, -1), Error, "sigma must be >= 0");
});

Deno.test("addNoise leaves alpha alone", () => {
  const rgba: Image = {
    width: 2,
    height: 1,
    channels: 4,
    data: new Uint8Array([100, 100, 100, 7, 100, 100, 100, 9]),
  };
  const n = addNoise(rgba, 0.2);
  assertEquals([n.data[3], n.data[7]], [7, 9]);
});

Deno.test("blurImage: constants stay constant, edges soften, CPBD and SSIM fall with sigma", () => {
  const flat: Image = { width: 16, height: 16, channels: 3, data: new Uint8Array(768).fill(77) };
  assertEquals(blurImage(flat, 2).data, flat.data);
  const img = checker(128);
  assertEquals(blurImage(img, 0).data, img.data);
  const s1 = blurImage(img, 1), s3 = blurImage(img, 3);
  assertGreater(ssim(s1, img), ssim(s3, img));
  assertGreater(cpbd(img).cpbd, cpbd(s3).cpbd);
  assertThrows(() => blurImage(img, NaN), Error, "sigma");
});

Deno.test("shiftImage: content moves, borders repeat the edge, a zero shift is a copy", () => {
  const img: Image = { width: 3, height: 3, channels: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
  assertEquals(Array.from(shiftImage(img, 0, 1).data), [1, 2, 3, 1, 2, 3, 4, 5, 6]);
  assertEquals(Array.from(shiftImage(img, 1, -1).data), [4, 4, 5, 7, 7, 8, 7, 7, 8]);
  assertEquals(shiftImage(img, 0, 0).data, img.data);
  assertThrows(() => shiftImage(img, 0.5, 0), Error, "integers");
});

Deno.test("openMouth: only the lip box below the lip line changes, more with a larger shift", () => {
  const img = checker(96);
  const lms = new Float32Array(136);
  for (let i = 0; i < 68; i++) lms[2 * i] = 48, lms[2 * i + 1] = 30; // every point away from the mouth
  for (let i = 48; i < 60; i++) {
    const a = (2 * Math.PI * (i - 48)) / 12;
    lms[2 * i] = 48 + 12 * Math.cos(a), lms[2 * i + 1] = 60 + 5 * Math.sin(a);
  }
  for (let i = 60; i < 68; i++) lms[2 * i] = 48 + (i - 64), lms[2 * i + 1] = 60;
  assertEquals(openMouth(img, lms, 0).data, img.data);
  const changed = (s: number) => {
    const out = openMouth(img, lms, s, 4);
    let n = 0;
    for (let p = 0; p < 96 * 96; p++) {
      if (out.data[3 * p] !== img.data[3 * p]) {
        n++;
        const x = p % 96, y = Math.floor(p / 96);
        assert(x >= 32 && x <= 64 && y >= 60 && y <= 65 + 4 + s, `pixel (${x}, ${y}) outside the lip box`);
      }
    }
    return n;
  };
  assertLess(changed(2), changed(6));
  assertThrows(() => openMouth(img, lms.subarray(0, 100), 2), Error, "expected 136");
  assertThrows(() => openMouth(img, lms, -1), Error, "shift");
});

Deno.test("cropImage clips to the image and refuses an empty box", () => {
  const img = checker(16);
  const c = cropImage(img, { x: -4, y: 10, w: 8, h: 20 });
  assertEquals([c.width, c.height, c.channels], [4, 6, 3]);
  assertEquals(
    Array.from(c.data.subarray(0, 3)),
    Array.from(img.data.subarray(10 * 16 * 3, 10 * 16 * 3 + 3)),
  );
  assertThrows(() => cropImage(img, { x: 20, y: 0, w: 4, h: 4 }), Error, "no area");
});
