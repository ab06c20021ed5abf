/**
 * CPBD, the no-reference sharpness metric of N. D. Narvekar and L. J. Karam, "A No-Reference Image Blur
 * Metric Based on the Cumulative Probability of Blur Detection (CPBD)", IEEE TIP 20(9), 2011.
 *
 * Written from the paper and from our reading (from memory, not copied) of the Python port that
 * talking-head papers run, `cpbd` (github.com/0x64746b/python-cpbd), itself a port of the authors'
 * MATLAB code:
 * 1. luminance Y on 0..255, rounded to integers (PIL's "L" conversion: 0.299 R + 0.587 G + 0.114 B);
 * 2. Canny edges (see {@linkcode cannyEdges}) decide which 64x64 blocks are edge blocks: more than
 *    0.2 % of the block's pixels are edges;
 * 3. edges for width measurement: the horizontal Sobel derivative gx (kernel /8, border replicated),
 *    kept where gx^2 > 4 mean(gx^2) (MATLAB's default Sobel cut-off) and thinned along x
 *    (gx^2 > left neighbour and >= right neighbour);
 * 4. at each such edge pixel whose gradient direction (central differences, quantised to 45 degrees) is
 *    horizontal (0 or 180 degrees), the edge width is the distance between the intensity extrema on the
 *    left and on the right along the row (Marziliano et al. 2002), each side at most 101 px;
 * 5. per edge block: contrast = max Y - min Y; JNB width 5 if contrast <= 50, else 3; probability of
 *    blur detection P = 1 - exp(-|w / w_JNB|^beta), beta = 3.6;
 * 6. CPBD = fraction of measured edges in edge blocks with P <= P_JNB = 63 % (P rounded to a
 *    hundredth, as the reference's histogram does).
 *
 * Deviations: the reference skips width measurement altogether when every gradient angle in the image
 * is exactly 0 (its `np.any(edge_angles)` guard) and gives pixels with zero x-gradient the angle 0; we
 * measure by the true angle everywhere. Only whole 64x64 blocks are used (the remainder at the right
 * and bottom is ignored), as in the reference.
 * @module
 */
import { checkImage, type GreyPlane, type MetricImage, quantize8 } from "./image.ts";
import { cannyEdges } from "./canny.ts";

/** Options of {@linkcode cpbd}. */
export interface CpbdOptions {
  /** Block side in pixels. @default {64} */
  readonly blockSize?: number;
  /** Shape parameter of the blur-detection probability. @default {3.6} */
  readonly beta?: number;
  /** Probability at the just-noticeable blur. @default {0.63} */
  readonly pJnb?: number;
  /** Fraction of a block's pixels that must be Canny edges for it to count. @default {0.002} */
  readonly edgeBlockFraction?: number;
}

/** What {@linkcode cpbd} measured. */
export interface CpbdResult {
  /** Fraction of measured edges with P <= P_JNB, in [0, 1] (higher is sharper); 0 when edgeCount is 0. */
  readonly cpbd: number;
  /** Edge pixels whose width was measured, in edge blocks. */
  readonly edgeCount: number;
  /** Blocks that were edge blocks, and all whole blocks. */
  readonly edgeBlocks: number;
  readonly blocks: number;
}

/** Luminance on 0..255, rounded to integers like PIL's "L" mode; alpha is ignored. */
export function luminance255(img: MetricImage): GreyPlane {
  checkImage(img, "cpbd: image");
  const n = img.width * img.height, c = img.channels;
  const out = new Float64Array(n);
  const bytes = img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray;
  const v = (i: number) => bytes ? img.data[i] : Math.round(quantize8(img.data[i]) * 255);
  for (let p = 0; p < n; p++) {
    out[p] = c >= 3
      ? Math.round(0.299 * v(p * c) + 0.587 * v(p * c + 1) + 0.114 * v(p * c + 2))
      : Math.round(v(p * c));
  }
  return { width: img.width, height: img.height, data: out };
}

/** Sobel edges along x for width measurement (step 3 of the module notes). */
function sobelEdgesX(plane: GreyPlane): Uint8Array {
  const { width: w, height: h, data: y } = plane;
  const s2 = new Float64Array(w * h);
  const at = (xx: number, yy: number) =>
    y[Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))];
  let mean = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const g = (at(c + 1, r - 1) + 2 * at(c + 1, r) + at(c + 1, r + 1) -
        at(c - 1, r - 1) - 2 * at(c - 1, r) - at(c - 1, r + 1)) / 8;
      s2[r * w + c] = g * g;
      mean += g * g;
    }
  }
  const cutoff = 4 * (mean / (w * h));
  const edges = new Uint8Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const i = r * w + c, s = s2[i];
      const left = c > 0 ? s2[i - 1] : 0, right = c < w - 1 ? s2[i + 1] : 0;
      if (s > cutoff && s > left && s >= right) edges[i] = 1;
    }
  }
  return edges;
}

/**
 * Edge widths (Marziliano) at the given edge pixels whose gradient is horizontal; 0 elsewhere.
 * Exported for tests and plots.
 * @param plane Luminance.
 * @param edges Edge pixels, `width * height` bytes, 1 = edge.
 * @returns Width in pixels per pixel (0 where not measured).
 */
export function edgeWidths(plane: GreyPlane, edges: Uint8Array): Float64Array {
  const { width: w, height: h, data: y } = plane;
  const widths = new Float64Array(w * h);
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      const i = r * w + c;
      if (!edges[i]) continue;
      // np.gradient: central differences inside the image (r, c are never on the border here).
      const gx = (y[i + 1] - y[i - 1]) / 2, gy = (y[i + w] - y[i - w]) / 2;
      if (gx === 0 && gy === 0) continue;
      const angle = Math.atan2(gy, gx) * 180 / Math.PI;
      const rising = Math.abs(angle) < 22.5; // quantised angle 0: intensity increases to the right
      const falling = Math.abs(angle) > 157.5; // quantised angle +-180
      if (!rising && !falling) continue;
      const sign = rising ? 1 : -1; // walk while the row keeps going down (left) / up (right) for a rise
      let m = 0;
      for (; m < 100; m++) {
        const inner = c - 1 - m, outer = c - 2 - m;
        if (outer < 0 || sign * (y[r * w + outer] - y[r * w + inner]) >= 0) break;
      }
      const left = m + 1;
      for (m = 0; m < 100; m++) {
        const inner = c + 1 + m, outer = c + 2 + m;
        if (outer >= w || sign * (y[r * w + outer] - y[r * w + inner]) <= 0) break;
      }
      widths[i] = left + m + 1;
    }
  }
  return widths;
}

/**
 * CPBD sharpness of one image (see the module notes for the exact definition and deviations).
 * @param img 8-bit {@linkcode Image} or [0, 1] {@linkcode FloatImage}; colour is reduced to luminance.
 * @param options Block size, beta, P_JNB, edge-block fraction.
 * @returns The CPBD value in [0, 1] and how many edges and blocks it rests on. An image without edges
 *   (e.g. constant) gives `{ cpbd: 0, edgeCount: 0 }`, as the reference does; check edgeCount.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { cpbd } from "./cpbd.ts";
 * // Vertical stripes 16 px wide, hard edges: every edge is 2 px wide, contrast 255 -> w_JNB = 3,
 * // P = 1 - exp(-(2/3)^3.6) = 0.21 <= 0.63, so every edge counts as sharp.
 * const data = Uint8Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) >> 4) % 2 ? 255 : 0);
 * const r = cpbd({ width: 64, height: 64, channels: 1, data });
 * assert(r.cpbd === 1 && r.edgeCount > 0);
 * ```
 */
export function cpbd(img: MetricImage, options: CpbdOptions = {}): CpbdResult {
  const block = options.blockSize ?? 64;
  const beta = options.beta ?? 3.6;
  const pJnb = options.pJnb ?? 0.63;
  const fraction = options.edgeBlockFraction ?? 0.002;
  if (!Number.isInteger(block) || block < 3) {
    throw new Error(`cpbd: blockSize must be an integer >= 3, got ${block}`);
  }
  const { width: w, height: h } = img;
  const lum = luminance255(img);
  const y = lum.data;
  const canny = cannyEdges(lum);
  const widths = edgeWidths(lum, sobelEdgesX(lum));
  const by = Math.floor(h / block), bx = Math.floor(w / block);
  const limit = Math.round(pJnb * 100);
  let total = 0, sharp = 0, edgeBlocks = 0;
  for (let i = 0; i < by; i++) {
    for (let j = 0; j < bx; j++) {
      let cannyCount = 0, lo = Infinity, hi = -Infinity;
      for (let r = i * block; r < (i + 1) * block; r++) {
        for (let c = j * block; c < (j + 1) * block; c++) {
          const v = y[r * w + c];
          cannyCount += canny[r * w + c];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
      if (!(cannyCount > block * block * fraction)) continue;
      edgeBlocks++;
      const jnb = hi - lo <= 50 ? 5 : 3;
      for (let r = i * block; r < (i + 1) * block; r++) {
        for (let c = j * block; c < (j + 1) * block; c++) {
          const wd = widths[r * w + c];
          if (wd === 0) continue;
          const p = 1 - Math.exp(-Math.pow(Math.abs(wd / jnb), beta));
          total++;
          if (Math.round(p * 100) <= limit) sharp++;
        }
      }
    }
  }
  return { cpbd: total ? sharp / total : 0, edgeCount: total, edgeBlocks, blocks: bx * by };
}
