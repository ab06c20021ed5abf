/**
 * Pixel-sampler configuration, its checks, and the factory (the one switch on the sampler's `kind`).
 * @module
 */
import { faceRectPixelSampler } from "./face_rect_pixel_sampler.ts";
import type { PixelSampler } from "./pixel_sampler.ts";
import {
  type SemanticAllocation,
  semanticDynamicSampler,
  semanticSamplerProblems,
} from "./semantic_dynamic_sampler.ts";
import { uniformPixelSampler } from "./uniform_pixel_sampler.ts";

/** Configuration of a pixel sampler; `kind` selects the implementation. */
export type PixelSamplerConfig =
  | { readonly kind: "uniform" }
  | { readonly kind: "faceRect"; readonly insideFraction?: number }
  | {
    /** SSP-NeRF's semantic-aware dynamic ray sampling (see `semantic_dynamic_sampler.ts`). */
    readonly kind: "semanticDynamic";
    /** Per-class score: "error" = ema^beta, "area" = class pixel count (uniform), "errorArea" = both. */
    readonly allocation: SemanticAllocation;
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
 * import { createPixelSampler } from "./create.ts";
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

/**
 * Every problem of a pixel-sampler configuration (path, value, what was expected); empty when valid.
 * @param ps The configuration.
 * @param path Its path in the whole configuration. @default {"pixelSampler"}
 */
export function pixelSamplerConfigProblems(ps: PixelSamplerConfig, path = "pixelSampler"): string[] {
  switch (ps.kind) {
    case "uniform":
      return [];
    case "faceRect": {
      const f = ps.insideFraction ?? 0.95;
      return f >= 0 && f <= 1 ? [] : [`${path}.insideFraction must be in [0, 1]: got ${f}`];
    }
    case "semanticDynamic": {
      const { allocation, beta, floor, emaRate } = ps;
      return semanticSamplerProblems({
        allocation,
        beta: beta ?? NaN,
        floor: floor ?? NaN,
        emaRate: emaRate ?? NaN,
      }, `${path}.`);
    }
    default:
      return [
        `${path}.kind must be uniform, faceRect or semanticDynamic: got ${
          JSON.stringify((ps as { kind: unknown }).kind)
        }`,
      ];
  }
}
