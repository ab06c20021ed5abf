import { assertEquals } from "@std/assert";
import { cropFromTrack, pointsIntoCrop, trackingBox } from "./crop.ts";

Deno.test("cropFromTrack: medians resist an outlier box; the crop is clamped into the frame", () => {
  const boxes = [
    ...Array.from({ length: 9 }, (_, i) => ({ x: 300 + i, y: 100, w: 100, h: 100 })),
    { x: 0, y: 0, w: 400, h: 400 }, // one wrong detection
  ];
  const c = cropFromTrack(boxes, { width: 1280, height: 720 });
  assertEquals([c.w, c.h], [300, 300]);
  assertEquals(c.x, Math.round(353.5 - 150)); // median centre of ten: (353 + 354) / 2
  // Near the top-left corner: shifted inside; larger than the frame: shrunk to it.
  assertEquals(cropFromTrack([{ x: 0, y: 0, w: 50, h: 50 }], { width: 640, height: 480 }), {
    x: 0,
    y: 0,
    w: 150,
    h: 150,
  });
  assertEquals(cropFromTrack([{ x: 0, y: 0, w: 500, h: 500 }], { width: 640, height: 480 }).w, 480);
});

Deno.test("pointsIntoCrop and trackingBox", () => {
  const p = pointsIntoCrop([110, 60], { x: 10, y: 10, w: 200, h: 200 }, 100);
  assertEquals(Array.from(p), [50, 25]);
  const lms = new Float32Array(136);
  for (let i = 0; i < 68; i++) lms[2 * i] = 10 + (i % 2) * 10, lms[2 * i + 1] = 20 + (i % 2) * 20;
  assertEquals(trackingBox(lms, 2), { x: 5, y: 10, w: 20, h: 40 });
});
