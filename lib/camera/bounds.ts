/**
 * Near and far ray bounds from the camera poses.
 * @module
 */
import { checkC2w } from "./pose.ts";

/** Options of {@linkcode nearFarFromPoses}. */
export interface NearFarOptions {
  /** Radius of the scene around the canonical origin (scene units): everything to be rendered lies
   * within this distance of the origin.
   * @default {half the smallest camera distance} (scale-free, so it fits any unit of the tracker) */
  readonly radius?: number;
}

/**
 * Ray bounds that enclose a ball of radius r around the canonical origin (the head) for every camera:
 * with d_i = |t_c2w,i| the distance of camera i from the origin,
 * ```
 * near = max(min_i d_i - r, 0.01 min_i d_i),   far = max_i d_i + r
 * ```
 * (near is clamped to stay > 0). This is the idea of AD-NeRF's `process_data.py`, which writes
 * near = mean_z - 0.2 and far = mean_z + 0.4 from the mean tracked depth mean_z = -mean(t_z) of the
 * head (with its translations / 10); here the extremes replace the mean so no camera of the set clips
 * the scene. Note that t along a ray is the depth along the optical axis when directions are not
 * normalised (the default of `raysForPixels`), which exceeds the Euclidean distance off-axis; the radius
 * margin covers that for the narrow fields of view of portrait videos.
 * @param c2ws Camera-to-world matrices (4x4 row-major each); at least one.
 * @param options See {@linkcode NearFarOptions}.
 * @returns near < far, in scene units.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nearFarFromPoses } from "./bounds.ts";
 * const at = (z: number) => Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, z, 0, 0, 0, 1);
 * const { near, far } = nearFarFromPoses([at(3), at(4)], { radius: 1 });
 * assertEquals([near, far], [2, 5]);
 * ```
 */
export function nearFarFromPoses(
  c2ws: readonly Float32Array[],
  options: NearFarOptions = {},
): { near: number; far: number } {
  if (c2ws.length === 0) throw new Error("c2ws must hold at least one camera: got none");
  let minD = Infinity, maxD = 0;
  for (const c2w of c2ws) {
    checkC2w(c2w);
    const d = Math.hypot(c2w[3], c2w[7], c2w[11]);
    minD = Math.min(minD, d), maxD = Math.max(maxD, d);
  }
  if (!(minD > 0)) {
    throw new Error(`every camera must be away from the origin: got a camera distance of ${minD}`);
  }
  const radius = options.radius ?? minD / 2;
  if (!(radius >= 0) || !Number.isFinite(radius)) {
    throw new Error(`radius must be finite and >= 0: got ${radius}`);
  }
  return { near: Math.max(minD - radius, 0.01 * minD), far: maxD + radius };
}
