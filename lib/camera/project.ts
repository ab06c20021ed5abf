/**
 * Pinhole projection of world points to pixel coordinates: the inverse of the rays of `rays.ts`.
 * @module
 */
import type { Intrinsics } from "../data/types.ts";
import { checkC2w } from "./pose.ts";
import { checkIntrinsics } from "./rays.ts";

/**
 * Projects world points into the image of a camera. With p_c = R_c2w^T (p - t_c2w) the point in the
 * camera frame (x right, y up, looking along -z):
 * ```
 * u = cx + f x_c / (-z_c),   v = cy - f y_c / (-z_c)
 * ```
 * in continuous pixel coordinates where pixel (i, j) covers [i, i + 1) x [j, j + 1), so its centre is at
 * (i + 0.5, j + 0.5): every point on the ray of pixel (i, j) projects to (i + 0.5, j + 0.5).
 * Points on or behind the camera plane (z_c >= 0) have no image and give (NaN, NaN).
 * @param points World points, [n, 3] flattened.
 * @param c2w Camera-to-world, 4x4 row-major (length 16).
 * @param intr Intrinsics (pixels).
 * @returns Pixel coordinates (u, v), [n, 2] flattened.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { projectPoints } from "./project.ts";
 * const identity = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
 * const intr = { focal: 100, cx: 50, cy: 50, width: 100, height: 100 };
 * // (0.1, 0.2, -2): u = 50 + 100 * 0.1 / 2 = 55, v = 50 - 100 * 0.2 / 2 = 40.
 * const [u, v] = projectPoints(Float32Array.of(0.1, 0.2, -2), identity, intr);
 * assertAlmostEquals(u, 55, 1e-4);
 * assertAlmostEquals(v, 40, 1e-4);
 * ```
 */
export function projectPoints(points: Float32Array, c2w: Float32Array, intr: Intrinsics): Float32Array {
  checkC2w(c2w);
  checkIntrinsics(intr);
  if (points.length % 3 !== 0) {
    throw new Error(`points must be [n, 3] flattened: got length ${points.length}`);
  }
  const n = points.length / 3;
  const { focal, cx, cy } = intr;
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const px = points[3 * i] - c2w[3], py = points[3 * i + 1] - c2w[7], pz = points[3 * i + 2] - c2w[11];
    // R^T (p - t): the columns of R_c2w dotted with p - t.
    const xc = c2w[0] * px + c2w[4] * py + c2w[8] * pz;
    const yc = c2w[1] * px + c2w[5] * py + c2w[9] * pz;
    const zc = c2w[2] * px + c2w[6] * py + c2w[10] * pz;
    if (!(zc < 0)) {
      out[2 * i] = NaN, out[2 * i + 1] = NaN;
      continue;
    }
    out[2 * i] = cx + focal * xc / -zc;
    out[2 * i + 1] = cy - focal * yc / -zc;
  }
  return out;
}
