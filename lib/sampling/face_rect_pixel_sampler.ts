/**
 * AD-NeRF's face-box pixel sampling: most rays inside the face rectangle.
 * @module
 */
import type { Rng } from "../nn/rng.ts";
import { checkSampleArgs, type PixelSampleContext, type PixelSampler } from "./pixel_sampler.ts";

/** Options of {@linkcode faceRectPixelSampler}. */
export interface FaceRectSamplerOptions {
  /** Fraction of the rays drawn inside the face box, in [0, 1] (AD-NeRF's `sample_rate`).
   * @default {0.95} */
  readonly insideFraction?: number;
}

/** Integer pixel ranges [u0, u1) x [v0, v1) whose centres lie inside the box, clipped to the image. */
export function faceRectPixelRange(
  rect: readonly [number, number, number, number],
  width: number,
  height: number,
): { u0: number; u1: number; v0: number; v1: number } {
  const [x, y, w, h] = rect;
  if (![x, y, w, h].every(Number.isFinite) || w < 0 || h < 0) {
    throw new Error(`faceRect must be [x, y, w, h] with finite values and w, h >= 0: got [${rect}]`);
  }
  // Centre inside: x <= u + 0.5 < x + w  <=>  ceil(x - 0.5) <= u < ceil(x + w - 0.5).
  const clip = (a: number, hi: number) => Math.min(hi, Math.max(0, a));
  return {
    u0: clip(Math.ceil(x - 0.5), width),
    u1: clip(Math.ceil(x + w - 0.5), width),
    v0: clip(Math.ceil(y - 0.5), height),
    v1: clip(Math.ceil(y + h - 0.5), height),
  };
}

/**
 * Draws round(count * insideFraction) pixel ids uniformly inside the face box and the rest uniformly over
 * its complement (both with replacement), in that order (inside first). AD-NeRF (`run_nerf.py`) draws the
 * inside part the same way but the rest from the whole image; drawing it from the complement makes the
 * inside fraction exact. When the box covers no pixel, all rays come from the complement (= the whole
 * image); when it covers the whole image, all come from inside.
 * A frame without `faceRect` (no face detected, or a dataset without boxes) is sampled uniformly, because
 * there is then no region to favour, and uniform sampling is the unbiased choice that still trains the frame.
 * @param options See {@linkcode FaceRectSamplerOptions}.
 * @returns The sampler (stateless).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createRng } from "../nn/rng.ts";
 * import { faceRectPixelSampler } from "./face_rect_pixel_sampler.ts";
 * // Box = the left column of a 2 x 2 image (ids 0 and 2); half the rays inside, half in the right column.
 * const ids = faceRectPixelSampler({ insideFraction: 0.5 })
 *   .sample({ width: 2, height: 2, faceRect: [0, 0, 1, 2] }, 4, createRng(9));
 * assertEquals(Array.from(ids, (id) => id % 2), [0, 0, 1, 1]);
 * ```
 */
export function faceRectPixelSampler(options: FaceRectSamplerOptions = {}): PixelSampler {
  const fraction = options.insideFraction ?? 0.95;
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`insideFraction must be in [0, 1]: got ${fraction}`);
  return {
    kind: "faceRect",
    sample(frame: PixelSampleContext, count: number, rng: Rng): Int32Array {
      checkSampleArgs(frame, count);
      const { width, height, faceRect } = frame;
      const out = new Int32Array(count);
      if (!faceRect) {
        for (let i = 0; i < count; i++) out[i] = rng.int(width * height);
        return out;
      }
      const { u0, u1, v0, v1 } = faceRectPixelRange(faceRect, width, height);
      const rw = u1 - u0, rh = v1 - v0;
      const inside = rw * rh, outside = width * height - inside;
      let nIn = Math.round(count * fraction);
      if (inside === 0) nIn = 0;
      else if (outside === 0) nIn = count;
      for (let i = 0; i < nIn; i++) out[i] = (v0 + rng.int(rh)) * width + u0 + rng.int(rw);
      // The complement, row by row: v0 full rows above, rh rows with (width - rw) pixels, full rows below.
      const above = v0 * width, band = rh * (width - rw);
      for (let i = nIn; i < count; i++) {
        const j = rng.int(outside);
        if (j < above) {
          out[i] = j;
        } else if (j < above + band) {
          const b = j - above, rowLen = width - rw;
          const v = v0 + Math.floor(b / rowLen), c = b % rowLen;
          out[i] = v * width + (c < u0 ? c : c + rw);
        } else {
          out[i] = v1 * width + (j - above - band);
        }
      }
      return out;
    },
  };
}
