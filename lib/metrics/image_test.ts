import { assertEquals, assertThrows } from "@std/assert";
import { channelPlane, checkSameShape, quantize8, resolveCrop } from "./image.ts";

Deno.test("quantize8 rounds to the nearest of 256 levels and clamps", () => {
  assertEquals([quantize8(-0.2), quantize8(0.5), quantize8(1.7)], [0, 128 / 255, 1]);
  assertEquals(quantize8(3 / 255 + 0.4 / 255), 3 / 255);
});

Deno.test("channelPlane: one channel of a crop, uint8 divided by 255, floats quantised unless asked not to", () => {
  // 3x2 RGB image, pixel (x, y) has R = 10 y + x.
  const data = Uint8Array.from(
    { length: 18 },
    (_, i) => (i % 3 === 0 ? 10 * Math.floor(i / 9) + (i / 3) % 3 : 0),
  );
  const img = { width: 3, height: 2, channels: 3 as const, data };
  const plane = channelPlane(img, 0, { crop: { x: 1, y: 0, w: 2, h: 2 } });
  assertEquals([plane.width, plane.height], [2, 2]);
  assertEquals(Array.from(plane.data), [1, 2, 11, 12].map((v) => v / 255));
  const f = { width: 1, height: 1, channels: 1, data: new Float32Array([0.3]) };
  assertEquals(channelPlane(f, 0).data[0], Math.round(0.3 * 255) / 255);
  assertEquals(channelPlane(f, 0, { quantize: false }).data[0], Math.fround(0.3));
});

Deno.test("image checks name the input and what was expected", () => {
  const a = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(3) };
  assertThrows(
    () => checkSameShape(a, a, ["pred", "gt"]),
    Error,
    "pred: data has 3 entries, expected width*height*channels = 4",
  );
  assertThrows(() => resolveCrop({ x: 0, y: 0, w: 1.5, h: 1 }, 4, 4), Error, "must be integers");
  assertEquals(resolveCrop(undefined, 4, 3), { x: 0, y: 0, w: 4, h: 3 });
});
