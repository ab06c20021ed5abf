import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { SSP11_CLASS } from "../data/palette.ts";
import { junctionClasses, junctionMask, junctionPsnr, junctionRadius } from "./junction.ts";
import { psnr } from "./psnr.ts";

const { background: B, skin: S, hair: R, neck: N, torso: T } = SSP11_CLASS;
const SSP11 = junctionClasses("sspnerf11");

/**
 * 9 x 10 portrait drawn by hand: face skin at x 2..6, y 1..3; a neck one pixel wide at x = 4, y 4..6;
 * torso over the whole width from y = 7; and one hair pixel at (8, 6) sitting on the torso.
 */
const W = 9, H = 10;
// deno-fmt-ignore
const MAP = [
  B, B, B, B, B, B, B, B, B, // y 0
  B, B, S, S, S, S, S, B, B, // y 1
  B, B, S, S, S, S, S, B, B, // y 2
  B, B, S, S, S, S, S, B, B, // y 3
  B, B, B, B, N, B, B, B, B, // y 4
  B, B, B, B, N, B, B, B, B, // y 5
  B, B, B, B, N, B, B, B, R, // y 6
  T, T, T, T, T, T, T, T, T, // y 7
  T, T, T, T, T, T, T, T, T, // y 8
  T, T, T, T, T, T, T, T, T, // y 9
];

/** The junction at radius 1, counted by hand as (x, y) pixels. */
function handJunction(): [number, number][] {
  const out: [number, number][] = [];
  // Seam 1: skin (4, 3) over neck (4, 4) (neck over torso is body on body, no seam). The two boundary
  // pixels dilated by 1: x 3..5, y 2..5, 12 pixels.
  for (let y = 2; y <= 5; y++) for (let x = 3; x <= 5; x++) out.push([x, y]);
  // The rest of the neck, outside that band: (4, 6).
  out.push([4, 6]);
  // Seam 2: hair (8, 6) over torso (8, 7); dilated by 1 and clipped at the right edge: x 7..8, y 5..8.
  for (let y = 5; y <= 8; y++) for (let x = 7; x <= 8; x++) out.push([x, y]);
  return out; // 12 + 1 + 8 = 21
}

function maskOf(pixels: [number, number][]): Uint8Array {
  const m = new Uint8Array(W * H);
  for (const [x, y] of pixels) m[y * W + x] = 1;
  return m;
}

Deno.test("junctionMask: the hand-drawn map's junction, counted by hand, at radius 1 and 0", () => {
  const expected = handJunction();
  assertEquals(expected.length, 21);
  assertEquals(junctionMask(MAP, W, H, SSP11, 1), maskOf(expected));
  // Radius 0: the boundary pixels of both seams, plus the whole neck: (4,3), (4,4..6), (8,6), (8,7).
  assertEquals(junctionMask(MAP, W, H, SSP11, 0), maskOf([[4, 3], [4, 4], [4, 5], [4, 6], [8, 6], [8, 7]]));
  // Radius 2: the seam-1 square grows to x 2..6, y 1..6 (30 pixels, the neck inside it); seam 2 to
  // x 6..8, y 4..9 (18 pixels); they share x = 6, y 4..6 (3 pixels).
  assertEquals(junctionMask(MAP, W, H, SSP11, 2)!.reduce((s, v) => s + v, 0), 30 + 18 - 3);
});

Deno.test("junction PSNR equals a direct computation over the hand-counted pixels", () => {
  const gt = new Uint8Array(W * H * 3).fill(128);
  const pred = gt.slice();
  // Every pixel off by its own amount; outside the junction by a lot, so a leak would show.
  for (let p = 0; p < W * H; p++) {
    for (let c = 0; c < 3; c++) pred[3 * p + c] = 128 + ((p * 7 + c * 3) % 11) - 5;
  }
  const inside = new Set(handJunction().map(([x, y]) => y * W + x));
  for (let p = 0; p < W * H; p++) if (!inside.has(p)) pred[3 * p] = 255;
  let sse = 0;
  for (const p of inside) {
    for (let c = 0; c < 3; c++) sse += ((pred[3 * p + c] - gt[3 * p + c]) / 255) ** 2;
  }
  const direct = -10 * Math.log10(sse / (3 * 21));
  const img = (data: Uint8Array) => ({ width: W, height: H, channels: 3 as const, data });
  const measured = junctionPsnr(img(pred), img(gt), MAP, "sspnerf11", 1)!;
  assertAlmostEquals(measured, direct, 1e-9);
  assert(measured > psnr(img(pred), img(gt)) + 5, "the junction leaves out the large errors elsewhere");
});

Deno.test("junction: frames without a head, a body or a seam have none (undefined, never 0)", () => {
  const without = (...classes: number[]) => MAP.map((c) => classes.includes(c) ? B : c);
  // No head at all (a frame where the head is out of view): the neck alone is no junction.
  assertEquals(junctionMask(without(S, R), W, H, SSP11, 1), undefined);
  // No neck and no torso.
  assertEquals(junctionMask(without(N, T), W, H, SSP11, 1), undefined);
  // Background only.
  assertEquals(junctionMask(new Uint8Array(W * H), W, H, SSP11, 1), undefined);
  // No neck, and the hair pixel gone: head and torso present but not touching: empty, so none.
  assertEquals(junctionMask(without(N, R), W, H, SSP11, 1), undefined);
  // No neck but the hair still on the torso: only seam 2 remains (8 pixels).
  assertEquals(junctionMask(without(N), W, H, SSP11, 1)!.reduce((s, v) => s + v, 0), 8);
  const img = { width: W, height: H, channels: 3 as const, data: new Uint8Array(W * H * 3) };
  assertEquals(junctionPsnr(img, img, without(S, R), "sspnerf11"), undefined);
});

Deno.test("junction: 4-class palette, default radius by image size, bad input named", () => {
  // AD-NeRF's palette: head 1, neck 2, torso 3 (a 1 x 4 strip: head | neck, torso, background).
  assertEquals(Array.from(junctionMask([1, 2, 3, 0], 4, 1, junctionClasses("adnerf4"), 1)!), [1, 1, 1, 0]);
  assertEquals([junctionRadius(128, 128), junctionRadius(256, 256), junctionRadius(16, 16)], [3, 6, 1]);
  // The default radius of a 9 x 10 map is 1: the hand-counted junction.
  assertEquals(junctionMask(MAP, W, H, SSP11), maskOf(handJunction()));
  assertThrows(() => junctionMask(MAP, W, W, SSP11), Error, "expected width*height = 81");
  assertThrows(() => junctionMask(MAP, W, H, SSP11, 1.5), Error, "radius must be an integer >= 0");
});
