/**
 * A rendered frame and its pixels: the frame's arrays, the chunks it is rendered in, and pixel lookups
 * (values of an image at pixel ids, pixel centres in [-1, 1]^2).
 * @module
 */

/** A whole rendered frame. */
export interface RenderedFrame {
  readonly width: number;
  readonly height: number;
  /** RGB in [0, 1], HWC. */
  readonly rgb: Float32Array;
  /** Expected depth per pixel. */
  readonly depth: Float32Array;
  /** Opacity of the field (before the background) per pixel. */
  readonly accumulation: Float32Array;
  /** Most likely class per pixel, when the model parses. */
  readonly parsing?: Uint8Array;
}

/** Rendered values of a pixel range [start, start + n). */
export interface ChunkResult {
  readonly start: number;
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly accumulation: Float32Array;
  readonly parsing?: Uint8Array;
  /** Rays that went through the field (all of them without a grid). */
  readonly raysRendered: number;
  /** Sample points the field was evaluated at (per field; padding included). */
  readonly samplesEvaluated: number;
}

/**
 * Values of an HWC float image (or any per-pixel array of `channels` values) at the given pixel ids.
 * @param img The image, [pixels * channels].
 * @param ids Pixel ids (v * width + u).
 * @param channels Values per pixel. @default {3}
 * @returns [ids.length, channels].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { gatherPixels } from "./frame.ts";
 * assertEquals(Array.from(gatherPixels(Float32Array.of(0, 1, 2, 3), Int32Array.of(1, 0), 2)), [2, 3, 0, 1]);
 * ```
 */
export function gatherPixels(img: Float32Array, ids: Int32Array, channels = 3): Float32Array {
  const out = new Float32Array(ids.length * channels);
  for (let i = 0; i < ids.length; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = img[ids[i] * channels + c];
  }
  return out;
}

/** Pixel centres of `ids` in [-1, 1]^2 (u right, v down), [n, 2]: the 2-D torso's coordinates. */
export function pixelUv(ids: Int32Array, width: number, height: number): Float32Array {
  const uv = new Float32Array(ids.length * 2);
  for (let i = 0; i < ids.length; i++) {
    uv[2 * i] = ((ids[i] % width) + 0.5) / width * 2 - 1;
    uv[2 * i + 1] = (Math.floor(ids[i] / width) + 0.5) / height * 2 - 1;
  }
  return uv;
}

/** [start, n] of each chunk of a frame of `total` pixels. */
export function chunkRanges(total: number, chunk: number): [number, number][] {
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new Error(`render chunk must be an integer >= 1: got ${chunk}`);
  }
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += chunk) out.push([s, Math.min(chunk, total - s)]);
  return out;
}

/**
 * A frame of zeros.
 * @param width Width in pixels.
 * @param height Height in pixels.
 * @param parses Whether it has a parsing map.
 */
export function emptyFrame(width: number, height: number, parses: boolean): RenderedFrame {
  const total = width * height;
  return {
    width,
    height,
    rgb: new Float32Array(total * 3),
    depth: new Float32Array(total),
    accumulation: new Float32Array(total),
    parsing: parses ? new Uint8Array(total) : undefined,
  };
}

/** Copies a chunk into its frame. */
export function writeChunk(frame: RenderedFrame, c: ChunkResult): void {
  frame.rgb.set(c.rgb, c.start * 3);
  frame.depth.set(c.depth, c.start);
  frame.accumulation.set(c.accumulation, c.start);
  if (frame.parsing && c.parsing) frame.parsing.set(c.parsing, c.start);
}

/** The most likely class of row `row` of a [rows, K] class distribution (the first on ties, as tf.argMax). */
export function argMaxRow(sem: Float32Array, K: number, row: number): number {
  let best = 0;
  for (let c = 1; c < K; c++) if (sem[K * row + c] > sem[K * row + best]) best = c;
  return best;
}
