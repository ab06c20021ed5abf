/**
 * Images in notebooks: one image as a PNG output, and scalar fields (depth, errors) as colour-mapped
 * images with their range.
 * @module
 */
import { encodePng, floatToImage, resizeImage } from "../io/image.ts";
import type { Image } from "../io/types.ts";
import { colorbar, colorize, type ColorizeOptions, colorRange } from "./colormap.ts";
import { escapeHtml } from "./html_text.ts";
import { bytesToBase64, JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** Anything holding an image: an `Image` (8-bit), floats `{ rgb, width, height }` in [0, 1] (as a
 * rendered frame), or a view of this module. */
export type ImageLike =
  | Image
  | { readonly rgb: Float32Array; readonly width: number; readonly height: number }
  | { readonly image: Image };

/**
 * The 8-bit image of an {@linkcode ImageLike}.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toImage } from "./image_view.ts";
 * const img = toImage({ rgb: new Float32Array([1, 0.5, 0]), width: 1, height: 1 });
 * assertEquals(Array.from(img.data), [255, 128, 0]);
 * ```
 */
export function toImage(x: ImageLike): Image {
  if ("image" in x) return x.image;
  if ("rgb" in x) return floatToImage(x.rgb, x.width, x.height);
  if ("data" in x && "channels" in x) return x;
  throw new Error(
    `expected an Image, { rgb, width, height } or a view with .image: got keys ${Object.keys(x)}`,
  );
}

/** The image enlarged by `scale` with nearest-neighbour sampling (pixels stay sharp). */
export function scaleImage(img: Image, scale = 1): Image {
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error(`scale must be a positive number: got ${scale}`);
  }
  if (scale === 1) return img;
  const w = Math.max(1, Math.round(img.width * scale)), h = Math.max(1, Math.round(img.height * scale));
  return resizeImage(img, w, h, { filter: "nearest" });
}

/** An `<img>` tag with the image as an inline PNG (a data URL). */
export function pngTag(img: Image, alt = ""): string {
  return `<img src="data:image/png;base64,${bytesToBase64(encodePng(img))}" width="${img.width}" ` +
    `height="${img.height}" alt="${escapeHtml(alt)}" style="image-rendering: pixelated">`;
}

function describe(img: Image): string {
  return `${img.width}x${img.height} ${img.channels === 1 ? "grey" : img.channels === 3 ? "RGB" : "RGBA"}`;
}

/** Options of {@linkcode image}. */
export interface ImageOptions {
  /** Enlargement factor (nearest neighbour). @default {1} */
  readonly scale?: number;
  /** A caption; when given, the bundle also has `text/html` showing it under the image. */
  readonly title?: string;
}

/** An image displayed as a PNG. Made by {@linkcode image}. */
export class ImageView {
  /** The image as displayed (scaled). */
  readonly image: Image;
  readonly title?: string;
  constructor(img: ImageLike, options: ImageOptions = {}) {
    this.image = scaleImage(toImage(img), options.scale ?? 1);
    this.title = options.title;
  }
  /** The PNG file bytes. */
  png(): Uint8Array {
    return encodePng(this.image);
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    const b64 = bytesToBase64(this.png());
    const text = `${this.title ? `${this.title}: ` : ""}image ${describe(this.image)}`;
    if (!this.title) return { "image/png": b64, "text/plain": text };
    const html =
      `<figure style="margin:0"><img src="data:image/png;base64,${b64}" width="${this.image.width}" ` +
      `height="${this.image.height}" alt="${escapeHtml(this.title)}" style="image-rendering: pixelated">` +
      `<figcaption>${escapeHtml(this.title)}</figcaption></figure>`;
    return { "image/png": b64, "text/html": html, "text/plain": text };
  }
}

/**
 * Shows an image in a notebook as a PNG output (`image/png` and `text/plain`).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodePng } from "../io/mod.ts";
 * import { base64ToBytes, displayBundle } from "./mime.ts";
 * import { image } from "./image_view.ts";
 * const view = image({ rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 }, { scale: 2 });
 * const png = decodePng(base64ToBytes(displayBundle(view)["image/png"] as string));
 * assertEquals([png.width, png.height, png.data[0], png.data[1]], [2, 2, 255, 0]);
 * ```
 */
export function image(img: ImageLike, options: ImageOptions = {}): ImageView {
  return new ImageView(img, options);
}

/** Options of {@linkcode heatmap}. */
export interface HeatmapOptions extends ColorizeOptions {
  /** Enlargement factor (nearest neighbour). @default {1} */
  readonly scale?: number;
  /** A caption above the colour bar. */
  readonly title?: string;
}

/** A scalar field drawn with a colour map, with a colour bar labelled by its range. Made by
 * {@linkcode heatmap}. */
export class HeatmapView {
  /** The coloured image as displayed (scaled). */
  readonly image: Image;
  /** The values drawn with the first and the last colour. */
  readonly range: { readonly min: number; readonly max: number };
  readonly title?: string;
  private readonly colormap: NonNullable<ColorizeOptions["colormap"]>;
  constructor(values: ArrayLike<number>, width: number, height: number, options: HeatmapOptions = {}) {
    this.range = colorRange(values, options);
    this.colormap = options.colormap ?? "viridis";
    this.image = scaleImage(
      colorize(values, width, height, { ...options, ...this.range }),
      options.scale ?? 1,
    );
    this.title = options.title;
  }
  /** HTML: the image, then a colour bar with the range under it. */
  html(): string {
    const w = Math.max(96, Math.min(this.image.width, 256));
    const fmt = (v: number) => Number(v.toPrecision(3));
    return `<figure style="margin:0;display:inline-block">${pngTag(this.image, this.title ?? "heat map")}` +
      `<figcaption style="font-size:12px">${this.title ? `${escapeHtml(this.title)}<br>` : ""}` +
      `${pngTag(colorbar(this.colormap, w, 10), "colour bar")}<br>` +
      `<span style="display:inline-flex;justify-content:space-between;width:${w}px">` +
      `<span>${fmt(this.range.min)}</span><span>${fmt(this.range.max)}</span></span></figcaption></figure>`;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    return {
      "text/html": this.html(),
      "image/png": bytesToBase64(encodePng(this.image)),
      "text/plain":
        `${this.title ? `${this.title}: ` : ""}heat map ${this.image.width}x${this.image.height}, ` +
        `${this.colormap} from ${this.range.min} to ${this.range.max}`,
    };
  }
}

/**
 * Shows a scalar field (depth, accumulation, an error map), `width * height` values row-major, with a
 * colour map and a colour bar. The range defaults to [0, largest value].
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { displayBundle } from "./mime.ts";
 * import { heatmap } from "./image_view.ts";
 * const view = heatmap(new Float32Array([0, 1, 2, 4]), 2, 2, { title: "depth" });
 * assertEquals(view.range, { min: 0, max: 4 });
 * assertStringIncludes(displayBundle(view)["text/html"] as string, "depth");
 * ```
 */
export function heatmap(
  values: ArrayLike<number>,
  width: number,
  height: number,
  options: HeatmapOptions = {},
): HeatmapView {
  return new HeatmapView(values, width, height, options);
}
