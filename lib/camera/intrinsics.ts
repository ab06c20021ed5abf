/**
 * Building and rescaling pinhole intrinsics.
 * @module
 */
import type { Intrinsics } from "../data/types.ts";
import { checkIntrinsics } from "./rays.ts";

/**
 * Intrinsics of a camera with a horizontal field of view, principal point at the image centre (as the
 * AD-NeRF family assumes): f = (width / 2) / tan(fovX / 2), cx = width / 2, cy = height / 2.
 * @param fovX Horizontal field of view, radians in (0, pi).
 * @param size Image size in pixels.
 * @returns The intrinsics.
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { intrinsicsFromFov } from "./intrinsics.ts";
 * // 90 degrees across 200 px: f = 100 / tan(45 deg) = 100.
 * const intr = intrinsicsFromFov(Math.PI / 2, { width: 200, height: 100 });
 * assertAlmostEquals(intr.focal, 100, 1e-9);
 * assertEquals([intr.cx, intr.cy], [100, 50]);
 * ```
 */
export function intrinsicsFromFov(fovX: number, size: { width: number; height: number }): Intrinsics {
  if (!(fovX > 0 && fovX < Math.PI)) throw new Error(`fovX must be in (0, pi) radians: got ${fovX}`);
  const intr = {
    focal: size.width / 2 / Math.tan(fovX / 2),
    cx: size.width / 2,
    cy: size.height / 2,
    width: size.width,
    height: size.height,
  };
  checkIntrinsics(intr);
  return intr;
}

/**
 * Fields of view of intrinsics: fovX = 2 atan(width / (2 f)), fovY = 2 atan(height / (2 f)).
 * @param intr Intrinsics.
 * @returns Horizontal and vertical fields of view in radians.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { fovFromIntrinsics } from "./intrinsics.ts";
 * const { fovX } = fovFromIntrinsics({ focal: 100, cx: 100, cy: 50, width: 200, height: 100 });
 * assertAlmostEquals(fovX, Math.PI / 2, 1e-12);
 * ```
 */
export function fovFromIntrinsics(intr: Intrinsics): { fovX: number; fovY: number } {
  checkIntrinsics(intr);
  return {
    fovX: 2 * Math.atan(intr.width / (2 * intr.focal)),
    fovY: 2 * Math.atan(intr.height / (2 * intr.focal)),
  };
}

/**
 * Intrinsics of the same camera for an image resized by `factor` (e.g. 0.25 to train on a quarter-size
 * image): focal, cx and cy scale by the factor, because continuous pixel coordinates (pixel centres at
 * +0.5) scale exactly when the whole image is resampled. The new size must be whole pixels.
 * @param intr Intrinsics of the full image.
 * @param factor Scale factor > 0; width * factor and height * factor must be integers.
 * @returns The rescaled intrinsics.
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { scaleIntrinsics } from "./intrinsics.ts";
 * const s = scaleIntrinsics({ focal: 1200, cx: 225, cy: 225, width: 450, height: 450 }, 1 / 3);
 * assertEquals(s.width, 150);
 * assertAlmostEquals(s.focal, 400, 1e-9);
 * assertAlmostEquals(s.cx, 75, 1e-9);
 * ```
 */
export function scaleIntrinsics(intr: Intrinsics, factor: number): Intrinsics {
  checkIntrinsics(intr);
  if (!(factor > 0) || !Number.isFinite(factor)) {
    throw new Error(`factor must be finite and > 0: got ${factor}`);
  }
  const w = intr.width * factor, h = intr.height * factor;
  const width = Math.round(w), height = Math.round(h);
  if (Math.abs(w - width) > 1e-6 || Math.abs(h - height) > 1e-6 || width === 0 || height === 0) {
    throw new Error(
      `image size ${intr.width}x${intr.height} times factor ${factor} must be whole pixels: got ${w}x${h}`,
    );
  }
  return { focal: intr.focal * factor, cx: intr.cx * factor, cy: intr.cy * factor, width, height };
}
