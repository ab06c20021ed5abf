import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import { heatmap } from "./image_view.ts";
import { imageGrid } from "./image_grid.ts";
import { base64ToBytes, displayBundle } from "./mime.ts";

Deno.test("imageGrid: inline PNGs that decode to the items, captions escaped, columns", () => {
  const a = { rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 };
  const b = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([0, 0, 255, 0, 255, 0]) };
  const view = imageGrid([{ image: a, caption: "<a>" }, { image: b, caption: "b" }], {
    columns: 1,
    scale: 2,
  });
  const bundle = displayBundle(view);
  assertEquals(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  const html = bundle["text/html"] as string;
  assertStringIncludes(html, "repeat(1, max-content)");
  assertStringIncludes(html, "&lt;a&gt;");
  const pngs = [...html.matchAll(/base64,([A-Za-z0-9+/=]+)"/g)].map((m) => decodePng(base64ToBytes(m[1])));
  assertEquals(pngs.map((p) => [p.width, p.height]), [[2, 2], [4, 2]]);
  assertEquals(Array.from(pngs[1].data.subarray(0, 3)), [0, 0, 255]);
  assertStringIncludes(bundle["text/plain"], "<a>: 2x2");
});

Deno.test("imageGrid: views bring their own html; bad arguments throw", () => {
  const html = imageGrid([{ image: heatmap([0, 1], 2, 1) }]).html();
  assertEquals(html.match(/<img /g)?.length, 2); // heat map + colour bar
  assertThrows(() => imageGrid([]), Error, "at least one");
  assertThrows(() => imageGrid([{ image: heatmap([0], 1, 1) }], { columns: 0 }), Error, "columns");
});
