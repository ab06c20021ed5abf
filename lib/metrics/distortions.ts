/**
 * Controlled distortions of an 8-bit image, for seeing how each metric responds: additive Gaussian
 * noise, Gaussian blur, a translation, and a mouth that opens (the lower lip moved down), the last one
 * for landmark distance. Every function returns a new image and leaves its input alone.
 * @module
 */
import type { Image } from "../io/types.ts";
import { createRng } from "../nn/rng.ts";
import { gaussianBlur } from "./canny.ts";
import { checkImage } from "./image.ts";

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/**
 * The image plus independent Gaussian noise of standard deviation `sigma` on the [0, 1] scale (so 0.05
 * is about 13 grey levels), rounded and clipped to 0..255; alpha is left as it is. Seeded: the same
 * seed gives the same noise.
 * @param img The image.
 * @param sigma Noise standard deviation in [0, 1] units; 0 returns a copy.
 * @param seed Seed of the noise. @default {1}
 * @returns The noisy image.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { addNoise } from "./distortions.ts";
 * import { psnr } from "./psnr.ts";
 * const grey = { width: 64, height: 64, channels: 1 as const, data: new Uint8Array(4096).fill(128) };
 * // Far from 0 and 255 nothing clips, so MSE ~ sigma^2 and PSNR ~ -20 log10(0.05) = 26 dB.
 * assertAlmostEquals(psnr(addNoise(grey, 0.05), grey), 26, 0.3);
 * ```
 */
export function addNoise(img: Image, sigma: number, seed = 1): Image {
  checkImage(img, "addNoise: img");
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new Error(`addNoise: sigma must be >= 0: got ${sigma}`);
  const rng = createRng(seed);
  const c = img.channels, data = img.data.slice();
  for (let i = 0; i < data.length; i++) {
    if (c === 4 && i % 4 === 3) continue;
    data[i] = clamp255(data[i] + 255 * sigma * rng.normal());
  }
  return { ...img, data };
}

/**
 * Gaussian blur of every channel (separable, radius round(4 sigma), renormalised at the border: the
 * smoothing {@linkcode gaussianBlur} of the Canny detector), rounded back to 8 bits.
 * @param img The image.
 * @param sigma Standard deviation in pixels; 0 returns a copy.
 * @returns The blurred image.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { blurImage } from "./distortions.ts";
 * const dot = { width: 5, height: 1, channels: 1 as const, data: new Uint8Array([0, 0, 255, 0, 0]) };
 * const b = blurImage(dot, 1);
 * assertEquals(b.data[2] < 255 && b.data[1] > 0 && b.data[1] === b.data[3], true); // spread, symmetric
 * ```
 */
export function blurImage(img: Image, sigma: number): Image {
  checkImage(img, "blurImage: img");
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new Error(`blurImage: sigma must be >= 0: got ${sigma}`);
  }
  const { width: w, height: h, channels: c } = img;
  const data = new Uint8Array(img.data.length);
  const plane = new Float64Array(w * h);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < w * h; i++) plane[i] = img.data[i * c + k];
    const out = gaussianBlur({ width: w, height: h, data: plane }, sigma).data;
    for (let i = 0; i < w * h; i++) data[i * c + k] = clamp255(out[i]);
  }
  return { ...img, data };
}

/**
 * The image translated by whole pixels: the content moves `dx` px right and `dy` px down, and the
 * uncovered border repeats the nearest edge pixel (so no black band enters the comparison).
 * @param img The image.
 * @param dx Pixels to the right (negative: left), an integer.
 * @param dy Pixels down (negative: up), an integer.
 * @returns The shifted image.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shiftImage } from "./distortions.ts";
 * const row = { width: 4, height: 1, channels: 1 as const, data: new Uint8Array([1, 2, 3, 4]) };
 * assertEquals(Array.from(shiftImage(row, 1, 0).data), [1, 1, 2, 3]);
 * assertEquals(Array.from(shiftImage(row, -2, 0).data), [3, 4, 4, 4]);
 * ```
 */
export function shiftImage(img: Image, dx: number, dy: number): Image {
  checkImage(img, "shiftImage: img");
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) {
    throw new Error(`shiftImage: dx and dy must be integers: got ${dx}, ${dy}`);
  }
  const { width: w, height: h, channels: c } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - dx));
      const s = (sy * w + sx) * c, d = (y * w + x) * c;
      for (let k = 0; k < c; k++) data[d + k] = img.data[s + k];
    }
  }
  return { ...img, data };
}

/**
 * Opens the mouth of a face photo by `shift` pixels: inside the box of the outer lips (points 48-59,
 * widened by `margin`), every row below the inner-lip line (mean y of points 60-67) takes the content
 * `shift` rows above it, so the lower lip and chin below it move down and the lip line is stretched.
 * The mouth's shape changes (not just its position), so mouth LMD, which subtracts each set's centroid,
 * grows with `shift`; the rest of the face is untouched.
 * @param img The photo.
 * @param landmarks Its 68 landmarks, 136 numbers in pixels (e.g. from face-api).
 * @param shift Rows the lower lip moves down, an integer >= 0; 0 returns a copy.
 * @param margin Pixels added around the lip box, left, right and below. @default {8}
 * @returns The edited photo.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { openMouth } from "./distortions.ts";
 * const img = { width: 40, height: 40, channels: 1 as const, data: Uint8Array.from({ length: 1600 }, (_, i) => i % 40 === 20 ? 0 : Math.floor(i / 40)) };
 * const lms = new Float32Array(136);
 * for (let i = 48; i < 68; i++) lms[2 * i] = 20, lms[2 * i + 1] = 20; // a mouth at (20, 20), lip line y = 20
 * lms[2 * 48] = 15, lms[2 * 54] = 25, lms[2 * 57 + 1] = 24;
 * const out = openMouth(img, lms, 3, 2);
 * assertEquals(out.data[25 * 40 + 18], 22); // row 25 shows row 22
 * assertEquals(out.data[25 * 40 + 5], 25); // outside the lip box: unchanged
 * assertEquals(out.data[19 * 40 + 18], 19); // above the lip line: unchanged
 * ```
 */
export function openMouth(img: Image, landmarks: ArrayLike<number>, shift: number, margin = 8): Image {
  checkImage(img, "openMouth: img");
  if (landmarks.length !== 136) {
    throw new Error(`openMouth: landmarks has ${landmarks.length} numbers, expected 136 (68 points)`);
  }
  if (!Number.isInteger(shift) || shift < 0) {
    throw new Error(`openMouth: shift must be an integer >= 0: got ${shift}`);
  }
  const xs: number[] = [], ys: number[] = [];
  for (let i = 48; i < 60; i++) xs.push(landmarks[2 * i]), ys.push(landmarks[2 * i + 1]);
  let lip = 0;
  for (let i = 60; i < 68; i++) lip += landmarks[2 * i + 1] / 8;
  const { width: w, height: h, channels: c } = img;
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - margin);
  const x1 = Math.min(w - 1, Math.ceil(Math.max(...xs)) + margin);
  const y0 = Math.max(0, Math.round(lip));
  const y1 = Math.min(h - 1, Math.ceil(Math.max(...ys)) + margin + shift);
  const data = img.data.slice();
  for (let y = y0; y <= y1; y++) {
    const sy = Math.max(y0, y - shift);
    for (let x = x0; x <= x1; x++) {
      for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = img.data[(sy * w + x) * c + k];
    }
  }
  return { ...img, data };
}

/**
 * A rectangle of an image, clipped to it, as a new image.
 * @param img The image.
 * @param box Top-left corner and size in pixels (rounded to whole pixels).
 * @returns The crop.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cropImage } from "./distortions.ts";
 * const img = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * assertEquals(Array.from(cropImage(img, { x: 1, y: 0, w: 5, h: 2 }).data), [2, 3, 5, 6]);
 * ```
 */
export function cropImage(img: Image, box: { x: number; y: number; w: number; h: number }): Image {
  checkImage(img, "cropImage: img");
  const x0 = Math.max(0, Math.round(box.x)), y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(img.width, Math.round(box.x + box.w)),
    y1 = Math.min(img.height, Math.round(box.y + box.h));
  if (!(x1 > x0 && y1 > y0)) {
    throw new Error(
      `cropImage: box {x: ${box.x}, y: ${box.y}, w: ${box.w}, h: ${box.h}} has no area inside the ` +
        `${img.width}x${img.height} image`,
    );
  }
  const c = img.channels, w = x1 - x0, data = new Uint8Array(w * (y1 - y0) * c);
  for (let y = y0; y < y1; y++) {
    data.set(img.data.subarray((y * img.width + x0) * c, (y * img.width + x1) * c), (y - y0) * w * c);
  }
  return { width: w, height: y1 - y0, channels: c, data };
}
