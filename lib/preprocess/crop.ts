/**
 * The one square crop of a whole video, from its face track, and the mapping of points into it.
 * @module
 */
import type { CropRect } from "../io/types.ts";

/** An axis-aligned box in pixels: top-left corner and size. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/**
 * Bounding box of 68 landmarks (136 numbers), pixels.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { landmarkBox } from "./crop.ts";
 * const lms = new Float32Array(136).fill(5);
 * lms[0] = 1, lms[3] = 9; // x of point 0, y of point 1
 * assertEquals(landmarkBox(lms), { x: 1, y: 5, w: 4, h: 4 });
 * ```
 */
export function landmarkBox(lms: ArrayLike<number>): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < lms.length / 2; i++) {
    x0 = Math.min(x0, lms[2 * i]), x1 = Math.max(x1, lms[2 * i]);
    y0 = Math.min(y0, lms[2 * i + 1]), y1 = Math.max(y1, lms[2 * i + 1]);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * The box face-api's landmark network expects around a face, from landmarks of a neighbouring frame:
 * measured here, face-api's detector boxes are about 1.3 times the landmarks' bounding box in width and
 * height, with the same centre (fixture and demo photos: 1.26-1.50 x 1.18-1.43).
 */
export function trackingBox(lms: ArrayLike<number>, scale = 1.3): Box {
  const b = landmarkBox(lms);
  const cx = b.x + b.w / 2, cy = b.y + b.h / 2;
  return { x: cx - (scale * b.w) / 2, y: cy - (scale * b.h) / 2, w: scale * b.w, h: scale * b.h };
}

/** Options of {@linkcode cropFromTrack}. */
export interface CropOptions {
  /** Crop side as a multiple of the median face size (larger of the landmark box's sides). @default {3} */
  readonly scale?: number;
  /** Downward shift of the crop centre from the face centre, in face sizes (room for the shoulders).
   * @default {0.3} */
  readonly shiftDown?: number;
}

function medianOf(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One square crop for the whole video: centred on the median face centre (moved down by shiftDown
 * face sizes), of side scale times the median face size, shrunk to fit the frame if larger and then
 * shifted to lie inside it; integer pixels. Medians make it stable against a few bad detections.
 * @param boxes Face boxes (e.g. landmark boxes) of the frames with a face, in frame pixels.
 * @param frame Frame size.
 * @param options Scale and downward shift.
 * @returns The crop rectangle (w = h).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cropFromTrack } from "./crop.ts";
 * const boxes = [{ x: 80, y: 40, w: 40, h: 40 }];
 * assertEquals(cropFromTrack(boxes, { width: 320, height: 240 }), { x: 40, y: 12, w: 120, h: 120 });
 * ```
 */
export function cropFromTrack(
  boxes: readonly Box[],
  frame: { readonly width: number; readonly height: number },
  options: CropOptions = {},
): CropRect {
  if (boxes.length === 0) throw new Error("crop.ts: no face boxes: expected at least one frame with a face");
  const scale = options.scale ?? 3;
  if (!(scale > 0)) throw new Error(`crop.ts: options.scale must be > 0: got ${scale}`);
  const size = medianOf(boxes.map((b) => Math.max(b.w, b.h)));
  const cx = medianOf(boxes.map((b) => b.x + b.w / 2));
  const cy = medianOf(boxes.map((b) => b.y + b.h / 2)) + (options.shiftDown ?? 0.3) * size;
  const side = Math.max(2, Math.min(Math.round(scale * size), frame.width, frame.height));
  const x = Math.min(Math.max(0, Math.round(cx - side / 2)), frame.width - side);
  const y = Math.min(Math.max(0, Math.round(cy - side / 2)), frame.height - side);
  return { x, y, w: side, h: side };
}

/**
 * Maps points from frame pixels into a crop resized to size x size: p' = (p - origin) size / side, exact
 * in continuous pixel coordinates (pixel centres at +0.5) because the whole crop is resampled.
 * @param pts Points [x0, y0, ...] in frame pixels (of a frame `frameScale` times the original's size).
 * @param crop The crop, in original frame pixels.
 * @param size Output side.
 * @param frameScale Scale of the frame the points were measured on relative to the original. @default 1
 */
export function pointsIntoCrop(
  pts: ArrayLike<number>,
  crop: CropRect,
  size: number,
  frameScale = 1,
): Float64Array {
  const s = size / crop.w;
  return Float64Array.from(pts, (v, k) => (v / frameScale - (k % 2 === 0 ? crop.x : crop.y)) * s);
}
