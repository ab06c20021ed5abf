/**
 * Pixel samplers: which pixels of one training frame a step trains on.
 *
 * A sampler is an object with `sample(frame, count, rng)`; stateful samplers (the semantic-aware dynamic
 * sampler of SSP-NeRF keeps per-class error statistics) also implement `update(feedback)`, which the
 * trainer calls after each step with the per-pixel errors of the pixels it trained on.
 * @module
 */
import type { Rng } from "../nn/rng.ts";
import { faceRectPixelSampler } from "./face_rect_pixel_sampler.ts";
import { semanticDynamicSampler } from "./semantic_dynamic_sampler.ts";
import { uniformPixelSampler } from "./uniform_pixel_sampler.ts";

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
  readonly kind: PixelSamplerConfig["kind"];
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

/** Configuration of a pixel sampler; `kind` selects the implementation. */
export type PixelSamplerConfig =
  | { readonly kind: "uniform" }
  | { readonly kind: "faceRect"; readonly insideFraction?: number }
  | {
    /** SSP-NeRF's semantic-aware dynamic ray sampling (see `semantic_dynamic_sampler.ts`). */
    readonly kind: "semanticDynamic";
    /** Per-class score: "error" = ema^beta, "area" = class pixel count (uniform), "errorArea" = both. */
    readonly allocation: "error" | "area" | "errorArea";
    /** Exponent of the per-class error (1 = proportional). */
    readonly beta: number;
    /** Share of the rays spread evenly over the present classes, in [0, 1] (0.2 suggested). */
    readonly floor: number;
    /** Rate of the per-class error EMA, in (0, 1] (0.1 suggested). */
    readonly emaRate: number;
  };

/**
 * Builds the pixel sampler a config names (exhaustive: a new `kind` without a case fails to compile).
 * @param config See {@linkcode PixelSamplerConfig}.
 * @returns The sampler.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createRng } from "../nn/rng.ts";
 * import { createPixelSampler } from "./pixel_sampler.ts";
 * const sampler = createPixelSampler({ kind: "faceRect", insideFraction: 1 });
 * const ids = sampler.sample({ width: 10, height: 10, faceRect: [2, 3, 1, 1] }, 5, createRng(1));
 * assertEquals(Array.from(ids), [32, 32, 32, 32, 32]); // the box holds one pixel: (u, v) = (2, 3)
 * ```
 */
export function createPixelSampler(config: PixelSamplerConfig): PixelSampler {
  switch (config.kind) {
    case "uniform":
      return uniformPixelSampler();
    case "faceRect":
      return faceRectPixelSampler({ insideFraction: config.insideFraction });
    case "semanticDynamic":
      return semanticDynamicSampler({
        allocation: config.allocation,
        beta: config.beta,
        floor: config.floor,
        emaRate: config.emaRate,
      });
    default: {
      const unknown: never = config;
      throw new Error(`unknown pixel sampler kind: ${JSON.stringify(unknown)}`);
    }
  }
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
