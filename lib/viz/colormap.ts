/**
 * Perceptual colour maps (viridis, inferno) as 256-entry lookup tables, and scalar fields (errors,
 * depth, accumulation) coloured with them.
 *
 * The tables interpolate linearly between matplotlib's colours at t = 0, 0.1, ..., 1 (the hex stops
 * that d3 and matplotlib's docs list); the result is within a few levels of the full tables, and keeps
 * their two properties that matter here: lightness rises monotonically, and t = 0 has one colour.
 * @module
 */
import type { Image } from "../io/types.ts";

/** Names of the colour maps. */
export type ColormapName = "viridis" | "inferno";

const STOPS: Readonly<Record<ColormapName, readonly string[]>> = {
  viridis: [
    "440154",
    "482475",
    "414487",
    "355f8d",
    "2a788e",
    "21918c",
    "22a884",
    "44bf70",
    "7ad151",
    "bddf26",
    "fde725",
  ],
  inferno: [
    "000004",
    "160b39",
    "420a68",
    "6a176e",
    "932667",
    "bc3754",
    "dd513a",
    "f37819",
    "fca50a",
    "f6d746",
    "fcffa4",
  ],
};

const luts = new Map<ColormapName, Uint8Array>();

/**
 * The 256 x RGB lookup table of a colour map (entry i is the colour of t = i / 255).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { colormapLut } from "./colormap.ts";
 * const lut = colormapLut("viridis");
 * assertEquals(Array.from(lut.subarray(0, 3)), [0x44, 0x01, 0x54]); // t = 0: dark purple
 * assertEquals(Array.from(lut.subarray(765, 768)), [0xfd, 0xe7, 0x25]); // t = 1: yellow
 * ```
 */
export function colormapLut(name: ColormapName): Uint8Array {
  const cached = luts.get(name);
  if (cached) return cached;
  const stops = STOPS[name];
  if (!stops) {
    throw new Error(`unknown colour map "${name}": expected one of ${Object.keys(STOPS).join(", ")}`);
  }
  const rgb = stops.map((h) => [0, 2, 4].map((o) => parseInt(h.slice(o, o + 2), 16)));
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const s = (i / 255) * (stops.length - 1);
    const k = Math.min(Math.floor(s), stops.length - 2);
    const f = s - k;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(rgb[k][c] * (1 - f) + rgb[k + 1][c] * f);
  }
  luts.set(name, lut);
  return lut;
}

/** Options of {@linkcode colorize}. */
export interface ColorizeOptions {
  /** Value drawn with the first colour; smaller values are clamped. @default {0} */
  readonly min?: number;
  /** Value drawn with the last colour; larger values are clamped. @default {the largest finite value} */
  readonly max?: number;
  /** @default {"viridis"} */
  readonly colormap?: ColormapName;
}

/** The range a scalar field is drawn with: the options', or [0 | min, largest finite value]. */
export function colorRange(
  values: ArrayLike<number>,
  options: ColorizeOptions = {},
): { min: number; max: number } {
  const min = options.min ?? 0;
  let max = options.max;
  if (max === undefined) {
    max = -Infinity;
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i]) && values[i] > max) max = values[i];
    }
    if (!(max > min)) max = min + 1; // an empty or constant field: every value draws as t = 0
  }
  if (!(max > min)) throw new Error(`colour range must have max > min: got min ${min}, max ${max}`);
  return { min, max };
}

/**
 * Colours a scalar field of `width * height` values (row-major) as an RGB image. NaN draws as the first
 * colour.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { colorize, colormapLut } from "./colormap.ts";
 * const img = colorize(new Float32Array([0, 0.5, 1]), 3, 1, { max: 1 });
 * const lut = colormapLut("viridis");
 * assertEquals(Array.from(img.data.subarray(6, 9)), Array.from(lut.subarray(765, 768)));
 * ```
 */
export function colorize(
  values: ArrayLike<number>,
  width: number,
  height: number,
  options: ColorizeOptions = {},
): Image {
  if (values.length !== width * height) {
    throw new Error(
      `colorize: ${values.length} values for a ${width}x${height} image: expected ${width * height}`,
    );
  }
  const { min, max } = colorRange(values, options);
  const lut = colormapLut(options.colormap ?? "viridis");
  const data = new Uint8Array(values.length * 3);
  const scale = 255 / (max - min);
  for (let i = 0; i < values.length; i++) {
    const t = (values[i] - min) * scale;
    const k = t > 0 ? (t < 255 ? Math.round(t) : 255) : 0;
    data[3 * i] = lut[3 * k];
    data[3 * i + 1] = lut[3 * k + 1];
    data[3 * i + 2] = lut[3 * k + 2];
  }
  return { width, height, channels: 3, data };
}

/** A horizontal colour bar, `width` x `height`, from the first colour (left) to the last (right). */
export function colorbar(colormap: ColormapName = "viridis", width = 256, height = 12): Image {
  const row = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) row[y * width + x] = x / Math.max(1, width - 1);
  }
  return colorize(row, width, height, { min: 0, max: 1, colormap });
}
