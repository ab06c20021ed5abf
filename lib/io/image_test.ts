import { assert, assertEquals, assertGreater, assertRejects, assertThrows } from "@std/assert";
import { encode as fastPngEncode } from "fast-png";
import {
  decodeImage,
  decodeJpeg,
  decodePng,
  encodeJpeg,
  encodePng,
  floatToImage,
  imageToFloat,
  readImage,
  resizeImage,
  toRgb,
  writeImage,
} from "./image.ts";
import type { Image } from "./types.ts";

function pattern(width: number, height: number, channels: 1 | 3 | 4): Image {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < channels; k++) {
        data[(y * width + x) * channels + k] = (x * 13 + y * 7 + k * 50) & 0xff;
      }
    }
  }
  return { width, height, channels, data };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

// --- a PNG writer built here from the spec (chunks, CRC-32, zlib via CompressionStream), independent of fast-png.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  v.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}
async function zlib(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
/** PNG with filter type 0 rows given as already-packed bytes. */
async function handPng(
  width: number,
  height: number,
  depth: number,
  colorType: number,
  rows: number[][],
  extra: Uint8Array[] = [],
): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, 0], 8);
  const raw = new Uint8Array(rows.flatMap((r) => [0, ...r]));
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    ...extra,
    chunk("IDAT", await zlib(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("png: lossless round trip for grey, RGB and RGBA", () => {
  for (const c of [1, 3, 4] as const) {
    const img = pattern(17, 9, c);
    assertEquals(decodePng(encodePng(img)), img);
    assertEquals(decodeImage(encodePng(img)), img);
  }
});

Deno.test("png: hand-built files: 1-bit and 4-bit grey, palette with tRNS, grey+alpha, 16-bit RGB", async () => {
  // 1-bit grey, 10 px wide: bits 1010000011 -> bytes 0xa0 0xc0.
  const g1 = decodePng(await handPng(10, 1, 1, 0, [[0xa0, 0xc0]]));
  assertEquals(Array.from(g1.data), [255, 0, 255, 0, 0, 0, 0, 0, 255, 255]);
  assertEquals(g1.channels, 1);
  // 4-bit grey: 0x0f 0x80 -> 0, 15, 8 -> 0, 255, 136.
  assertEquals(Array.from(decodePng(await handPng(3, 1, 4, 0, [[0x0f, 0x80]])).data), [0, 255, 136]);
  // 2-bit palette of 3 colours; tRNS gives colour 1 alpha 128; indices 0 1 2 1.
  const plte = chunk("PLTE", new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90]));
  const trns = chunk("tRNS", new Uint8Array([255, 128]));
  const pal = decodePng(await handPng(4, 1, 2, 3, [[0b00011001]], [plte, trns]));
  assertEquals(pal.channels, 4);
  assertEquals(Array.from(pal.data), [10, 20, 30, 255, 40, 50, 60, 128, 70, 80, 90, 255, 40, 50, 60, 128]);
  const opaque = decodePng(await handPng(2, 1, 8, 3, [[2, 0]], [plte]));
  assertEquals(opaque.channels, 3);
  assertEquals(Array.from(opaque.data), [70, 80, 90, 10, 20, 30]);
  // grey + alpha -> RGBA.
  const ga = decodePng(await handPng(1, 1, 8, 4, [[77, 99]]));
  assertEquals(Array.from(ga.data), [77, 77, 77, 99]);
  // 16-bit RGB: 0xffff -> 255, 0x8080 -> 128, 0x0101 -> 1.
  const rgb16 = decodePng(await handPng(1, 1, 16, 2, [[0xff, 0xff, 0x80, 0x80, 0x01, 0x01]]));
  assertEquals(rgb16, { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 128, 1]) });
  // tRNS colour key on 8-bit grey: value 5 becomes transparent.
  const key = decodePng(await handPng(2, 1, 8, 0, [[5, 6]], [chunk("tRNS", new Uint8Array([0, 5]))]));
  assertEquals(Array.from(key.data), [5, 5, 5, 0, 6, 6, 6, 255]);
});

Deno.test("png: 16-bit files written by fast-png are rounded to 8 bits", () => {
  const d16 = new Uint16Array([0, 257, 65535, 32896, 1000, 40000]);
  const bytes = fastPngEncode({ width: 2, height: 1, data: d16, depth: 16, channels: 3 });
  const img = decodePng(bytes);
  assertEquals(Array.from(img.data), [0, 1, 255, 128, 4, 156]);
});

Deno.test("jpeg: quality 95 round trip above 35 dB, grey written as RGB, channels 3", () => {
  // A smooth colour image (JPEG's intended content).
  const w = 64;
  const h = 48;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = Math.round(127.5 + 127.5 * Math.sin(x / 9));
      data[i + 1] = Math.round((y / (h - 1)) * 255);
      data[i + 2] = Math.round(128 + 100 * Math.cos((x + y) / 14));
    }
  }
  const img: Image = { width: w, height: h, channels: 3, data };
  const bytes = encodeJpeg(img);
  assertEquals([bytes[0], bytes[1], bytes[2]], [0xff, 0xd8, 0xff]);
  const back = decodeJpeg(bytes);
  assertEquals([back.width, back.height, back.channels], [w, h, 3]);
  const p = psnr(back.data, data);
  assertGreater(p, 35);
  assertGreater(p, psnr(decodeJpeg(encodeJpeg(img, 30)).data, data), "higher quality, higher PSNR");
  const grey = decodeImage(
    encodeJpeg({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(90) }),
  );
  assertEquals(grey.channels, 3);
  assert(grey.data.every((v) => Math.abs(v - 90) <= 1));
});

Deno.test("image: bad input names the source", async () => {
  assertThrows(
    () => decodeImage(new TextEncoder().encode("GIF89a"), "x.gif"),
    Error,
    "x.gif: unknown image format",
  );
  assertThrows(() => decodeImage(new Uint8Array(0), "empty"), Error, "empty: unknown image format");
  const png = encodePng(pattern(4, 4, 3));
  assertThrows(() => decodePng(png.slice(0, 30), "cut.png"), Error, "cut.png: not a readable PNG");
  assertThrows(
    () => decodeJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0, 1]), "cut.jpg"),
    Error,
    "cut.jpg: not a readable JPEG",
  );
  assertThrows(
    () => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }),
    Error,
    "data must be a Uint8Array of width*height*channels = 12 bytes, got 5",
  );
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => writeImage(`${dir}/a.bmp`, pattern(2, 2, 3)), Error, "extension must be .png");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: writeImage / readImage by extension", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const img = pattern(8, 6, 4);
    await writeImage(`${dir}/d/a.PNG`, img);
    assertEquals(await readImage(`${dir}/d/a.PNG`), img);
    await writeImage(`${dir}/d/b.jpeg`, toRgb(img), { quality: 100 });
    const j = await readImage(`${dir}/d/b.jpeg`);
    assertEquals(j.channels, 3);
    assertEquals([...Deno.readDirSync(`${dir}/d`)].map((e) => e.name).sort(), ["a.PNG", "b.jpeg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("image: toRgb, imageToFloat and floatToImage", () => {
  const rgba: Image = { width: 2, height: 1, channels: 4, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) };
  assertEquals(Array.from(toRgb(rgba).data), [1, 2, 3, 5, 6, 7]);
  const f = imageToFloat({ width: 1, height: 1, channels: 1, data: new Uint8Array([51]) });
  assertEquals(Array.from(f), [0.2, 0.2, 0.2].map(Math.fround));
  const img = pattern(5, 4, 3);
  assertEquals(floatToImage(imageToFloat(img), 5, 4), img);
  assertEquals(Array.from(floatToImage(new Float32Array([NaN, 0.499 / 255, 0.501 / 255]), 1, 1).data), [
    0,
    0,
    1,
  ]);
  assertThrows(() => floatToImage(new Float32Array(5), 1, 2), Error, "expected 1x2x3");
});

Deno.test("resize: hand-derived values for each filter, and two paths agree", () => {
  // Bilinear (half-pixel centres) of a linear ramp 0, 30, 60, 90 to 8 px: x_src = (o + 0.5) / 2 - 0.5.
  const ramp: Image = { width: 4, height: 1, channels: 1, data: new Uint8Array([0, 30, 60, 90]) };
  assertEquals(Array.from(resizeImage(ramp, 8, 1, { filter: "bilinear" }).data), [
    0,
    8,
    23,
    38,
    53,
    68,
    83,
    90,
  ]);
  // Nearest upscale by 2 duplicates; nearest downscale picks floor((o + 0.5) * 2) = 1, 3.
  assertEquals(Array.from(resizeImage(ramp, 8, 1, { filter: "nearest" }).data), [
    0,
    0,
    30,
    30,
    60,
    60,
    90,
    90,
  ]);
  assertEquals(Array.from(resizeImage(ramp, 2, 1, { filter: "nearest" }).data), [30, 90]);
  // Area 4 -> 3 on 0, 40, 80, 120: output 0 covers [0, 4/3): weights 3/4, 1/4 -> 10; then 60 and 110.
  const ramp40: Image = { width: 4, height: 1, channels: 1, data: new Uint8Array([0, 40, 80, 120]) };
  assertEquals(Array.from(resizeImage(ramp40, 3, 1, { filter: "area" }).data), [10, 60, 110]);
  // Area by an integer factor equals the mean of each block (computed directly here).
  const img = pattern(12, 8, 3);
  const small = resizeImage(img, 3, 2); // default filter is area when shrinking
  for (let y = 0; y < 2; y++) {
    for (let x = 0; x < 3; x++) {
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let dy = 0; dy < 4; dy++) {
          for (let dx = 0; dx < 4; dx++) s += img.data[((y * 4 + dy) * 12 + x * 4 + dx) * 3 + k];
        }
        assertEquals(small.data[(y * 3 + x) * 3 + k], Math.round(s / 16));
      }
    }
  }
  // Constant images stay constant under every filter and size; identity size is identity.
  const flat: Image = { width: 7, height: 5, channels: 4, data: new Uint8Array(140).fill(123) };
  for (const filter of ["bilinear", "area", "nearest"] as const) {
    assert(resizeImage(flat, 3, 11, { filter }).data.every((v) => v === 123));
    assertEquals(resizeImage(img, 12, 8, { filter }), img);
  }
  assertThrows(() => resizeImage(img, 0, 3), Error, "positive integers");
});
