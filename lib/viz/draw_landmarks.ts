/**
 * Face landmarks drawn on an image: dots, and the 68-point scheme's contours (jaw, brows, nose, eyes,
 * lips) as thin lines; several sets in different colours to compare them (e.g. before and after an
 * edit, or prediction and ground truth).
 * @module
 */
import { resizeImage, toRgb } from "../io/image.ts";
import type { Image } from "../io/types.ts";
import { cropImage } from "../metrics/distortions.ts";
import { type ImageLike, type ImageOptions, ImageView, toImage } from "./image_view.ts";

/** One set of points to draw. */
export interface LandmarkSet {
  /** Points as `[x0, y0, x1, y1, ...]` in pixels of the source image (68 points: contours too). */
  readonly points: ArrayLike<number>;
  /** RGB. @default {green, then red, blue, yellow for the following sets} */
  readonly color?: readonly [number, number, number];
}

/** Options of {@linkcode drawLandmarks}. */
export interface DrawLandmarksOptions extends Omit<ImageOptions, "scale"> {
  /** Part of the image to show: a box in source pixels, or `"landmarks"`: a square around every set's
   * points, grown by `margin`. @default {the whole image} */
  readonly crop?:
    | { readonly x: number; readonly y: number; readonly w: number; readonly h: number }
    | "landmarks";
  /** With `crop: "landmarks"`: space added on each side, as a fraction of the points' extent.
   * @default {0.3} */
  readonly margin?: number;
  /** Width of the drawing in pixels (the height follows the crop's aspect ratio); points are drawn at
   * this resolution, so they stay sharp. @default {the crop's width} */
  readonly width?: number;
  /** Dot radius in output pixels. @default {2} */
  readonly radius?: number;
  /** Join the 68-point scheme's contours with 1 px lines. @default {true} */
  readonly lines?: boolean;
}

const COLORS: readonly (readonly [number, number, number])[] = [
  [0, 230, 0],
  [255, 30, 60],
  [30, 140, 255],
  [255, 210, 0],
];

/** Contours of the 68-point scheme: [first, last, closed]. */
const CONTOURS: readonly [number, number, boolean][] = [
  [0, 16, false], // jaw
  [17, 21, false], // right brow
  [22, 26, false], // left brow
  [27, 30, false], // nose bridge
  [31, 35, false], // nostrils
  [36, 41, true], // right eye
  [42, 47, true], // left eye
  [48, 59, true], // outer lips
  [60, 67, true], // inner lips
];

function squareAround(sets: readonly LandmarkSet[], margin: number, img: Image) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const s of sets) {
    for (let i = 0; i + 1 < s.points.length; i += 2) {
      x0 = Math.min(x0, s.points[i]), x1 = Math.max(x1, s.points[i]);
      y0 = Math.min(y0, s.points[i + 1]), y1 = Math.max(y1, s.points[i + 1]);
    }
  }
  const side = Math.max(x1 - x0, y1 - y0) * (1 + 2 * margin);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const half = Math.max(1, side / 2);
  const x = Math.max(0, Math.round(cx - half)), y = Math.max(0, Math.round(cy - half));
  return {
    x,
    y,
    w: Math.min(img.width - x, Math.round(2 * half)),
    h: Math.min(img.height - y, Math.round(2 * half)),
  };
}

/**
 * Draws landmark sets on (a crop of) an image and returns an image view (`image/png`, usable in
 * `imageGrid`). Each set is one colour; with 68 points the contours are joined.
 * @param img The image.
 * @param landmarks One set as 136 numbers, or several {@linkcode LandmarkSet}s.
 * @param options Crop, output width, dot radius, contour lines, title.
 * @returns The drawing.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { drawLandmarks } from "./draw_landmarks.ts";
 * const black = { width: 10, height: 10, channels: 3 as const, data: new Uint8Array(300) };
 * const view = drawLandmarks(black, [{ points: [4.5, 5.5], color: [255, 0, 0] }], { radius: 0, width: 20 });
 * assertEquals([view.image.width, view.image.height], [20, 20]);
 * assertEquals(Array.from(view.image.data.subarray(3 * (11 * 20 + 9), 3 * (11 * 20 + 9) + 3)), [255, 0, 0]);
 * ```
 */
export function drawLandmarks(
  img: ImageLike,
  landmarks: ArrayLike<number> | readonly LandmarkSet[],
  options: DrawLandmarksOptions = {},
): ImageView {
  const sets: readonly LandmarkSet[] = isSetList(landmarks) ? landmarks : [{ points: landmarks }];
  sets.forEach((s, i) => {
    if (s.points.length === 0 || s.points.length % 2 !== 0) {
      throw new Error(`drawLandmarks: set ${i} has ${s.points.length} numbers: expected x, y pairs`);
    }
  });
  const src = toRgb(toImage(img));
  const margin = options.margin ?? 0.3;
  const box = options.crop === "landmarks"
    ? squareAround(sets, margin, src)
    : options.crop ?? { x: 0, y: 0, w: src.width, h: src.height };
  const cropped = options.crop ? cropImage(src, box) : src;
  const ox = options.crop ? Math.max(0, Math.round(box.x)) : 0;
  const oy = options.crop ? Math.max(0, Math.round(box.y)) : 0;
  const outW = options.width ?? cropped.width;
  if (!(Number.isInteger(outW) && outW >= 1)) {
    throw new Error(`drawLandmarks: width must be an integer >= 1: got ${outW}`);
  }
  const s = outW / cropped.width;
  const outH = Math.max(1, Math.round(cropped.height * s));
  const base = outW === cropped.width ? cropped : resizeImage(cropped, outW, outH);
  const data = base.data.slice();
  const put = (x: number, y: number, c: readonly number[]) => {
    const u = Math.floor(x), v = Math.floor(y);
    if (u < 0 || v < 0 || u >= outW || v >= outH) return;
    data.set(c, 3 * (v * outW + u));
  };
  const radius = options.radius ?? 2;
  sets.forEach((set, k) => {
    const color = set.color ?? COLORS[k % COLORS.length];
    const n = set.points.length / 2;
    const at = (
      i: number,
    ): [number, number] => [(set.points[2 * i] - ox) * s, (set.points[2 * i + 1] - oy) * s];
    if ((options.lines ?? true) && n === 68) {
      const faint = color.map((c) => Math.round(0.7 * c + 0.3 * 255));
      for (const [a, b, closed] of CONTOURS) {
        const ends: [number, number][] = [];
        for (let i = a; i < b; i++) ends.push([i, i + 1]);
        if (closed) ends.push([b, a]);
        for (const [i, j] of ends) {
          const [x0, y0] = at(i), [x1, y1] = at(j);
          const steps = Math.ceil(2 * Math.hypot(x1 - x0, y1 - y0)) + 1;
          for (let t = 0; t <= steps; t++) {
            put(x0 + ((x1 - x0) * t) / steps, y0 + ((y1 - y0) * t) / steps, faint);
          }
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const [x, y] = at(i);
      for (let dy = -radius; dy <= radius; dy++) {
        for (let dx = -radius; dx <= radius; dx++) {
          if (dx * dx + dy * dy <= radius * radius + 0.5) put(x + dx, y + dy, color);
        }
      }
    }
  });
  return new ImageView({ width: outW, height: outH, channels: 3, data }, { title: options.title });
}

function isSetList(x: ArrayLike<number> | readonly LandmarkSet[]): x is readonly LandmarkSet[] {
  return Array.isArray(x) && x.length > 0 && typeof x[0] === "object" && x[0] !== null && "points" in x[0];
}
