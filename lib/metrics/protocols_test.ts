import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { SSP11_CLASS, SSPNERF11 } from "../data/palette.ts";
import {
  compositeHeadOverFrame,
  headClassIds,
  headMask,
  headOnlyMetrics,
  meanByProtocol,
  PROTOCOL_NAMES,
} from "./protocols.ts";
import { psnr } from "./psnr.ts";
import { ssim } from "./ssim.ts";

const W = 16, H = 16;

/** A 16x16 portrait map: hair row, face skin and lips (head), neck, torso, background columns. */
function labels11(): Uint8Array {
  const l = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      l[y * W + x] = x < 3
        ? SSP11_CLASS.background
        : y < 2
        ? SSP11_CLASS.hair
        : y < 8
        ? (y === 6 ? SSP11_CLASS.lips : SSP11_CLASS.skin)
        : y < 10
        ? SSP11_CLASS.neck
        : SSP11_CLASS.torso;
    }
  }
  return l;
}

function ramp(): Float32Array {
  return Float32Array.from({ length: W * H * 3 }, (_, i) => ((i * 37) % 200) / 255);
}

Deno.test("head classes: the 11-class head is every person class but neck and torso; 4-class: the head", () => {
  const person = SSPNERF11.classNames.flatMap((n, id) =>
    ["background", "neck", "torso"].includes(n) ? [] : [id]
  );
  assertEquals(headClassIds("sspnerf11"), person);
  assertEquals(headClassIds("adnerf4"), [1]);
  assertEquals(Array.from(headMask([0, 1, 8, 9, 10, 7, 2], headClassIds("sspnerf11"))), [
    0,
    1,
    0,
    0,
    1,
    1,
    1,
  ]);
  assertEquals(Array.from(headMask([0, 1, 2, 3], headClassIds("adnerf4"))), [0, 1, 0, 0]);
});

Deno.test("head-only: a render exact inside the head and wrong elsewhere scores infinite PSNR and SSIM 1", () => {
  const gtData = ramp();
  const gt = { width: W, height: H, channels: 3, data: gtData };
  const labels = labels11();
  const head = headMask(labels, headClassIds("sspnerf11"));
  const wrong = Float32Array.from(gtData, (v, i) => head[Math.floor(i / 3)] ? v : 1 - v);
  const rendered = { ...gt, data: wrong };
  const m = headOnlyMetrics(rendered, gt, labels, "sspnerf11", { x: 2, y: 0, w: 12, h: 12 });
  assertEquals(m.psnr, Infinity);
  assertEquals(m.psnrFace, Infinity);
  assertAlmostEquals(m.ssim, 1, 1e-12);
  assertAlmostEquals(m.ssimFace!, 1, 1e-12);
  const full = psnr(rendered, gt);
  assert(Number.isFinite(full) && full < 20, `full-frame PSNR ${full}`);
  assert(ssim(rendered, gt) < 0.9);
});

Deno.test("head-only: an error inside the head only gives the full-frame numbers; the MSE is hand-computed", () => {
  const gtData = new Float32Array(W * H * 3).fill(102 / 255);
  const gt = { width: W, height: H, channels: 3, data: gtData };
  const labels = labels11();
  const head = headMask(labels, headClassIds("sspnerf11"));
  const nHead = head.reduce((s, v) => s + v, 0);
  assertEquals(nHead, 13 * 8); // columns 3..15, rows 0..7
  // 102/255 + 51/255: both on the 8-bit grid: MSE = (nHead / 256) * 0.2^2 over the frame.
  const rendered = {
    ...gt,
    data: Float32Array.from(gtData, (v, i) => head[Math.floor(i / 3)] ? v + 51 / 255 : v),
  };
  const m = headOnlyMetrics(rendered, gt, labels, "sspnerf11");
  assertAlmostEquals(m.psnr, 10 * Math.log10(1 / ((nHead / (W * H)) * 0.04)), 1e-4);
  assertAlmostEquals(m.psnr, psnr(rendered, gt), 1e-9);
  assertAlmostEquals(m.ssim, ssim(rendered, gt), 1e-12);
  assertEquals(m.psnrFace, undefined);
});

Deno.test("head-only on the 4-class palette: only the head class comes from the render", () => {
  const gt = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12).fill(100) };
  const rendered = { ...gt, data: new Uint8Array(12).fill(200) };
  const c = compositeHeadOverFrame(rendered, gt, headMask([0, 1, 2, 3], headClassIds("adnerf4")));
  assertEquals(Array.from(c.data).map((v) => Math.round(v * 255)), [
    100,
    100,
    100,
    200,
    200,
    200,
    100,
    100,
    100,
    100,
    100,
    100,
  ]);
  assertThrows(() => compositeHeadOverFrame(rendered, gt, new Uint8Array(3)), Error, "mask has 3 entries");
});

Deno.test("meanByProtocol names each protocol and strips the prefix", () => {
  const m = meanByProtocol({ psnr: 20, ssim: 0.5, psnr_mouth: 18, headOnly_psnr: 26, headOnly_ssim: 0.9 });
  assertEquals(Object.keys(m), [PROTOCOL_NAMES.fullFrame, PROTOCOL_NAMES.headOnly]);
  assertEquals(m[PROTOCOL_NAMES.headOnly], { psnr: 26, ssim: 0.9 });
  assertEquals(m[PROTOCOL_NAMES.fullFrame], { psnr: 20, ssim: 0.5, psnr_mouth: 18 });
});
