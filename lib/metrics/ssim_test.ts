import { assert, assertAlmostEquals, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import type { Image } from "../io/types.ts";
import type { FloatImage } from "./image.ts";
import { ssim, SSIM_K1, SSIM_K2, ssimPlane, type SsimVariant } from "./ssim.ts";

const VARIANTS: SsimVariant[] = ["wang2004", "skimage"];

function randomImage(w: number, h: number, c: 1 | 3, seed: number): Image {
  const rng = createRng(seed);
  return {
    width: w,
    height: h,
    channels: c,
    data: Uint8Array.from({ length: w * h * c }, () => rng.int(256)),
  };
}

/** Adds uniform noise of +-amp grey levels to a smooth gradient image. */
function noisy(base: Image, amp: number, seed: number): Image {
  const rng = createRng(seed);
  const data = Uint8Array.from(
    base.data,
    (v) => Math.max(0, Math.min(255, Math.round(v + amp * (2 * rng.next() - 1)))),
  );
  return { ...base, data };
}

/**
 * SSIM straight from the definition: for every window position, weighted means, then variances and
 * covariance as weighted sums of centred products (two-pass, unlike the filtered E[x^2] - E[x]^2).
 */
function bruteSsim(x: Float64Array, y: Float64Array, w: number, h: number, variant: SsimVariant): number {
  const k = variant === "wang2004" ? 11 : 7;
  const win: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const r = (k - 1) / 2;
      win.push(variant === "wang2004" ? Math.exp(-((i - r) ** 2 + (j - r) ** 2) / (2 * 1.5 ** 2)) : 1);
    }
  }
  const total = win.reduce((a, b) => a + b, 0);
  const wts = win.map((v) => v / total);
  const c1 = SSIM_K1 ** 2, c2 = SSIM_K2 ** 2;
  let sum = 0, n = 0;
  for (let r0 = 0; r0 + k <= h; r0++) {
    for (let q0 = 0; q0 + k <= w; q0++) {
      let mx = 0, my = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          mx += wts[i * k + j] * x[(r0 + i) * w + q0 + j];
          my += wts[i * k + j] * y[(r0 + i) * w + q0 + j];
        }
      }
      let vx = 0, vy = 0, cxy = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const dx = x[(r0 + i) * w + q0 + j] - mx, dy = y[(r0 + i) * w + q0 + j] - my;
          vx += wts[i * k + j] * dx * dx;
          vy += wts[i * k + j] * dy * dy;
          cxy += wts[i * k + j] * dx * dy;
        }
      }
      if (variant === "skimage") {
        const f = (k * k) / (k * k - 1);
        vx *= f;
        vy *= f;
        cxy *= f;
      }
      sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      n++;
    }
  }
  return sum / n;
}

Deno.test("ssim: separable filters agree with a window-by-window brute force, both variants", () => {
  const rng = createRng(11);
  const w = 21, h = 17;
  const x = Float64Array.from({ length: w * h }, () => rng.next());
  // y correlated with x, so the structure term is far from 0 and from 1.
  const y = Float64Array.from(x, (v) => 0.6 * v + 0.4 * rng.next());
  for (const v of VARIANTS) {
    const fast = ssimPlane({ width: w, height: h, data: x }, { width: w, height: h, data: y }, v),
      brute = bruteSsim(x, y, w, h, v);
    assertAlmostEquals(fast, brute, 1e-12, v);
    assert(fast > 0.1 && fast < 0.99, `${v}: ${fast} is a non-trivial value`);
  }
});

Deno.test("ssim: an image with itself is 1; symmetric in its arguments", () => {
  const a = randomImage(24, 20, 3, 1), b = randomImage(24, 20, 3, 2);
  for (const variant of VARIANTS) {
    assertAlmostEquals(ssim(a, a, { variant }), 1, 1e-12);
    assertAlmostEquals(ssim(a, b, { variant }), ssim(b, a, { variant }), 1e-14);
  }
});

Deno.test("ssim: two constant images give the closed-form luminance term (structure term 1)", () => {
  const flat = (v: number): Image => ({
    width: 16,
    height: 12,
    channels: 3,
    data: new Uint8Array(576).fill(v),
  });
  const [u, v] = [40 / 255, 200 / 255];
  const c1 = 0.01 ** 2;
  const expected = (2 * u * v + c1) / (u * u + v * v + c1);
  for (const variant of VARIANTS) assertAlmostEquals(ssim(flat(40), flat(200), { variant }), expected, 1e-12);
});

Deno.test("ssim: uint8 and [0, 1] floats agree; a crop equals SSIM of the copied sub-image", () => {
  const a = randomImage(30, 25, 3, 3), b = noisy(a, 60, 4);
  const f = (img: Image): FloatImage => ({ ...img, data: Float32Array.from(img.data, (v) => v / 255) });
  assertAlmostEquals(ssim(f(a), f(b)), ssim(a, b), 1e-12);
  const crop = { x: 4, y: 6, w: 15, h: 12 };
  const sub = (img: Image): Image => {
    const data = new Uint8Array(crop.w * crop.h * 3);
    for (let r = 0; r < crop.h; r++) {
      data.set(
        img.data.subarray(((crop.y + r) * 30 + crop.x) * 3, ((crop.y + r) * 30 + crop.x + crop.w) * 3),
        r * crop.w * 3,
      );
    }
    return { width: crop.w, height: crop.h, channels: 3, data };
  };
  for (const variant of VARIANTS) {
    assertAlmostEquals(ssim(a, b, { variant, crop }), ssim(sub(a), sub(b), { variant }), 1e-12);
  }
});

Deno.test("ssim: falls as noise grows; the two variants differ on the same pair", () => {
  const w = 48, h = 48;
  const base: Image = {
    width: w,
    height: h,
    channels: 1,
    data: Uint8Array.from({ length: w * h }, (_, i) => 60 + 2 * (i % w) + (Math.floor(i / w) % 8) * 10),
  };
  const s = [5, 20, 60].map((amp) => ssim(base, noisy(base, amp, 9)));
  assertGreater(s[0], s[1]);
  assertGreater(s[1], s[2]);
  const pair = noisy(base, 20, 9);
  assert(Math.abs(ssim(base, pair, { variant: "skimage" }) - ssim(base, pair)) > 1e-3);
});

Deno.test("ssim: errors name the input and what was expected", () => {
  const a = randomImage(10, 10, 1, 5);
  assertThrows(() => ssim(a, a), Error, "ssim (wang2004): image is 10x10, expected at least 11x11");
  assertEquals(ssim(a, a, { variant: "skimage" }), 1);
  assertThrows(() => ssim(a, randomImage(10, 10, 3, 6)), Error, "ssim: a is 10x10x1 but ssim: b is 10x10x3");
});

Deno.test("ssim: a 512x512 RGB pair takes well under a few seconds", () => {
  const a = randomImage(512, 512, 3, 7), b = noisy(a, 10, 8);
  const t0 = performance.now();
  const v = ssim(a, b);
  const ms = performance.now() - t0;
  assert(v > 0 && v < 1);
  assert(ms < 5000, `ssim on 512x512x3 took ${ms.toFixed(0)} ms`);
});
