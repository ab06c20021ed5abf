/**
 * The image forms the metrics accept, and the conversions they share.
 *
 * A metric takes either an 8-bit {@linkcode Image} (values 0..255) or a {@linkcode FloatImage} with
 * values in [0, 1], both HWC with interleaved channels. Everything is brought to [0, 1] floats before
 * computing, so a number does not depend on which of the two forms was passed.
 * @module
 */
import type { Image } from "../io/types.ts";

/** A floating-point image, values in [0, 1], rows top to bottom, channels interleaved (HWC). */
export interface FloatImage {
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  /** `width * height * channels` values. */
  readonly data: Float32Array | Float64Array;
}

/** Either image form the metrics accept. */
export type MetricImage = Image | FloatImage;

/** One channel of an image as doubles, row-major: what the filters of SSIM, Canny and CPBD work on. */
export interface GreyPlane {
  readonly width: number;
  readonly height: number;
  /** `width * height` values. */
  readonly data: Float64Array;
}

/** A rectangle of pixels: top-left corner (x, y), width w and height h, all integers in pixels. */
export interface Crop {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Checks the fields of an image and that its data has `width * height * channels` entries. */
export function checkImage(img: MetricImage, name: string): void {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`${name}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`${name}: channels must be a positive integer, got ${channels}`);
  }
  if (data.length !== width * height * channels) {
    throw new Error(
      `${name}: data has ${data.length} entries, expected width*height*channels = ${
        width * height * channels
      }`,
    );
  }
}

/** Checks that two images have the same width, height and channel count. */
export function checkSameShape(a: MetricImage, b: MetricImage, names = ["a", "b"]): void {
  checkImage(a, names[0]);
  checkImage(b, names[1]);
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(
      `${names[0]} is ${a.width}x${a.height}x${a.channels} but ${names[1]} is ` +
        `${b.width}x${b.height}x${b.channels}: expected the same width, height and channels`,
    );
  }
}

/** Checks a crop against an image size; returns it (or the whole image when undefined). */
export function resolveCrop(crop: Crop | undefined, width: number, height: number): Crop {
  if (!crop) return { x: 0, y: 0, w: width, h: height };
  const { x, y, w, h } = crop;
  const ints = [x, y, w, h].every(Number.isInteger);
  if (!ints || x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height) {
    throw new Error(
      `crop {x: ${x}, y: ${y}, w: ${w}, h: ${h}} must be integers with w, h > 0 inside the ${width}x${height} image`,
    );
  }
  return crop;
}

/**
 * Rounds [0, 1] floats to the nearest 8-bit level and back: round(clamp(v, 0, 1) * 255) / 255. This is
 * what writing a rendered frame to PNG does, so a metric on quantised floats equals the metric on the file.
 */
export function quantize8(v: number): number {
  const c = v < 0 ? 0 : v > 1 ? 1 : v;
  return Math.round(c * 255) / 255;
}

/**
 * One channel of an image (or of a crop of it) as a plane of [0, 1] doubles.
 * @param img The image.
 * @param channel Channel index.
 * @param options `crop` region; `quantize` rounds float images to 8-bit levels first (uint8 images are
 * exact already).
 */
export function channelPlane(
  img: MetricImage,
  channel: number,
  options: { crop?: Crop; quantize?: boolean } = {},
): GreyPlane {
  if (!Number.isInteger(channel) || channel < 0 || channel >= img.channels) {
    throw new Error(`channel ${channel} does not exist: the image has channels 0..${img.channels - 1}`);
  }
  const { x, y, w, h } = resolveCrop(options.crop, img.width, img.height);
  const out = new Float64Array(w * h);
  const c = img.channels;
  const isByte = img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray;
  const q = !isByte && (options.quantize ?? true);
  const data = img.data;
  for (let r = 0; r < h; r++) {
    let src = ((y + r) * img.width + x) * c + channel;
    const row = r * w;
    for (let k = 0; k < w; k++, src += c) {
      const v = data[src];
      out[row + k] = isByte ? v / 255 : q ? quantize8(v) : v;
    }
  }
  return { width: w, height: h, data: out };
}
