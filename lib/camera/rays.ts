/**
 * Camera rays through pixel centres (NeRF / AD-NeRF `get_rays`, OpenGL camera frame).
 * @module
 */
import type { Intrinsics } from "../data/types.ts";
import { checkC2w } from "./pose.ts";

/** Rays as flat typed arrays, ready for `tf.tensor2d(origins, [n, 3])`. */
export interface Rays {
  /** Ray origins, [n, 3] flattened (every ray of one camera starts at its centre). */
  readonly origins: Float32Array;
  /** Ray directions in world space, [n, 3] flattened. */
  readonly dirs: Float32Array;
}

/** Options of {@linkcode raysForPixels} and {@linkcode raysForImage}. */
export interface RayOptions {
  /** Scale each direction to unit length. When false, the camera-frame direction has z = -1, so the ray
   * parameter t is the depth along the optical axis (as AD-NeRF and NeRF's LLFF/Blender code); when true,
   * t is the Euclidean distance from the camera centre.
   * @default {false} */
  readonly normalize?: boolean;
}

/** Throws unless the intrinsics describe a real pinhole camera. */
export function checkIntrinsics(intr: Intrinsics): void {
  const { focal, cx, cy, width, height } = intr;
  if (!(focal > 0) || !Number.isFinite(focal)) throw new Error(`intrinsics focal must be > 0: got ${focal}`);
  if (!Number.isFinite(cx) || !Number.isFinite(cy)) {
    throw new Error(`intrinsics cx, cy must be finite: got ${cx}, ${cy}`);
  }
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new Error(`intrinsics width, height must be positive integers: got ${width}x${height}`);
  }
}

/**
 * Rays through the centres of the given pixels. Pixel id = v * width + u (u right, v down); the
 * camera-frame direction is d = ((u + 0.5 - cx) / f, -(v + 0.5 - cy) / f, -1) (x right, y up, looking
 * along -z), the world direction is R_c2w d, the origin is the camera centre t_c2w.
 * @param c2w Camera-to-world, 4x4 row-major (length 16).
 * @param pixelIds Pixel ids in [0, width * height), length n.
 * @param intr Intrinsics (focal, principal point and image size, in pixels).
 * @param options See {@linkcode RayOptions}.
 * @returns origins and dirs, each [n, 3] flattened.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { raysForPixels } from "./rays.ts";
 * const identity = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
 * const intr = { focal: 2, cx: 2, cy: 2, width: 4, height: 4 };
 * // Pixel (u, v) = (3, 0) is id 3: d = ((3.5 - 2) / 2, -(0.5 - 2) / 2, -1) = (0.75, 0.75, -1).
 * const { dirs } = raysForPixels(identity, Int32Array.of(3), intr);
 * assertEquals(Array.from(dirs), [0.75, 0.75, -1]);
 * ```
 */
export function raysForPixels(
  c2w: Float32Array,
  pixelIds: Int32Array | Uint32Array,
  intr: Intrinsics,
  options: RayOptions = {},
): Rays {
  checkC2w(c2w);
  checkIntrinsics(intr);
  const { focal, cx, cy, width, height } = intr;
  const n = pixelIds.length;
  const total = width * height;
  const origins = new Float32Array(n * 3);
  const dirs = new Float32Array(n * 3);
  const normalize = options.normalize ?? false;
  for (let i = 0; i < n; i++) {
    const id = pixelIds[i];
    if (!(id >= 0 && id < total)) {
      throw new Error(`pixelIds[${i}] must be in [0, ${total}) for a ${width}x${height} image: got ${id}`);
    }
    const u = id % width, v = (id - u) / width;
    const dx = (u + 0.5 - cx) / focal, dy = -(v + 0.5 - cy) / focal;
    let wx = c2w[0] * dx + c2w[1] * dy - c2w[2];
    let wy = c2w[4] * dx + c2w[5] * dy - c2w[6];
    let wz = c2w[8] * dx + c2w[9] * dy - c2w[10];
    if (normalize) {
      const inv = 1 / Math.hypot(wx, wy, wz);
      wx *= inv, wy *= inv, wz *= inv;
    }
    dirs[3 * i] = wx, dirs[3 * i + 1] = wy, dirs[3 * i + 2] = wz;
    origins[3 * i] = c2w[3], origins[3 * i + 1] = c2w[7], origins[3 * i + 2] = c2w[11];
  }
  return { origins, dirs };
}

/**
 * Rays through every pixel of the image, in pixel-id order (row by row from the top-left corner); the
 * same as {@linkcode raysForPixels} with ids 0 .. width * height - 1.
 * @param c2w Camera-to-world, 4x4 row-major (length 16).
 * @param intr Intrinsics.
 * @param options See {@linkcode RayOptions}.
 * @returns origins and dirs, each [width * height, 3] flattened.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { raysForImage } from "./rays.ts";
 * const identity = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
 * // A 2x2 image with the principal point at its centre: the first ray points up-left, (-0.5, 0.5, -1).
 * const { dirs } = raysForImage(identity, { focal: 1, cx: 1, cy: 1, width: 2, height: 2 });
 * assertEquals(dirs.length, 12);
 * assertEquals(Array.from(dirs.subarray(0, 3)), [-0.5, 0.5, -1]);
 * ```
 */
export function raysForImage(c2w: Float32Array, intr: Intrinsics, options: RayOptions = {}): Rays {
  checkIntrinsics(intr);
  const ids = new Int32Array(intr.width * intr.height);
  for (let i = 0; i < ids.length; i++) ids[i] = i;
  return raysForPixels(c2w, ids, intr, options);
}
