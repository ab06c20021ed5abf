/**
 * Canny edge detection on one grey plane (used by {@linkcode cpbd} to find edge blocks).
 *
 * Follows the steps and defaults of scikit-image's `feature.canny` (which the Python CPBD code calls):
 * Gaussian smoothing with sigma 1 (radius 4, renormalised at the border), Sobel derivatives
 * (kernel [1 2 1]^T [-1 0 1], unnormalised, border replicated), non-maximum suppression with the magnitude
 * interpolated linearly between the two neighbours the gradient points between, hysteresis with an
 * 8-connected low/high pair (0.1 / 0.2 in the plane's units), and the 1 px image border dropped.
 * Not bit-exact with scikit-image (interpolation and border details differ slightly).
 * @module
 */
import type { GreyPlane } from "./image.ts";

/** Options of {@linkcode cannyEdges}. */
export interface CannyOptions {
  /** Standard deviation of the Gaussian smoothing, pixels. @default {1} */
  readonly sigma?: number;
  /** Hysteresis low threshold on the Sobel magnitude, in the plane's units. @default {0.1} */
  readonly low?: number;
  /** Hysteresis high threshold on the Sobel magnitude. @default {0.2} */
  readonly high?: number;
}

/**
 * Separable Gaussian blur (radius round(4 sigma)), renormalised by the weight that falls inside the
 * image, so constants stay constant up to the border.
 * @param plane The plane to blur.
 * @param sigma Standard deviation in pixels; 0 returns a copy.
 * @returns A new plane of the same size.
 */
export function gaussianBlur(plane: GreyPlane, sigma: number): GreyPlane {
  const { width: w, height: h, data: src } = plane;
  if (sigma <= 0) return { width: w, height: h, data: src.slice() };
  const radius = Math.floor(4 * sigma + 0.5);
  const g = new Float64Array(2 * radius + 1);
  for (let i = -radius; i <= radius; i++) g[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  const tmp = new Float64Array(w * h), out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0, n = 0;
      for (let t = Math.max(-radius, -x); t <= Math.min(radius, w - 1 - x); t++) {
        s += g[t + radius] * src[y * w + x + t];
        n += g[t + radius];
      }
      tmp[y * w + x] = s / n;
    }
  }
  for (let y = 0; y < h; y++) {
    const t0 = Math.max(-radius, -y), t1 = Math.min(radius, h - 1 - y);
    let n = 0;
    for (let t = t0; t <= t1; t++) n += g[t + radius];
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = t0; t <= t1; t++) s += g[t + radius] * tmp[(y + t) * w + x];
      out[y * w + x] = s / n;
    }
  }
  return { width: w, height: h, data: out };
}

/** Sobel derivatives (unnormalised: a unit step gives 4), border replicated: `{ gx, gy }`. */
export function sobel(plane: GreyPlane): { gx: Float64Array; gy: Float64Array } {
  const { width: w, height: h, data: src } = plane;
  const gx = new Float64Array(w * h), gy = new Float64Array(w * h);
  const at = (x: number, y: number) =>
    src[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = at(x - 1, y - 1), b = at(x, y - 1), c = at(x + 1, y - 1);
      const d = at(x - 1, y), f = at(x + 1, y);
      const g = at(x - 1, y + 1), hh = at(x, y + 1), k = at(x + 1, y + 1);
      gx[y * w + x] = (c + 2 * f + k) - (a + 2 * d + g);
      gy[y * w + x] = (g + 2 * hh + k) - (a + 2 * b + c);
    }
  }
  return { gx, gy };
}

/**
 * Canny edges of a grey plane.
 * @param plane Grey values (CPBD passes 0..255 luminance).
 * @param options Smoothing and hysteresis thresholds.
 * @returns `w * h` bytes, 1 on edge pixels.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { cannyEdges } from "./canny.ts";
 * // A vertical step between columns 3 and 4 of an 8x8 plane: edges lie on columns 3 and 4 only.
 * const data = Float64Array.from({ length: 64 }, (_, i) => (i % 8 < 4 ? 0 : 255));
 * const edges = cannyEdges({ width: 8, height: 8, data });
 * const cols = new Set([...edges.keys()].filter((i) => edges[i]).map((i) => i % 8));
 * assert(cols.size > 0 && [...cols].every((c) => c === 3 || c === 4));
 * ```
 */
export function cannyEdges(plane: GreyPlane, options: CannyOptions = {}): Uint8Array {
  const { width: w, height: h } = plane;
  if (plane.data.length !== w * h) {
    throw new Error(`cannyEdges: plane has ${plane.data.length} values, expected width*height = ${w * h}`);
  }
  const low = options.low ?? 0.1, high = options.high ?? 0.2;
  if (!(low <= high)) throw new Error(`cannyEdges: low threshold ${low} must be <= high threshold ${high}`);
  const { gx, gy } = sobel(gaussianBlur(plane, options.sigma ?? 1));
  const mag = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) mag[i] = Math.hypot(gx[i], gy[i]);

  // Non-maximum suppression, interpolating between the two neighbours the gradient points between.
  const candidate = new Uint8Array(w * h); // 1 weak, 2 strong
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x, m = mag[i];
      if (!(m >= low) || m === 0) continue;
      const ax = Math.abs(gx[i]), ay = Math.abs(gy[i]);
      const sx = gx[i] >= 0 ? 1 : -1, sy = gy[i] >= 0 ? 1 : -1;
      let plus: number, minus: number;
      if (ax >= ay) {
        const t = ay / ax;
        plus = (1 - t) * mag[i + sx] + t * mag[i + sy * w + sx];
        minus = (1 - t) * mag[i - sx] + t * mag[i - sy * w - sx];
      } else {
        const t = ax / ay;
        plus = (1 - t) * mag[i + sy * w] + t * mag[i + sy * w + sx];
        minus = (1 - t) * mag[i - sy * w] + t * mag[i - sy * w - sx];
      }
      // Ties within rounding (1e-9 relative) count as maxima, so a symmetric step keeps both sides.
      const tol = 1e-9 * m;
      if (m + tol >= plus && m + tol >= minus) candidate[i] = m >= high ? 2 : 1;
    }
  }

  // Hysteresis: keep weak pixels 8-connected to a strong one.
  const edges = new Uint8Array(w * h);
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (candidate[i] === 2) {
      edges[i] = 1;
      stack.push(i);
    }
  }
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % w, y = (i - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
        const j = yy * w + xx;
        if (candidate[j] && !edges[j]) {
          edges[j] = 1;
          stack.push(j);
        }
      }
    }
  }
  return edges;
}
