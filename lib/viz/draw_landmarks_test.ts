import { assert, assertEquals, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { drawLandmarks } from "./draw_landmarks.ts";
import { base64ToBytes, displayBundle } from "./mime.ts";

const grey = (w: number, h: number): Image => ({
  width: w,
  height: h,
  channels: 1,
  data: new Uint8Array(w * h).fill(100),
});

/** 68 points on a circle of radius r around (cx, cy). */
function ring(cx: number, cy: number, r: number): Float32Array {
  const p = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    p[2 * i] = cx + r * Math.cos((2 * Math.PI * i) / 68);
    p[2 * i + 1] = cy + r * Math.sin((2 * Math.PI * i) / 68);
  }
  return p;
}

const pixel = (img: Image, x: number, y: number) =>
  Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));

Deno.test("drawLandmarks: a grey image becomes RGB, dots take their set's colour, the PNG decodes", () => {
  const view = drawLandmarks(grey(20, 10), [
    { points: [2.2, 3.7], color: [255, 0, 0] },
    { points: [15, 5], color: [0, 0, 255] },
  ], { radius: 1 });
  assertEquals([view.image.width, view.image.height, view.image.channels], [20, 10, 3]);
  assertEquals(pixel(view.image, 2, 3), [255, 0, 0]);
  assertEquals(pixel(view.image, 3, 3), [255, 0, 0]); // radius 1
  assertEquals(pixel(view.image, 15, 5), [0, 0, 255]);
  assertEquals(pixel(view.image, 10, 8), [100, 100, 100]); // untouched
  const png = decodePng(base64ToBytes(displayBundle(view)["image/png"] as string));
  assertEquals([png.width, png.height], [20, 10]);
});

Deno.test("drawLandmarks: a single flat set gets the first colour; 68 points get contour lines", () => {
  const pts = ring(50, 50, 30);
  const dots = drawLandmarks(grey(100, 100), pts, { lines: false, radius: 0 });
  const lines = drawLandmarks(grey(100, 100), pts, { radius: 0 });
  const changed = (img: Image) => {
    let n = 0;
    for (let p = 0; p < 100 * 100; p++) if (img.data[3 * p + 1] !== 100) n++;
    return n;
  };
  assert(changed(dots.image) <= 68, `${changed(dots.image)} dots`);
  assert(changed(lines.image) > changed(dots.image) + 20, "the contours join the dots");
  assertEquals(pixel(dots.image, 80, 50), [0, 230, 0]);
});

Deno.test("drawLandmarks: crop 'landmarks' frames the points, width rescales, coordinates follow", () => {
  const img = grey(400, 300);
  const pts = ring(200, 150, 20); // extent 40 px: with margin 0.5 a square of 80 px
  const view = drawLandmarks(img, [{ points: pts, color: [255, 0, 0] }], {
    crop: "landmarks",
    margin: 0.5,
    width: 160,
    radius: 0,
    lines: false,
  });
  assertEquals([view.image.width, view.image.height], [160, 160]);
  // point 0 at (220, 150): crop origin (160, 110), scale 2 -> (120, 80)
  assertEquals(pixel(view.image, 120, 80), [255, 0, 0]);
  const boxed = drawLandmarks(img, pts, { crop: { x: 380, y: 0, w: 100, h: 50 } });
  assertEquals([boxed.image.width, boxed.image.height], [20, 50]); // clipped to the image
  assertThrows(() => drawLandmarks(img, [1, 2, 3]), Error, "x, y pairs");
  assertThrows(() => drawLandmarks(img, pts, { width: 0 }), Error, "width");
});
