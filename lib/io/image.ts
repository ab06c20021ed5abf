/**
 * PNG and JPEG reading and writing, channel conversion, float conversion and resizing of 8-bit images.
 *
 * Codecs: `fast-png` (image-js project; pure TypeScript/ESM with types, maintained, decodes every PNG
 * colour type, bit depths 1-16, palettes with tRNS and Adam7 interlacing, with fflate for zlib) and
 * `jpeg-js` (pure JS baseline + progressive decoder, encoder with 4:4:4 chroma, no native code). Both run
 * offline in Deno from the npm registry, with no binary download at install time and no canvas.
 * @module
 */
import { decode as fastPngDecode, encode as fastPngEncode } from "fast-png";
import jpeg from "jpeg-js";
import type { Image } from "./types.ts";
import { writeFileAtomic } from "./atomic.ts";

function checkImage(img: Image, where: string): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image.ts: ${where}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new Error(`image.ts: ${where}: channels must be 1, 3 or 4, got ${channels}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new Error(
      `image.ts: ${where}: data must be a Uint8Array of width*height*channels = ${
        width * height * channels
      } bytes, got ${data?.length}`,
    );
  }
}

/** Unpacks rows of 1/2/4-bit samples (each row starts on a byte) to one byte per sample. */
function unpackBits(data: ArrayLike<number>, width: number, height: number, depth: number, spp: number) {
  const perRow = width * spp;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = data[y * rowBytes + (bit >> 3)];
      out[y * perRow + i] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/**
 * Decodes a PNG to 8 bits per channel. 16-bit samples are rounded (v / 257); 1/2/4-bit grey is scaled to
 * 0..255; palettes are expanded to RGB, or RGBA when the palette has transparency (tRNS); grey+alpha
 * becomes RGBA; a tRNS colour key on grey or RGB becomes an alpha channel.
 * @param bytes The PNG file.
 * @param source Names the file in error messages.
 * @returns An image with 1 (grey), 3 (RGB) or 4 (RGBA) channels.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { decodePng, encodePng } from "./image.ts";
 * const img = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([0, 200]) };
 * assert(decodePng(encodePng(img)).data[1] === 200);
 * ```
 */
export function decodePng(bytes: Uint8Array, source = "png bytes"): Image {
  let png;
  try {
    png = fastPngDecode(bytes);
  } catch (e) {
    throw new Error(`image.ts: ${source}: not a readable PNG: ${e instanceof Error ? e.message : e}`);
  }
  const { width, height, depth } = png;
  const n = width * height;
  if (png.palette) {
    const idx = depth < 8 ? unpackBits(png.data, width, height, depth, 1) : png.data;
    const pal = png.palette;
    const nc = pal.some((c) => c.length === 4 && c[3] !== 255) ? 4 : 3;
    const out = new Uint8Array(n * nc);
    for (let i = 0; i < n; i++) {
      const c = pal[idx[i]];
      if (!c) {
        throw new Error(`image.ts: ${source}: palette index ${idx[i]} out of range (${pal.length} colours)`);
      }
      for (let k = 0; k < nc; k++) out[i * nc + k] = k < c.length ? c[k] : 255;
    }
    return { width, height, channels: nc, data: out };
  }
  const spp = png.channels;
  let samples: Uint8Array;
  if (depth === 16) {
    samples = new Uint8Array(n * spp);
    for (let i = 0; i < samples.length; i++) samples[i] = Math.round(png.data[i] / 257);
  } else if (depth === 8) {
    samples = png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
  } else {
    samples = unpackBits(png.data, width, height, depth, spp);
    const scale = 255 / ((1 << depth) - 1);
    for (let i = 0; i < samples.length; i++) samples[i] = samples[i] * scale;
  }
  const key = png.transparency;
  if ((spp === 1 || spp === 3) && key && key.length === spp) {
    // Colour-key transparency: the one matching colour (compared at the stored depth) is transparent.
    const raw = depth < 8 ? unpackBits(png.data, width, height, depth, spp) : png.data;
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      let match = true;
      for (let k = 0; k < spp; k++) {
        out[i * 4 + k] = samples[i * spp + (spp === 1 ? 0 : k)];
        if (raw[i * spp + k] !== key[k]) match = false;
      }
      if (spp === 1) out[i * 4 + 1] = out[i * 4 + 2] = out[i * 4];
      out[i * 4 + 3] = match ? 0 : 255;
    }
    return { width, height, channels: 4, data: out };
  }
  if (spp === 2) {
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = samples[i * 2];
      out[i * 4 + 3] = samples[i * 2 + 1];
    }
    return { width, height, channels: 4, data: out };
  }
  if (spp !== 1 && spp !== 3 && spp !== 4) {
    throw new Error(`image.ts: ${source}: PNG has ${spp} channels, expected 1 to 4`);
  }
  return { width, height, channels: spp, data: samples };
}

/**
 * Encodes an 8-bit PNG (grey, RGB or RGBA as the image has them; lossless).
 * @param img The image.
 * @returns The PNG file's bytes.
 */
export function encodePng(img: Image): Uint8Array {
  checkImage(img, "encodePng img");
  return fastPngEncode({
    width: img.width,
    height: img.height,
    data: img.data,
    depth: 8,
    channels: img.channels,
  });
}

/**
 * Decodes a JPEG (baseline or progressive; grey and CMYK are converted) to RGB.
 * @param bytes The JPEG file.
 * @param source Names the file in error messages.
 * @returns An RGB image (channels 3).
 */
export function decodeJpeg(bytes: Uint8Array, source = "jpeg bytes"): Image {
  try {
    const d = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
    return { width: d.width, height: d.height, channels: 3, data: d.data };
  } catch (e) {
    throw new Error(`image.ts: ${source}: not a readable JPEG: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Encodes a baseline JPEG with 4:4:4 chroma (no subsampling). Alpha is dropped; grey is written as RGB.
 * @param img The image.
 * @param quality 1..100. @default {95}
 * @returns The JPEG file's bytes.
 */
export function encodeJpeg(img: Image, quality = 95): Uint8Array {
  checkImage(img, "encodeJpeg img");
  if (!(quality >= 1 && quality <= 100)) {
    throw new Error(`image.ts: encodeJpeg quality must be in 1..100, got ${quality}`);
  }
  const n = img.width * img.height;
  const rgba = new Uint8Array(n * 4);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    rgba[i * 4] = img.data[i * c];
    rgba[i * 4 + 1] = img.data[i * c + (c === 1 ? 0 : 1)];
    rgba[i * 4 + 2] = img.data[i * c + (c === 1 ? 0 : 2)];
    rgba[i * 4 + 3] = 255;
  }
  const out = jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes a PNG or JPEG, chosen by the file's first bytes (not its name).
 * @param bytes The file.
 * @param source Names the file in error messages.
 * @returns The image (see {@linkcode decodePng} and {@linkcode decodeJpeg} for channels).
 */
export function decodeImage(bytes: Uint8Array, source = "image bytes"): Image {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return decodePng(bytes, source);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return decodeJpeg(bytes, source);
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new Error(
    `image.ts: ${source}: unknown image format (first bytes ${head || "none"}), expected PNG (89 50 4e 47) ` +
      `or JPEG (ff d8 ff)`,
  );
}

/**
 * Reads a PNG or JPEG file.
 * @param path File path.
 * @returns The image.
 */
export async function readImage(path: string): Promise<Image> {
  return decodeImage(await Deno.readFile(path), path);
}

/** Options of {@linkcode writeImage}. */
export interface WriteImageOptions {
  /** JPEG quality 1..100 (ignored for PNG). @default {95} */
  readonly quality?: number;
}

/**
 * Writes an image atomically (temporary file, then rename), as PNG or JPEG by the extension of `path`
 * (`.png`, `.jpg`, `.jpeg`, any case). Parent folders are created.
 * @param path Destination.
 * @param img The image.
 * @param options JPEG quality.
 */
export async function writeImage(path: string, img: Image, options: WriteImageOptions = {}): Promise<void> {
  const ext = /\.([^./\\]+)$/.exec(path)?.[1].toLowerCase();
  let bytes: Uint8Array;
  if (ext === "png") bytes = encodePng(img);
  else if (ext === "jpg" || ext === "jpeg") bytes = encodeJpeg(img, options.quality ?? 95);
  else throw new Error(`image.ts: ${path}: extension must be .png, .jpg or .jpeg to choose the format`);
  await writeFileAtomic(path, bytes);
}

/**
 * Converts to RGB: grey is replicated, alpha is dropped (not composited). RGB input is returned as is.
 * @param img The image.
 * @returns An RGB image.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { toRgb } from "./image.ts";
 * const rgb = toRgb({ width: 1, height: 1, channels: 1, data: new Uint8Array([7]) });
 * assert(rgb.channels === 3 && rgb.data.join() === "7,7,7");
 * ```
 */
export function toRgb(img: Image): Image {
  checkImage(img, "toRgb img");
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const c = img.channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = img.data[i * c];
    out[i * 3 + 1] = img.data[i * c + (c === 1 ? 0 : 1)];
    out[i * 3 + 2] = img.data[i * c + (c === 1 ? 0 : 2)];
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/**
 * RGB values in [0, 1] (value / 255), HWC order, length width*height*3. Converts with {@linkcode toRgb}.
 * @param img The image.
 * @returns Float32Array of width*height*3.
 */
export function imageToFloat(img: Image): Float32Array {
  const rgb = toRgb(img);
  const out = new Float32Array(rgb.data.length);
  for (let i = 0; i < out.length; i++) out[i] = rgb.data[i] / 255;
  return out;
}

/**
 * An RGB image from floats in [0, 1] (HWC): clamped, then rounded to round(v * 255). NaN becomes 0.
 * @param data Float32Array of width*height*3.
 * @param width Image width.
 * @param height Image height.
 * @returns An RGB image.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { floatToImage } from "./image.ts";
 * const img = floatToImage(new Float32Array([-1, 0.5, 2]), 1, 1);
 * assert(img.data.join() === "0,128,255");
 * ```
 */
export function floatToImage(data: Float32Array, width: number, height: number): Image {
  if (data.length !== width * height * 3) {
    throw new Error(`image.ts: floatToImage data has ${data.length} values, expected ${width}x${height}x3`);
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  const img: Image = { width, height, channels: 3, data: out };
  checkImage(img, "floatToImage");
  return img;
}

/** Resampling filters of {@linkcode resizeImage}. */
export type ResizeFilter = "bilinear" | "area" | "nearest";

/** Options of {@linkcode resizeImage}. */
export interface ResizeOptions {
  /**
   * "bilinear" (half-pixel centres, as OpenCV INTER_LINEAR and tf.image with halfPixelCenters);
   * "area" (each output pixel is the exact area-weighted mean of the source pixels it covers; anti-aliased
   * shrinking); "nearest" (for label maps such as parsing images: never invents labels).
   * @default {"area" when shrinking along both axes, else "bilinear"}
   */
  readonly filter?: ResizeFilter;
}

/** For each output index: source indices and weights along one axis. */
function axisWeights(
  src: number,
  dst: number,
  filter: ResizeFilter,
): { idx: Int32Array[]; w: Float64Array[] } {
  const scale = src / dst;
  const idx: Int32Array[] = [];
  const w: Float64Array[] = [];
  for (let o = 0; o < dst; o++) {
    if (filter === "nearest") {
      idx.push(Int32Array.of(Math.min(src - 1, Math.floor((o + 0.5) * scale))));
      w.push(Float64Array.of(1));
    } else if (filter === "bilinear") {
      const x = Math.min(src - 1, Math.max(0, (o + 0.5) * scale - 0.5));
      const x0 = Math.floor(x);
      const x1 = Math.min(src - 1, x0 + 1);
      const t = x - x0;
      idx.push(Int32Array.of(x0, x1));
      w.push(Float64Array.of(1 - t, t));
    } else {
      const a = o * scale;
      const b = (o + 1) * scale;
      const first = Math.floor(a);
      const last = Math.min(src - 1, Math.ceil(b) - 1);
      const ii: number[] = [];
      const ww: number[] = [];
      for (let s = first; s <= last; s++) {
        const overlap = Math.min(b, s + 1) - Math.max(a, s);
        if (overlap > 1e-12) {
          ii.push(s);
          ww.push(overlap / scale);
        }
      }
      idx.push(Int32Array.from(ii));
      w.push(Float64Array.from(ww));
    }
  }
  return { idx, w };
}

/**
 * Resizes an image (any channel count), separably: rows first, then columns, in floating point,
 * rounded once at the end.
 * @param img The image.
 * @param width Output width (>= 1).
 * @param height Output height (>= 1).
 * @param options Filter.
 * @returns A new image with the same channels.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { resizeImage } from "./image.ts";
 * const img = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array([0, 100, 200, 40]) };
 * assert(resizeImage(img, 1, 1).data[0] === 85); // area: the mean of the four
 * ```
 */
export function resizeImage(img: Image, width: number, height: number, options: ResizeOptions = {}): Image {
  checkImage(img, "resizeImage img");
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image.ts: resizeImage size must be positive integers, got ${width}x${height}`);
  }
  const filter = options.filter ?? (width <= img.width && height <= img.height ? "area" : "bilinear");
  if (!["bilinear", "area", "nearest"].includes(filter)) {
    throw new Error(`image.ts: resizeImage filter must be bilinear, area or nearest, got ${filter}`);
  }
  const c = img.channels;
  const xs = axisWeights(img.width, width, filter);
  const ys = axisWeights(img.height, height, filter);
  const tmp = new Float64Array(img.height * width * c);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width;
    for (let x = 0; x < width; x++) {
      const ii = xs.idx[x];
      const ww = xs.w[x];
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let j = 0; j < ii.length; j++) acc += ww[j] * img.data[(row + ii[j]) * c + k];
        tmp[(y * width + x) * c + k] = acc;
      }
    }
  }
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const ii = ys.idx[y];
    const ww = ys.w[y];
    for (let x = 0; x < width * c; x++) {
      let acc = 0;
      for (let j = 0; j < ii.length; j++) acc += ww[j] * tmp[ii[j] * width * c + x];
      out[y * width * c + x] = Math.min(255, Math.max(0, Math.round(acc)));
    }
  }
  return { width, height, channels: c, data: out };
}
