import { assertEquals, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import { markPixels } from "./mark_pixels.ts";
import { base64ToBytes, displayBundle } from "./mime.ts";

Deno.test("markPixels: marked pixels take the colour, the others fade towards white; PNG decodes", () => {
  const grey = {
    width: 3,
    height: 2,
    channels: 1 as const,
    data: new Uint8Array([0, 50, 100, 150, 200, 250]),
  };
  const view = markPixels(grey, [4, 0, 4], { color: [0, 0, 255], fade: 0.2, scale: 2 });
  const png = decodePng(base64ToBytes(displayBundle(view)["image/png"] as string));
  assertEquals([png.width, png.height], [6, 4]);
  const at = (u: number, v: number) => Array.from(png.data.subarray(3 * (v * 6 + u), 3 * (v * 6 + u) + 3));
  assertEquals(at(0, 0), [0, 0, 255]); // pixel 0
  assertEquals(at(3, 3), [0, 0, 255]); // pixel 4 = (1, 1), scaled
  assertEquals(at(2, 0), [91, 91, 91]); // 50 * 0.8 + 51
  assertThrows(() => markPixels(grey, [6]), Error, "outside the 3x2 image");
  assertThrows(() => markPixels(grey, [0], { fade: 2 }), Error, "fade");
});
