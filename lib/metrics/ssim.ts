/**
 * Structural similarity (SSIM), in the two variants whose numbers appear in talking-head papers.
 * @module
 */
import {
  channelPlane,
  checkSameShape,
  type Crop,
  type GreyPlane,
  type MetricImage,
  resolveCrop,
} from "./image.ts";

/**
 * - `"wang2004"`: Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from error visibility to
 *   structural similarity", IEEE TIP 2004, and its `ssim_index.m`: 11x11 Gaussian window with sigma 1.5,
 *   population (weighted) statistics, statistics only where the whole window fits (a 5 px border
 *   dropped). The automatic downsampling of the later `ssim.m` is not applied.
 * - `"skimage"`: the defaults of scikit-image's `structural_similarity`: 7x7 uniform window, sample
 *   covariance (statistics times N/(N-1), N = 49), mean over the image less a 3 px border
 *   ((win_size - 1) / 2, the region where the window fits).
 */
export type SsimVariant = "wang2004" | "skimage";

/** Constants shared by both variants: C1 = (K1 L)^2, C2 = (K2 L)^2 with L = 1 on [0, 1] values. */
export const SSIM_K1 = 0.01;
/** See {@linkcode SSIM_K1}. */
export const SSIM_K2 = 0.03;

/** Options of {@linkcode ssim}. */
export interface SsimOptions {
  /** Which definition. @default {"wang2004"} */
  readonly variant?: SsimVariant;
  /** Compute on this rectangle only (the border rule then applies inside it). */
  readonly crop?: Crop;
  /** Round float images to 8-bit levels first (uint8 images are exact). @default {true} */
  readonly quantize?: boolean;
}

/** Normalised 1-D window of a variant (the 2-D window is its outer product with itself). */
export function ssimWindow(variant: SsimVariant): Float64Array {
  switch (variant) {
    case "wang2004": {
      // fspecial('gaussian', 11, 1.5) is separable: exp(-(i^2 + j^2) / 2 sigma^2) = g(i) g(j).
      const g = new Float64Array(11);
      let s = 0;
      for (let i = 0; i < 11; i++) s += g[i] = Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5));
      for (let i = 0; i < 11; i++) g[i] /= s;
      return g;
    }
    case "skimage":
      return new Float64Array(7).fill(1 / 7);
  }
}

/** Valid 1-D correlation along rows (`horizontal`) or columns of a `w x h` plane with window `g`. */
function filterValid(
  src: Float64Array,
  w: number,
  h: number,
  g: Float64Array,
  horizontal: boolean,
): Float64Array {
  const k = g.length;
  if (horizontal) {
    const ow = w - k + 1;
    const out = new Float64Array(ow * h);
    for (let r = 0; r < h; r++) {
      const base = r * w;
      for (let c = 0; c < ow; c++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += g[t] * src[base + c + t];
        out[r * ow + c] = s;
      }
    }
    return out;
  }
  const oh = h - k + 1;
  const out = new Float64Array(w * oh);
  for (let t = 0; t < k; t++) {
    const gt = g[t];
    for (let r = 0; r < oh; r++) {
      const o = r * w, s = (r + t) * w;
      for (let c = 0; c < w; c++) out[o + c] += gt * src[s + c];
    }
  }
  return out;
}

/**
 * Mean SSIM of one channel, values in [0, 1]:
 * SSIM = (2 mx my + C1)(2 sxy + C2) / ((mx^2 + my^2 + C1)(sx^2 + sy^2 + C2)) per window position,
 * averaged over the positions where the window fits.
 * @param a First plane.
 * @param b Second plane, same size.
 * @param variant Window and statistics, see {@linkcode SsimVariant}.
 */
export function ssimPlane(a: GreyPlane, b: GreyPlane, variant: SsimVariant = "wang2004"): number {
  const { width: w, height: h } = a;
  if (b.width !== w || b.height !== h) {
    throw new Error(`ssimPlane: planes are ${w}x${h} and ${b.width}x${b.height}: expected the same size`);
  }
  const x = a.data, y = b.data;
  const g = ssimWindow(variant);
  const k = g.length;
  if (w < k || h < k) throw new Error(`ssim (${variant}): image is ${w}x${h}, expected at least ${k}x${k}`);
  const n = w * h;
  const xx = new Float64Array(n), yy = new Float64Array(n), xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const ow = w - k + 1, oh = h - k + 1;
  const blur = (p: Float64Array) => filterValid(filterValid(p, w, h, g, true), ow, h, g, false);
  const mx = blur(x), my = blur(y), sxx = blur(xx), syy = blur(yy), sxy = blur(xy);
  // skimage's use_sample_covariance: N / (N - 1) with N = win_size^2.
  const norm = variant === "skimage" ? (k * k) / (k * k - 1) : 1;
  const c1 = (SSIM_K1 * 1) ** 2, c2 = (SSIM_K2 * 1) ** 2;
  let sum = 0;
  for (let i = 0; i < ow * oh; i++) {
    const ux = mx[i], uy = my[i];
    const vx = norm * (sxx[i] - ux * ux), vy = norm * (syy[i] - uy * uy), vxy = norm * (sxy[i] - ux * uy);
    sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
  }
  return sum / (ow * oh);
}

/**
 * Mean SSIM of two images: per channel on [0, 1] values (L = 1; uint8 images are divided by 255, which
 * gives the same number as L = 255 on 0..255), then averaged over channels. See {@linkcode SsimVariant}
 * for the two definitions; a table should say which one it reports. Computed with separable filters
 * (about 0.1-0.2 s for a 512x512 RGB pair on one core).
 * @param a First image ({@linkcode Image} or [0, 1] {@linkcode FloatImage}).
 * @param b Second image, same width, height and channels.
 * @param options Variant, crop, quantisation of float images.
 * @returns SSIM, at most 1 (1 for identical images).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { ssim } from "./ssim.ts";
 * const flat = (v: number) => ({ width: 11, height: 11, channels: 1 as const, data: new Float32Array(121).fill(v) });
 * // Constant images: only the luminance term is left, (2 c1 c2 + C1) / (c1^2 + c2^2 + C1), C1 = 1e-4.
 * const expected = (2 * 0.25 * 0.75 + 1e-4) / (0.25 ** 2 + 0.75 ** 2 + 1e-4);
 * assert(Math.abs(ssim(flat(0.25), flat(0.75), { quantize: false }) - expected) < 1e-12);
 * ```
 */
export function ssim(a: MetricImage, b: MetricImage, options: SsimOptions = {}): number {
  checkSameShape(a, b, ["ssim: a", "ssim: b"]);
  const variant = options.variant ?? "wang2004";
  const crop = resolveCrop(options.crop, a.width, a.height);
  let sum = 0;
  for (let ch = 0; ch < a.channels; ch++) {
    const opts = { crop, quantize: options.quantize };
    sum += ssimPlane(channelPlane(a, ch, opts), channelPlane(b, ch, opts), variant);
  }
  return sum / a.channels;
}
