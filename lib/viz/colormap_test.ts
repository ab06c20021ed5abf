import { assert, assertEquals, assertThrows } from "@std/assert";
import { colorbar, colorize, colormapLut, colorRange } from "./colormap.ts";

Deno.test("colour maps: stops hit exactly, lightness rises along the map", () => {
  for (const name of ["viridis", "inferno"] as const) {
    const lut = colormapLut(name);
    assertEquals(lut.length, 768);
    const luma = (i: number) => 0.299 * lut[3 * i] + 0.587 * lut[3 * i + 1] + 0.114 * lut[3 * i + 2];
    for (let i = 8; i < 256; i += 8) assert(luma(i) > luma(i - 8), `${name}: luma falls at ${i}`);
  }
  // t = 0.5 is entry 127.5: between the 0.5 stop and its neighbours
  const inferno = colormapLut("inferno");
  assertEquals(Array.from(inferno.subarray(0, 3)), [0, 0, 4]);
  assertEquals(Array.from(inferno.subarray(765)), [0xfc, 0xff, 0xa4]);
  assertThrows(() => colormapLut("jet" as "viridis"), Error, "unknown colour map");
});

Deno.test("colorize: range, clamping, NaN, and a constant field", () => {
  const lut = colormapLut("viridis");
  const px = (img: { data: Uint8Array }, i: number) => Array.from(img.data.subarray(3 * i, 3 * i + 3));
  const img = colorize(new Float32Array([-1, 0, 2, 9, NaN]), 5, 1, { min: 0, max: 2 });
  assertEquals(px(img, 0), Array.from(lut.subarray(0, 3)));
  assertEquals(px(img, 1), Array.from(lut.subarray(0, 3)));
  assertEquals(px(img, 2), Array.from(lut.subarray(765)));
  assertEquals(px(img, 3), Array.from(lut.subarray(765)));
  assertEquals(px(img, 4), Array.from(lut.subarray(0, 3)));
  assertEquals(colorRange(new Float32Array([0, 0])), { min: 0, max: 1 });
  assertEquals(colorRange(new Float32Array([1, 3, Infinity])), { min: 0, max: 3 });
  assertThrows(() => colorize(new Float32Array(3), 2, 2), Error, "expected 4");
  assertThrows(() => colorRange([1], { min: 2, max: 1 }), Error, "max > min");
  const bar = colorbar("viridis", 4, 2);
  assertEquals(px(bar, 0), px(bar, 4));
  assertEquals(px(bar, 3), Array.from(lut.subarray(765)));
});
