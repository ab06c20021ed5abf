import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import { ADNERF4, imageToParsing, SSPNERF11 } from "../data/palette.ts";
import { base64ToBytes, displayBundle } from "./mime.ts";
import { parsingColors } from "./parsing_colors.ts";

Deno.test("parsingColors: the PNG holds the palette's RGB colours and reads back to the same ids", () => {
  const ids = new Uint8Array([0, 1, 2, 3, 3, 3]);
  const view = parsingColors(ids, 3, 2, ADNERF4);
  const b = displayBundle(view);
  const png = decodePng(base64ToBytes(b["image/png"] as string));
  assertEquals(imageToParsing(png, ADNERF4), ids);
  assertEquals(Array.from(png.data.subarray(3, 6)), [0, 0, 255]); // head: BGR (255, 0, 0)
  assertEquals(view.legend.map((e) => e.name), ["background", "head", "neck", "torso"]);
  assertEquals(view.legend[3].fraction, 0.5);
  assertEquals(view.legend[1].rgb, [0, 0, 255]);
  const html = b["text/html"] as string;
  assertStringIncludes(html, "background:rgb(0,0,255)");
  assertStringIncludes(b["text/plain"], "torso: 50.0%");
});

Deno.test("parsingColors: palette by name, scale, and errors", () => {
  const view = parsingColors(new Uint8Array([10, 10]), 2, 1, "sspnerf11", { scale: 2 });
  assertEquals([view.image.width, view.image.height], [4, 2]);
  assertEquals(view.palette, SSPNERF11);
  assertThrows(() => parsingColors(new Uint8Array([4]), 1, 1, "adnerf4"), Error, "not in palette");
  assertThrows(() => parsingColors(new Uint8Array([0]), 1, 1, "nope" as "adnerf4"), Error, "unknown palette");
});
