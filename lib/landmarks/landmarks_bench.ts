/**
 * Speed of the landmark detector on a 512x512 portrait (face-api's demo/sample2.jpg, cropped):
 * `deno bench -A lib/landmarks/landmarks_bench.ts`. Also the image metrics on a frame of that size.
 */
import type { Image } from "../io/types.ts";
import { readImage } from "../io/mod.ts";
import { initBackend } from "../backend/backend.ts";
import { cpbd } from "../metrics/cpbd.ts";
import { psnr } from "../metrics/psnr.ts";
import { ssim } from "../metrics/ssim.ts";
import { createLandmarkDetector } from "./detector.ts";
import { faceApiFolder } from "./faceapi.ts";

await initBackend({ log: null });
const photo = await readImage(new URL("demo/sample2.jpg", faceApiFolder()).pathname);
const frame: Image = (() => {
  const data = new Uint8Array(512 * 512 * 3);
  for (let r = 0; r < 512; r++) {
    data.set(
      photo.data.subarray(((48 + r) * photo.width + 1285) * 3, ((48 + r) * photo.width + 1285 + 512) * 3),
      r * 512 * 3,
    );
  }
  return { width: 512, height: 512, channels: 3, data };
})();
const shifted: Image = { ...frame, data: frame.data.map((v, i) => (i % 7 === 0 ? 255 - v : v)) };

const tiny = await createLandmarkDetector();
const ssd = await createLandmarkDetector({ detector: "ssd" });
const face = await tiny.detect(frame);
if (!face) throw new Error("landmarks bench: no face found in the 512x512 crop of demo/sample2.jpg");

Deno.bench(
  { name: "detect: tiny face detector (416) + 68 landmarks", group: "landmarks", n: 30, warmup: 3 },
  async () => {
    await tiny.detect(frame);
  },
);
Deno.bench(
  { name: "detect: SSD MobileNet v1 + 68 landmarks", group: "landmarks", n: 10, warmup: 2 },
  async () => {
    await ssd.detect(frame);
  },
);
Deno.bench({
  name: "landmarksInBox: 68 landmarks on a known box",
  group: "landmarks",
  baseline: true,
  n: 50,
  warmup: 3,
}, async () => {
  await tiny.landmarksInBox(frame, face.box);
});
Deno.bench({ name: "PSNR 512x512 RGB", group: "metrics", n: 30, warmup: 2 }, () => {
  psnr(frame, shifted);
});
Deno.bench({ name: "SSIM (Wang 2004) 512x512 RGB", group: "metrics", n: 10, warmup: 1 }, () => {
  ssim(frame, shifted);
});
Deno.bench({ name: "CPBD 512x512", group: "metrics", n: 10, warmup: 1 }, () => {
  cpbd(frame);
});
