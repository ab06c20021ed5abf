import { assertEquals, assertStrictEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { readImage, writeImage } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import {
  ADNERF4,
  detectPalette,
  imageToParsing,
  matchingPalettes,
  PALETTES,
  parsingToImage,
  SSP11_TO_AD4,
  SSPNERF11,
} from "./palette.ts";

Deno.test("palettes: distinct colours per class, white background, BGR order", () => {
  for (const p of Object.values(PALETTES)) {
    assertEquals(p.bgr.length, p.classNames.length);
    assertEquals(new Set(p.bgr.map((c) => c.join())).size, p.bgr.length, `${p.name} colours must differ`);
    assertEquals(p.bgr[0], [255, 255, 255]);
  }
  assertEquals(SSP11_TO_AD4.length, 11);
  assertEquals(SSP11_TO_AD4.every((k) => k >= 0 && k < 4), true);
  // Lips are BGR (116, 186, 209): the RGB pixel is (209, 186, 116).
  assertEquals(Array.from(parsingToImage(new Uint8Array([7]), 1, 1, SSPNERF11).data), [209, 186, 116]);
});

Deno.test("palette round trip: ids -> colours -> PNG file -> decode -> ids", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const palette of [SSPNERF11, ADNERF4]) {
      const w = 7, h = 5, k = palette.classNames.length;
      const ids = Uint8Array.from({ length: w * h }, (_, i) => (i * 3) % k);
      const path = join(dir, `${palette.name}.png`);
      await writeImage(path, parsingToImage(ids, w, h, palette));
      const back = await readImage(path);
      assertEquals([back.width, back.height], [w, h]);
      assertStrictEquals(detectPalette(back), palette);
      assertEquals(imageToParsing(back, palette, path), ids);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("imageToParsing reads RGBA and names file, pixel and colour of an unknown colour", () => {
  const rgba: Image = {
    width: 2,
    height: 1,
    channels: 4,
    data: new Uint8Array([0, 0, 255, 255, 255, 0, 0, 9]),
  };
  assertEquals(Array.from(imageToParsing(rgba, ADNERF4)), [1, 3]);
  const bad: Image = { width: 3, height: 2, channels: 3, data: new Uint8Array(18).fill(255) };
  bad.data.set([1, 2, 3], 3 * 4); // pixel (1, 1)
  assertThrows(
    () => imageToParsing(bad, SSPNERF11, "parsing/4.png"),
    Error,
    "parsing/4.png: pixel (1, 1) has colour RGB(1, 2, 3), which is not in the sspnerf11 palette",
  );
  const grey: Image = { width: 1, height: 1, channels: 1, data: new Uint8Array(1) };
  assertStringIncludes(
    assertThrows(() => imageToParsing(grey, ADNERF4, "p.png")).message,
    "p.png: parsing maps must be RGB(A)",
  );
});

Deno.test("detectPalette / matchingPalettes: 4-class, 11-class, ambiguous and unknown maps", () => {
  const ad = parsingToImage(new Uint8Array([0, 1, 2, 3]), 2, 2, ADNERF4);
  const ssp = parsingToImage(new Uint8Array([0, 1, 7, 10]), 2, 2, SSPNERF11);
  assertEquals(matchingPalettes(ad), [ADNERF4]);
  assertEquals(matchingPalettes(ssp), [SSPNERF11]);
  // Background and ears (BGR 255,0,0, the 4-class head colour) fit both: 4-class is preferred.
  const both = parsingToImage(new Uint8Array([0, 4]), 2, 1, SSPNERF11);
  assertEquals(matchingPalettes(both), [ADNERF4, SSPNERF11]);
  assertStrictEquals(detectPalette(both), ADNERF4);
  const unknown: Image = { width: 1, height: 1, channels: 3, data: new Uint8Array([1, 2, 3]) };
  assertEquals(detectPalette(unknown), undefined);
  assertEquals(matchingPalettes(unknown), []);
});

Deno.test("parsingToImage rejects wrong sizes and ids outside the palette", () => {
  assertThrows(() => parsingToImage(new Uint8Array(3), 2, 2, ADNERF4), Error, "expected width*height = 4");
  assertThrows(() => parsingToImage(new Uint8Array([4]), 1, 1, ADNERF4), Error, "class id 4 at pixel 0");
});
