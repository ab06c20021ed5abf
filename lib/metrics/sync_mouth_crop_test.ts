import { assertAlmostEquals, assertGreater, assertThrows } from "@std/assert";
import { readImage } from "../io/mod.ts";
import { parseLandmarks } from "../data/landmarks.ts";
import { mouthCrop } from "./sync_mouth_crop.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url);

function correlation(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s / a.length; // both have zero mean and unit variance
}

/** A grey 96x96 "face": a dark ellipse (the mouth) of half-height `open` px, rotated by `deg` about (48, 48). */
function face(
  deg: number,
  open: number,
): { img: { width: number; height: number; channels: 1; data: Uint8Array }; lms: Float32Array } {
  const t = (deg * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  const rot = (x: number, y: number) => [48 + c * (x - 48) - s * (y - 48), 48 + s * (x - 48) + c * (y - 48)];
  const data = new Uint8Array(96 * 96);
  for (let y = 0; y < 96; y++) {
    for (let x = 0; x < 96; x++) {
      // back-rotate the pixel centre into the upright face
      const [u, v] = [
        48 + c * (x + 0.5 - 48) + s * (y + 0.5 - 48),
        48 - s * (x + 0.5 - 48) + c * (y + 0.5 - 48),
      ];
      const inMouth = ((u - 48) / 12) ** 2 + ((v - 66) / Math.max(open, 0.5)) ** 2 < 1;
      data[y * 96 + x] = inMouth ? 30 : 180 + Math.round(20 * Math.sin(u / 3));
    }
  }
  const lms = new Float32Array(136);
  const put = (i: number, x: number, y: number) => ([lms[2 * i], lms[2 * i + 1]] = rot(x, y));
  put(36, 28, 36), put(45, 68, 36), put(48, 36, 66), put(54, 60, 66);
  return { img: { width: 96, height: 96, channels: 1, data }, lms };
}

Deno.test("mouthCrop follows the eye line: a rotated face gives the same crop", () => {
  const up = face(0, 4), tilted = face(12, 4);
  const a = mouthCrop(up.img, up.lms), b = mouthCrop(tilted.img, tilted.lms);
  assertGreater(correlation(a, b), 0.9);
  // The same tilted face with a horizontal eye line (an axis-aligned crop) matches less well.
  const level = Float32Array.from(tilted.lms);
  const my = (level[2 * 36 + 1] + level[2 * 45 + 1]) / 2;
  level[2 * 36 + 1] = level[2 * 45 + 1] = my;
  assertGreater(correlation(a, b), correlation(a, mouthCrop(tilted.img, level)) + 0.05);
  const open = face(0, 9);
  assertGreater(correlation(a, b), correlation(a, mouthCrop(open.img, open.lms)) + 0.1);
});

Deno.test("mouthCrop on the fixture: the mouth's opening changes the crop more than the head's motion", async () => {
  const gt = JSON.parse(await Deno.readTextFile(new URL("synthetic_gt.json", FIXTURE))).frames as {
    mouthOpen: number;
  }[];
  const closed = gt.map((f, i) => [f.mouthOpen, i]).filter(([o]) => o === 0).map(([, i]) => i);
  const widest = gt.reduce((best, f, i) => (f.mouthOpen > gt[best].mouthOpen ? i : best), 0);
  const crop = async (i: number) =>
    mouthCrop(
      await readImage(new URL(`ori_imgs/${i}.jpg`, FIXTURE).pathname),
      parseLandmarks(await Deno.readTextFile(new URL(`ori_imgs/${i}.lms`, FIXTURE)), `${i}.lms`),
    );
  const c0 = await crop(closed[0]), c1 = await crop(closed[closed.length - 1]), open = await crop(widest);
  let mean = 0;
  for (const v of open) mean += v / open.length;
  assertAlmostEquals(mean, 0, 1e-9);
  assertGreater(correlation(c0, c1), correlation(c0, open) + 0.1);
});

Deno.test("mouthCrop errors name the input", () => {
  const { img, lms } = face(0, 4);
  assertThrows(() => mouthCrop(img, new Float32Array(10)), Error, "mouthCrop: landmarks has 10 numbers");
  assertThrows(() => mouthCrop(img, new Float32Array(136)), Error, "outer eye corners");
  assertThrows(() => mouthCrop(img, lms, { width: 1 }), Error, "width and height");
});
