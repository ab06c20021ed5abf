import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import { colormapLut } from "./colormap.ts";
import { compareImages, errorMap } from "./compare_images.ts";
import { displayBundle } from "./mime.ts";

function noise(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) % 1000) / 999);
}

Deno.test("compareImages: identical images give an all-zero error map drawn in the zero colour", () => {
  const rgb = noise(8 * 6 * 3, 1);
  const view = compareImages({ rgb, width: 8, height: 6 }, { rgb, width: 8, height: 6 }, {
    colormap: "viridis",
  });
  assert(view.error.every((e) => e === 0));
  assertEquals(view.psnr, Infinity);
  const zero = Array.from(colormapLut("viridis").subarray(0, 3));
  const d = view.heatmap.image.data;
  for (let i = 0; i < d.length; i += 3) assertEquals([d[i], d[i + 1], d[i + 2]], zero);
  assertStringIncludes(displayBundle(view)["text/html"] as string, "inf (identical)");
});

Deno.test("compareImages: three panels and a colour bar whose PNGs decode; error and PSNR by hand", () => {
  const gt = { rgb: new Float32Array(4 * 3).fill(0.5), width: 2, height: 2 };
  const predRgb = new Float32Array(4 * 3).fill(0.5);
  predRgb.set([1, 1, 1], 9); // last pixel off by 0.5 (128 -> 255 in 8-bit: 127/255)
  const view = compareImages({ rgb: predRgb, width: 2, height: 2 }, gt, { scale: 2 });
  assertAlmostEquals(view.error[3], 127 / 255, 1e-6);
  assertEquals(Array.from(view.error.subarray(0, 3)), [0, 0, 0]);
  const mse = (127 / 255) ** 2 / 4;
  assertAlmostEquals(view.psnr, -10 * Math.log10(mse), 1e-6);
  const lut = colormapLut("inferno"); // the default
  const hm = view.heatmap.image;
  assertEquals([hm.width, hm.height], [4, 4]);
  assertEquals(Array.from(hm.data.subarray(hm.data.length - 3)), Array.from(lut.subarray(765)));
  const b = displayBundle(view);
  const html = b["text/html"] as string;
  const pngs = [...html.matchAll(/base64,([A-Za-z0-9+/=]+)"/g)].map((m) =>
    decodePng(Uint8Array.from(atob(m[1]), (c) => c.charCodeAt(0)))
  );
  assertEquals(pngs.length, 4); // prediction, ground truth, error, colour bar
  assertEquals(Array.from(pngs[0].data.subarray(pngs[0].data.length - 3)), [255, 255, 255]);
  assertStringIncludes(b["text/plain"], "PSNR");
});

Deno.test("errorMap: grey against RGB, and size mismatches throw", () => {
  const grey = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([255]) };
  const rgb = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array([255, 255, 0]) };
  assertAlmostEquals(errorMap(grey, rgb)[0], 1 / 3, 1e-6);
  assertThrows(
    () => compareImages(grey, { ...rgb, width: 2, data: new Uint8Array(6) }),
    Error,
    "1x1 but ground truth is 2x1",
  );
});
