/**
 * Pixel-sampler configuration, its checks, and the factory (the one switch on the sampler's `kind`).
 * @module
 */
import { eyeRegionClass, type EyeRegionDatasetInfo } from "./eye_region.ts";
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
    /**
     * Count the pixels of each frame's landmark eye box (`eyeRegionMask`, the region evaluation's eye
     * PSNR uses) as the parsing's "eyes" class, for the allocation and the EMA only (the semantic loss
     * keeps the true labels), so the eye region has its own share of rays when the eyes are shut too (see
     * `eye_region.ts`). Needs a dataset with parsing maps whose palette has an "eyes" class (SSP-NeRF's 11
     * classes: class 3) and landmarks; any other dataset is refused when the sampler is built. Absent or
     * false: today's sampler, draws unchanged.
     * @default {false}
     */
    readonly eyeRegion?: boolean;
  };

/**
 * Builds the pixel sampler a config names (exhaustive: a new `kind` without a case fails to compile).
 * @param config See {@linkcode PixelSamplerConfig}.
 * @param dataset The dataset trained on (its palette, class count, whether it has landmarks): needed
 *   only by `eyeRegion: true`, which takes the eye class id from it.
 * @returns The sampler.
 * @throws Error naming `pixelSampler.eyeRegion` when it is on and the dataset cannot have an eye region
 *   class (see `eyeRegionClass`).
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
export function createPixelSampler(config: PixelSamplerConfig, dataset?: EyeRegionDatasetInfo): PixelSampler {
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
        ...(config.eyeRegion && {
          eyeRegionClass: eyeRegionClass(
            dataset ?? fail("pixelSampler.eyeRegion is true: createPixelSampler needs the dataset"),
          ),
        }),
      });
    default: {
      const unknown: never = config;
      throw new Error(`unknown pixel sampler kind: ${JSON.stringify(unknown)}`);
    }
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/**
 * Every problem of a pixel-sampler configuration (path, value, what was expected); empty when valid.
 * @param ps The configuration.
 * @param path Its path in the whole configuration. @default {"pixelSampler"}
 */
export function pixelSamplerConfigProblems(ps: PixelSamplerConfig, path = "pixelSampler"): string[] {
  // `override` lets `eyeRegion` onto any sampler (an optional field): only the semantic one has classes.
  const eye = (ps as { eyeRegion?: unknown }).eyeRegion;
  const eyeProblems = eye === undefined || eye === false || (eye === true && ps.kind === "semanticDynamic")
    ? []
    : typeof eye !== "boolean"
    ? [`${path}.eyeRegion must be true or false: got ${JSON.stringify(eye)}`]
    : [
      `${path}.eyeRegion applies to kind "semanticDynamic" only: got true with kind ${
        JSON.stringify(ps.kind)
      }`,
    ];
  switch (ps.kind) {
    case "uniform":
      return eyeProblems;
    case "faceRect": {
      const f = ps.insideFraction ?? 0.95;
      return [
        ...(f >= 0 && f <= 1 ? [] : [`${path}.insideFraction must be in [0, 1]: got ${f}`]),
        ...eyeProblems,
      ];
    }
    case "semanticDynamic": {
      const { allocation, beta, floor, emaRate } = ps;
      return [
        ...semanticSamplerProblems({
          allocation,
          beta: beta ?? NaN,
          floor: floor ?? NaN,
          emaRate: emaRate ?? NaN,
        }, `${path}.`),
        ...eyeProblems,
      ];
    }
    default:
      return [
        `${path}.kind must be uniform, faceRect or semanticDynamic: got ${
          JSON.stringify((ps as { kind: unknown }).kind)
        }`,
      ];
  }
}
