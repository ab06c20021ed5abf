/**
 * Parsing (semantic) maps in the standard palette colours, with a legend of the classes present.
 * @module
 */
import { encodePng } from "../io/image.ts";
import type { Image } from "../io/types.ts";
import { type Palette, PALETTES, parsingToImage } from "../data/palette.ts";
import type { PaletteName } from "../data/types.ts";
import { escapeHtml } from "./html_text.ts";
import { pngTag, scaleImage } from "./image_view.ts";
import { bytesToBase64, JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** Options of {@linkcode parsingColors}. */
export interface ParsingColorsOptions {
  /** Enlargement factor (nearest neighbour). @default {1} */
  readonly scale?: number;
  /** A caption above the legend. */
  readonly title?: string;
}

/** One legend entry: a class present in the map. */
export interface LegendEntry {
  readonly id: number;
  readonly name: string;
  /** The class colour as RGB (the palette stores BGR). */
  readonly rgb: readonly [number, number, number];
  /** Fraction of the pixels of this class. */
  readonly fraction: number;
}

/** A parsing map in palette colours with a legend. Made by {@linkcode parsingColors}. */
export class ParsingView {
  /** The coloured map as displayed (scaled). */
  readonly image: Image;
  /** Classes present in the map, by id. */
  readonly legend: readonly LegendEntry[];
  readonly palette: Palette;
  readonly title?: string;
  constructor(
    ids: Uint8Array,
    width: number,
    height: number,
    palette: Palette | PaletteName,
    options: ParsingColorsOptions = {},
  ) {
    this.palette = typeof palette === "string" ? PALETTES[palette] : palette;
    if (!this.palette) {
      throw new Error(`unknown palette "${palette}": expected one of ${Object.keys(PALETTES).join(", ")}`);
    }
    this.image = scaleImage(parsingToImage(ids, width, height, this.palette), options.scale ?? 1);
    const counts = new Map<number, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    this.legend = [...counts.keys()].sort((a, b) => a - b).map((id) => {
      const [b, g, r] = this.palette.bgr[id];
      return {
        id,
        name: this.palette.classNames[id],
        rgb: [r, g, b],
        fraction: counts.get(id)! / ids.length,
      };
    });
    this.title = options.title;
  }
  /** The legend as an HTML list of colour swatches, class names and pixel shares. */
  legendHtml(): string {
    const rows = this.legend.map((e) =>
      `<div style="display:flex;align-items:center;gap:6px;font-size:12px">` +
      `<span style="display:inline-block;width:14px;height:14px;border:1px solid #888;` +
      `background:rgb(${e.rgb.join(",")})"></span>${e.id} ${escapeHtml(e.name)} ` +
      `<span style="color:#666">${(100 * e.fraction).toFixed(1)}%</span></div>`
    );
    return `<div>${this.title ? `<div style="font-weight:bold">${escapeHtml(this.title)}</div>` : ""}${
      rows.join("")
    }</div>`;
  }
  /** Map and legend side by side. */
  html(): string {
    return `<div style="display:flex;gap:10px;align-items:flex-start">${
      pngTag(this.image, this.title ?? "parsing map")
    }` +
      `${this.legendHtml()}</div>`;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    const lines = this.legend.map((e) => `  ${e.id} ${e.name}: ${(100 * e.fraction).toFixed(1)}%`);
    return {
      "text/html": this.html(),
      "image/png": bytesToBase64(encodePng(this.image)),
      "text/plain":
        `${this.title ?? "parsing map"} (${this.palette.name}, ${this.image.width}x${this.image.height})\n` +
        lines.join("\n"),
    };
  }
}

/**
 * Shows a parsing map (class id per pixel, row-major) in the palette's colours, the RGB image the
 * original tools would have written (via `parsingToImage`), with a legend of the classes present.
 * @param palette A palette or its name (`"sspnerf11"`, `"adnerf4"`).
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { displayBundle } from "./mime.ts";
 * import { parsingColors } from "./parsing_colors.ts";
 * const view = parsingColors(new Uint8Array([0, 7, 7, 7]), 2, 2, "sspnerf11");
 * assertEquals(view.legend.map((e) => [e.name, e.fraction]), [["background", 0.25], ["lips", 0.75]]);
 * assertStringIncludes(displayBundle(view)["text/html"] as string, "lips");
 * ```
 */
export function parsingColors(
  ids: Uint8Array,
  width: number,
  height: number,
  palette: Palette | PaletteName,
  options: ParsingColorsOptions = {},
): ParsingView {
  return new ParsingView(ids, width, height, palette, options);
}
