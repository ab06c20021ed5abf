/**
 * Uniform pixel sampling over the whole image.
 * @module
 */
import type { Rng } from "../nn/rng.ts";
import { checkSampleArgs, type PixelSampleContext, type PixelSampler } from "./pixel_sampler.ts";

/**
 * Samples pixel ids uniformly over the image, WITH replacement: each of the `count` ids is independent,
 * so one frame can hand the same pixel twice (expected repeats ~ count^2 / (2 width height), e.g. ~8 of
 * 2048 rays on a 512 x 512 image). This keeps sampling O(count) and the per-ray gradient unbiased;
 * NeRF/AD-NeRF draw without replacement, which differs only by those few repeats.
 * @returns The sampler (stateless).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { createRng } from "../nn/rng.ts";
 * import { uniformPixelSampler } from "./uniform_pixel_sampler.ts";
 * const ids = uniformPixelSampler().sample({ width: 4, height: 3 }, 100, createRng(3));
 * assert(ids.every((id) => id >= 0 && id < 12));
 * ```
 */
export function uniformPixelSampler(): PixelSampler {
  return {
    kind: "uniform",
    sample(frame: PixelSampleContext, count: number, rng: Rng): Int32Array {
      checkSampleArgs(frame, count);
      const total = frame.width * frame.height;
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = rng.int(total);
      return out;
    },
  };
}
