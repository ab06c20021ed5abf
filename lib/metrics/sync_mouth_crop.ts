/**
 * Grey mouth crops aligned by 68-point landmarks: the visual input of SS-Sync (sync_net.ts), in the
 * spirit of SyncNet's lower-face crops but normalised for pose so a small network can learn from a few
 * minutes of one subject.
 * @module
 */
import { checkImage, type MetricImage } from "./image.ts";
import { checkLandmarks } from "../landmarks/points.ts";

/** Geometry of a mouth crop. */
export interface MouthCropOptions {
  /** Crop width in pixels. @default {32} */
  readonly width?: number;
  /** Crop height in pixels. @default {16} */
  readonly height?: number;
  /** Width of the sampled region in inter-ocular distances (|p45 - p36|); its height follows the
   * crop's aspect ratio. @default {0.8} */
  readonly scale?: number;
  /** Shift of the region's centre below the mouth corners' midpoint, in inter-ocular distances (the
   * jaw opens downwards). @default {0.08} */
  readonly drop?: number;
}

function lum(img: MetricImage, i: number): number {
  const c = img.channels, d = img.data;
  const bytes = d instanceof Uint8Array || d instanceof Uint8ClampedArray;
  const k = bytes ? 1 / 255 : 1;
  if (c < 3) return d[i * c] * k;
  return (0.299 * d[i * c] + 0.587 * d[i * c + 1] + 0.114 * d[i * c + 2]) * k;
}

/**
 * A grey crop of the mouth, rotated so the eye line is horizontal, normalised to zero mean and unit
 * standard deviation (so lighting and contrast do not matter, only the mouth's shape).
 *
 * With e = p45 - p36 (outer eye corners), s = |e|, u = e / s and v = u rotated by +90 degrees (image
 * down), crop pixel (a, b) samples the image bilinearly (edges clamped) at
 * c + scale s ((a + 0.5) / W - 0.5) u + scale s (H / W) ((b + 0.5) / H - 0.5) v,
 * c = (p48 + p54) / 2 + drop s v (below the mouth corners' midpoint).
 * @param img The frame (8-bit or [0, 1] float; grey, RGB or RGBA).
 * @param landmarks 68 points as 136 numbers, pixels of `img`.
 * @param options Crop size and region.
 * @returns `height * width` values, row-major.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { mouthCrop } from "./sync_mouth_crop.ts";
 * // A dark horizontal bar (an open mouth) on a light 64x64 image.
 * const data = new Uint8Array(64 * 64).map((_, i) => (Math.abs(Math.floor(i / 64) - 40) < 2 ? 20 : 200));
 * const lms = new Float32Array(136);
 * lms[2 * 36] = 12, lms[2 * 36 + 1] = 20, lms[2 * 45] = 52, lms[2 * 45 + 1] = 20; // eyes 40 px apart
 * lms[2 * 48] = 22, lms[2 * 48 + 1] = 40, lms[2 * 54] = 42, lms[2 * 54 + 1] = 40; // mouth corners
 * const crop = mouthCrop({ width: 64, height: 64, channels: 1, data }, lms, { drop: 0 });
 * let mean = 0;
 * for (const v of crop) mean += v / crop.length;
 * assertAlmostEquals(mean, 0, 1e-9);
 * assertAlmostEquals(crop[8 * 32 + 16], crop[8 * 32 + 3], 1e-9); // the bar crosses the middle row
 * ```
 */
export function mouthCrop(
  img: MetricImage,
  landmarks: Float32Array,
  options: MouthCropOptions = {},
): Float64Array {
  checkImage(img, "mouthCrop: img");
  checkLandmarks(landmarks, "mouthCrop: landmarks");
  const W = options.width ?? 32, H = options.height ?? 16;
  const scale = options.scale ?? 0.8, drop = options.drop ?? 0.08;
  if (!(Number.isInteger(W) && Number.isInteger(H) && W >= 2 && H >= 2)) {
    throw new Error(`mouthCrop: width and height must be integers >= 2: got ${W}x${H}`);
  }
  if (!(scale > 0)) throw new Error(`mouthCrop: scale must be > 0: got ${scale}`);
  const p = (i: number) => [landmarks[2 * i], landmarks[2 * i + 1]];
  const [lx, ly] = p(36), [rx, ry] = p(45);
  const s = Math.hypot(rx - lx, ry - ly);
  if (!(s > 0)) {
    throw new Error("mouthCrop: landmarks 36 and 45 (outer eye corners) coincide: expected a face");
  }
  const ux = (rx - lx) / s, uy = (ry - ly) / s, vx = -uy, vy = ux;
  const cx = (landmarks[96] + landmarks[108]) / 2 + drop * s * vx;
  const cy = (landmarks[97] + landmarks[109]) / 2 + drop * s * vy;
  const cw = scale * s, ch = (scale * s * H) / W;
  const { width: iw, height: ih } = img;
  const out = new Float64Array(W * H);
  for (let b = 0; b < H; b++) {
    const tv = ((b + 0.5) / H - 0.5) * ch;
    for (let a = 0; a < W; a++) {
      const tu = ((a + 0.5) / W - 0.5) * cw;
      // pixel centres sit at integer + 0.5
      const x = Math.min(iw - 1, Math.max(0, cx + tu * ux + tv * vx - 0.5));
      const y = Math.min(ih - 1, Math.max(0, cy + tu * uy + tv * vy - 0.5));
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const x1 = Math.min(iw - 1, x0 + 1), y1 = Math.min(ih - 1, y0 + 1);
      const fx = x - x0, fy = y - y0;
      out[b * W + a] = (1 - fy) * ((1 - fx) * lum(img, y0 * iw + x0) + fx * lum(img, y0 * iw + x1)) +
        fy * ((1 - fx) * lum(img, y1 * iw + x0) + fx * lum(img, y1 * iw + x1));
    }
  }
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length;
  let varSum = 0;
  for (const v of out) varSum += (v - mean) ** 2;
  const std = Math.max(Math.sqrt(varSum / out.length), 1e-3);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - mean) / std;
  return out;
}
