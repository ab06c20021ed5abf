/**
 * A prediction beside its ground truth and the per-pixel error as a heat map, with the PSNR.
 * @module
 */
import type { Image } from "../io/types.ts";
import { psnr } from "../metrics/psnr.ts";
import type { ColormapName } from "./colormap.ts";
import { escapeHtml } from "./html_text.ts";
import { HeatmapView, type ImageLike, pngTag, scaleImage, toImage } from "./image_view.ts";
import { JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/**
 * Mean absolute error over the colour channels per pixel, on the [0, 1] scale (8-bit levels / 255).
 * Both images are brought to RGB.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { errorMap } from "./compare_images.ts";
 * const a = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array([255, 0, 0]) };
 * const b = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array([0, 0, 0]) };
 * assertAlmostEquals(errorMap(a, b)[0], 1 / 3, 1e-6);
 * ```
 */
export function errorMap(pred: ImageLike, gt: ImageLike): Float32Array {
  const a = rgbOf(pred), b = rgbOf(gt);
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(
      `compareImages: prediction is ${a.width}x${a.height} but ground truth is ${b.width}x${b.height}`,
    );
  }
  const n = a.width * a.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < 3; c++) s += Math.abs(a.data[3 * i + c] - b.data[3 * i + c]);
    out[i] = s / (3 * 255);
  }
  return out;
}

function rgbOf(x: ImageLike): Image {
  const img = toImage(x);
  if (img.channels === 3) return img;
  const n = img.width * img.height, c = img.channels;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) data[3 * i + k] = img.data[c * i + (c === 1 ? 0 : k)];
  }
  return { width: img.width, height: img.height, channels: 3, data };
}

/** Options of {@linkcode compareImages}. */
export interface CompareOptions {
  /** Enlargement factor (nearest neighbour). @default {1} */
  readonly scale?: number;
  /** Colour map of the error. @default {"inferno"} */
  readonly colormap?: ColormapName;
  /** Error drawn with the last colour, so several comparisons share a scale. @default {the largest error} */
  readonly maxError?: number;
  /** Captions of the three panels. @default {["prediction", "ground truth", "|error|"]} */
  readonly labels?: readonly [string, string, string];
  /** A heading above the panels. */
  readonly title?: string;
}

/** Prediction, ground truth and error heat map. Made by {@linkcode compareImages}. */
export class CompareView {
  /** Mean absolute error per pixel, [0, 1] scale, row-major. */
  readonly error: Float32Array;
  /** The error coloured, with its range. */
  readonly heatmap: HeatmapView;
  /** PSNR of the prediction against the ground truth (8-bit levels), dB; Infinity when identical. */
  readonly psnr: number;
  /** Mean of {@linkcode CompareView.error}. */
  readonly meanError: number;
  readonly pred: Image;
  readonly gt: Image;
  private readonly labels: readonly [string, string, string];
  constructor(pred: ImageLike, gt: ImageLike, readonly options: CompareOptions = {}) {
    const scale = options.scale ?? 1;
    const p = rgbOf(pred), g = rgbOf(gt);
    this.error = errorMap(p, g);
    this.psnr = psnr(p, g);
    this.meanError = this.error.reduce((s, v) => s + v, 0) / this.error.length;
    this.pred = scaleImage(p, scale);
    this.gt = scaleImage(g, scale);
    this.labels = options.labels ?? ["prediction", "ground truth", "|error|"];
    this.heatmap = new HeatmapView(this.error, p.width, p.height, {
      scale,
      colormap: options.colormap ?? "inferno",
      min: 0,
      max: options.maxError,
    });
  }
  /** The panels as an HTML fragment. */
  html(): string {
    const fig = (body: string, cap: string) =>
      `<figure style="margin:0">${body}<figcaption style="font-size:12px;text-align:center">${
        escapeHtml(cap)
      }</figcaption></figure>`;
    const psnrText = Number.isFinite(this.psnr) ? `${this.psnr.toFixed(2)} dB` : "inf (identical)";
    const title = this.options.title
      ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(this.options.title)}</div>`
      : "";
    return `${title}<div style="display:flex;gap:8px;align-items:flex-start">` +
      fig(pngTag(this.pred, this.labels[0]), this.labels[0]) +
      fig(pngTag(this.gt, this.labels[1]), this.labels[1]) +
      fig(this.heatmap.html(), this.labels[2]) +
      `</div><div style="font-size:12px">PSNR ${psnrText}, mean |error| ${this.meanError.toFixed(4)}</div>`;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    return {
      "text/html": this.html(),
      "text/plain": `${this.options.title ? `${this.options.title}: ` : ""}prediction vs ground truth ` +
        `(${this.pred.width}x${this.pred.height}): PSNR ${this.psnr.toFixed(2)} dB, mean |error| ` +
        `${this.meanError.toFixed(4)}, max |error| ${this.heatmap.range.max.toFixed(4)}`,
    };
  }
}

/**
 * Shows a prediction, its ground truth, and |error| per pixel as a heat map with a colour bar, side by
 * side, with the PSNR. Identical images give an error map of the colour map's first colour only.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { compareImages } from "./compare_images.ts";
 * const gt = { rgb: new Float32Array([0, 0, 0, 1, 1, 1]), width: 2, height: 1 };
 * const pred = { rgb: new Float32Array([0, 0, 0, 0, 0, 0]), width: 2, height: 1 };
 * const view = compareImages(pred, gt);
 * assertEquals(Array.from(view.error), [0, 1]);
 * assertEquals(Math.round(view.psnr * 100) / 100, 3.01); // MSE 0.5
 * ```
 */
export function compareImages(pred: ImageLike, gt: ImageLike, options: CompareOptions = {}): CompareView {
  return new CompareView(pred, gt, options);
}
