/**
 * Pixels marked on a faded image: where a pixel sampler put its rays, where a mask is set.
 * @module
 */
import type { Image } from "../io/types.ts";
import { type ImageLike, type ImageOptions, ImageView, toImage } from "./image_view.ts";

/** Options of {@linkcode markPixels}. */
export interface MarkPixelsOptions extends ImageOptions {
  /** RGB of the marked pixels. @default {[255, 0, 0]} */
  readonly color?: readonly [number, number, number];
  /** How far the other pixels are faded towards white, in [0, 1]. @default {0.6} */
  readonly fade?: number;
}

/**
 * The image faded towards white, with the given pixels (ids v * width + u, repeats allowed) in `color`.
 * Returns an image view (`image/png`), usable in `imageGrid`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { markPixels } from "./mark_pixels.ts";
 * const img = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([0, 0, 0, 0, 0, 0]) };
 * const view = markPixels(img, [1], { fade: 0.5 });
 * assertEquals(Array.from(view.image.data), [128, 128, 128, 255, 0, 0]);
 * ```
 */
export function markPixels(
  img: ImageLike,
  pixelIds: ArrayLike<number>,
  options: MarkPixelsOptions = {},
): ImageView {
  const src = toImage(img);
  const { width, height, channels: c } = src;
  const fade = options.fade ?? 0.6;
  if (!(fade >= 0 && fade <= 1)) throw new Error(`fade must be in [0, 1]: got ${fade}`);
  const color = options.color ?? [255, 0, 0];
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) {
      data[3 * i + k] = Math.round(src.data[c * i + (c === 1 ? 0 : k)] * (1 - fade) + 255 * fade);
    }
  }
  for (let j = 0; j < pixelIds.length; j++) {
    const p = pixelIds[j];
    if (!(Number.isInteger(p) && p >= 0 && p < width * height)) {
      throw new Error(`pixel id ${p} at index ${j} is outside the ${width}x${height} image`);
    }
    data.set(color, 3 * p);
  }
  const out: Image = { width, height, channels: 3, data };
  return new ImageView(out, options);
}
