import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { colormapLut } from "./colormap.ts";
import { heatmap, image, scaleImage, toImage } from "./image_view.ts";
import { base64ToBytes, displayBundle } from "./mime.ts";

const checker: Image = {
  width: 2,
  height: 2,
  channels: 3,
  data: new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]),
};

Deno.test("image: the PNG of the bundle decodes to the same pixels", () => {
  const b = displayBundle(image(checker));
  assertEquals(Object.keys(b).sort(), ["image/png", "text/plain"]);
  const png = decodePng(base64ToBytes(b["image/png"] as string));
  assertEquals([png.width, png.height, png.channels], [2, 2, 3]);
  assertEquals(png.data, checker.data);
  assertStringIncludes(b["text/plain"], "2x2 RGB");
});

Deno.test("image: scale enlarges with nearest neighbour; a title adds html", () => {
  const b = displayBundle(image(checker, { scale: 3, title: "a & b" }));
  const png = decodePng(base64ToBytes(b["image/png"] as string));
  assertEquals([png.width, png.height], [6, 6]);
  for (let y = 0; y < 6; y++) {
    for (let x = 0; x < 6; x++) {
      const s = (Math.floor(y / 3) * 2 + Math.floor(x / 3)) * 3, d = (y * 6 + x) * 3;
      assertEquals(Array.from(png.data.subarray(d, d + 3)), Array.from(checker.data.subarray(s, s + 3)));
    }
  }
  assertStringIncludes(b["text/html"] as string, "a &amp; b");
  assertThrows(() => scaleImage(checker, 0), Error, "scale");
});

Deno.test("toImage accepts images, float frames and views; grey and RGBA images keep their channels", () => {
  assertEquals(toImage(image(checker)).data, checker.data);
  const grey: Image = { width: 1, height: 1, channels: 1, data: new Uint8Array([7]) };
  assertEquals(decodePng(image(grey).png()).data[0], 7);
  assertThrows(() => toImage({ rgb: new Float32Array(2), width: 1, height: 1 }), Error, "floatToImage");
});

Deno.test("heatmap: colours by range, a colour bar and the range in the html", () => {
  const v = heatmap(new Float32Array([0, 2, 4, 4]), 2, 2, { title: "depth", colormap: "inferno" });
  const lut = colormapLut("inferno");
  assertEquals(Array.from(v.image.data.subarray(0, 3)), Array.from(lut.subarray(0, 3)));
  assertEquals(Array.from(v.image.data.subarray(9, 12)), Array.from(lut.subarray(765)));
  const b = displayBundle(v);
  const html = b["text/html"] as string;
  assertEquals(html.match(/<img /g)?.length, 2); // the field and its colour bar
  assertStringIncludes(html, "<span>4</span>");
  assertEquals(decodePng(base64ToBytes(b["image/png"] as string)).width, 2);
});
