/**
 * Several images side by side with captions, as one HTML output of inline PNGs.
 * @module
 */
import type { Image } from "../io/types.ts";
import { escapeHtml } from "./html_text.ts";
import { type ImageLike, pngTag, scaleImage, toImage } from "./image_view.ts";
import { JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** One cell of a grid. */
export interface GridItem {
  /** An image, floats `{ rgb, width, height }`, or a view (heat map, parsing map: their colour bar or
   * legend comes along). */
  readonly image: ImageLike;
  readonly caption?: string;
}

/** Options of {@linkcode imageGrid}. */
export interface ImageGridOptions {
  /** Images per row. @default {the number of items, at most 4} */
  readonly columns?: number;
  /** Enlargement factor of plain images (nearest neighbour); views keep their own scale. @default {1} */
  readonly scale?: number;
  /** A heading above the grid. */
  readonly title?: string;
}

interface HasHtml {
  html(): string;
}

function hasHtml(x: unknown): x is HasHtml {
  return typeof (x as HasHtml).html === "function";
}

/** Images in a grid. Made by {@linkcode imageGrid}. */
export class ImageGridView {
  constructor(readonly items: readonly GridItem[], readonly options: ImageGridOptions = {}) {
    if (items.length === 0) throw new Error("imageGrid needs at least one item");
    const c = options.columns;
    if (c !== undefined && !(Number.isInteger(c) && c >= 1)) {
      throw new Error(`columns must be an integer >= 1: got ${c}`);
    }
  }
  /** The images as displayed (plain images scaled). */
  images(): Image[] {
    return this.items.map((it) =>
      hasHtml(it.image) ? toImage(it.image) : scaleImage(toImage(it.image), this.options.scale ?? 1)
    );
  }
  /** The grid as an HTML fragment. */
  html(): string {
    const columns = this.options.columns ?? Math.min(4, this.items.length);
    const images = this.images();
    const cells = this.items.map((it, i) => {
      const body = hasHtml(it.image) ? it.image.html() : pngTag(images[i], it.caption ?? "");
      const cap = it.caption
        ? `<figcaption style="font-size:12px;text-align:center">${escapeHtml(it.caption)}</figcaption>`
        : "";
      return `<figure style="margin:0">${body}${cap}</figure>`;
    });
    const title = this.options.title
      ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(this.options.title)}</div>`
      : "";
    return `${title}<div style="display:grid;grid-template-columns:repeat(${columns}, max-content);gap:8px;align-items:start">` +
      `${cells.join("")}</div>`;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    const images = this.images();
    const lines = this.items.map((it, i) =>
      `  ${it.caption ?? `image ${i}`}: ${images[i].width}x${images[i].height}`
    );
    return {
      "text/html": this.html(),
      "text/plain": `${this.options.title ?? "image grid"} (${this.items.length} images)\n${
        lines.join("\n")
      }`,
    };
  }
}

/**
 * Shows images side by side with captions (`text/html` of inline PNGs, and `text/plain`).
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { displayBundle } from "./mime.ts";
 * import { imageGrid } from "./image_grid.ts";
 * const red = { rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 };
 * const html = displayBundle(imageGrid([{ image: red, caption: "a <b>" }, { image: red }]))["text/html"] as string;
 * assertEquals(html.match(/<img /g)?.length, 2);
 * assertStringIncludes(html, "a &lt;b&gt;");
 * ```
 */
export function imageGrid(items: readonly GridItem[], options: ImageGridOptions = {}): ImageGridView {
  return new ImageGridView(items, options);
}
