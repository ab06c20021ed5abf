/**
 * Pixel samplers: which pixels of one training frame a step trains on.
 *
 * A sampler is an object with `sample(frame, count, rng)`; stateful samplers (the semantic-aware dynamic
 * sampler of SSP-NeRF keeps per-class error statistics) also implement `update(feedback)`, which the
 * trainer calls after each step with the per-pixel errors of the pixels it trained on.
 * @module
 */
import type { Rng } from "../nn/rng.ts";

/** The kinds of pixel sampler (`PixelSamplerConfig` in `create.ts` configures each). */
export type PixelSamplerKind = "uniform" | "faceRect" | "semanticDynamic";

/** What a sampler may look at in one training frame. */
export interface PixelSampleContext {
  /** Image width in pixels. */
  readonly width: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Face box [x, y, w, h] in pixels (pixel (u, v) is inside when its centre (u + 0.5, v + 0.5) is). */
  readonly faceRect?: readonly [number, number, number, number];
  /** Parsing map, class id per pixel, [height * width] in pixel-id order (v * width + u). */
  readonly parsing?: Uint8Array;
  /** 68 face landmarks `[x0, y0, ...]` in pixels (136 numbers): read by the semantic dynamic sampler
   * with `eyeRegionClass` set (its eye region), ignored otherwise. */
  readonly landmarks?: Float32Array;
}

/** What a stateful sampler learns from a training step. */
export interface PixelFeedback {
  /** The frame the pixels came from. */
  readonly frame: PixelSampleContext;
  /** The pixels trained on, as returned by `sample`. */
  readonly pixelIds: Int32Array;
  /** Per-pixel error of the step (e.g. squared RGB error summed over channels), aligned with pixelIds. */
  readonly errors: Float32Array;
}

/** Chooses training pixels of a frame. */
export interface PixelSampler {
  /** Which configuration made it. */
  readonly kind: PixelSamplerKind;
  /**
   * Draws pixel ids of the frame.
   * @param frame The frame's size and optional face box / parsing map.
   * @param count Number of pixel ids to return.
   * @param rng Random source (the only randomness used, so a seed makes it repeatable).
   * @returns `count` pixel ids in [0, width * height).
   */
  sample(frame: PixelSampleContext, count: number, rng: Rng): Int32Array;
  /** Feeds back the errors of the last step (stateful samplers only; stateless ones omit it). */
  update?(feedback: PixelFeedback): void;
}

/** Throws unless the frame size, parsing map and count are usable. */
export function checkSampleArgs(frame: PixelSampleContext, count: number): void {
  const { width, height, parsing } = frame;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`frame width, height must be positive integers: got ${width}x${height}`);
  }
  if (parsing && parsing.length !== width * height) {
    throw new Error(
      `frame parsing must have width * height = ${width * height} entries: got ${parsing.length}`,
    );
  }
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be an integer >= 0: got ${count}`);
}
