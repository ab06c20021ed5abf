/**
 * The 68-point face landmark scheme (iBUG 300-W / Multi-PIE, as dlib and face-api use it), 0-based:
 * jaw 0-16, right brow 17-21, left brow 22-26, nose bridge 27-30, nostrils 31-35, right eye 36-41,
 * left eye 42-47, outer lips 48-59, inner lips 60-67 ("right" = the subject's right, image left).
 * Landmarks are stored flat as `[x0, y0, x1, y1, ...]`, 136 numbers, in pixels.
 * @module
 */

/** Number of landmarks. */
export const NUM_LANDMARKS = 68;

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Point indices of each part. */
export const LANDMARK_GROUPS = {
  jaw: range(0, 16),
  brows: range(17, 26),
  nose: range(27, 35),
  eyes: range(36, 47),
  /** Outer and inner lips, 48-67: the points of mouth LMD. */
  mouth: range(48, 67),
  face: range(0, 67),
} as const satisfies Record<string, readonly number[]>;

/**
 * Left-right symmetry of the scheme: `MIRROR_68[i]` is the point that point i becomes when the face is
 * mirrored horizontally. Jaw i <-> 16 - i; brows 17 <-> 26, 18 <-> 25, 19 <-> 24, 20 <-> 23, 21 <-> 22;
 * bridge 27-30 fixed; nostrils 31 <-> 35, 32 <-> 34; eyes 36 <-> 45, 37 <-> 44, 38 <-> 43, 39 <-> 42,
 * 40 <-> 47, 41 <-> 46; outer lips 48 <-> 54, 49 <-> 53, 50 <-> 52, 51 fixed, 55 <-> 59, 56 <-> 58,
 * 57 fixed; inner lips 60 <-> 64, 61 <-> 63, 62 fixed, 65 <-> 67, 66 fixed.
 */
export const MIRROR_68: readonly number[] = (() => {
  // deno-fmt-ignore
  const pairs: [number, number][] = [
    ...range(0, 7).map((i): [number, number] => [i, 16 - i]),
    [17, 26], [18, 25], [19, 24], [20, 23], [21, 22],
    [31, 35], [32, 34],
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    [48, 54], [49, 53], [50, 52], [55, 59], [56, 58],
    [60, 64], [61, 63], [65, 67],
  ];
  const perm = range(0, 67);
  for (const [a, b] of pairs) {
    perm[a] = b;
    perm[b] = a;
  }
  return perm;
})();

/** Checks that `lms` holds 68 (x, y) pairs. */
export function checkLandmarks(lms: Float32Array | Float64Array, name = "landmarks"): void {
  if (lms.length !== 2 * NUM_LANDMARKS) {
    throw new Error(`${name} has ${lms.length} numbers, expected 136 (68 points as x, y pairs)`);
  }
}

/**
 * The landmarks of the horizontally mirrored image: x -> width - x (continuous pixel coordinates, pixel
 * i covering [i, i+1)), and each point renamed by {@linkcode MIRROR_68}.
 * @param lms 136 numbers, pixels.
 * @param width Image width in pixels.
 * @returns A new array of 136 numbers.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mirrorLandmarks } from "./points.ts";
 * const lms = new Float32Array(136);
 * lms[2 * 36] = 100; // right outer eye corner at x = 100
 * const m = mirrorLandmarks(lms, 512);
 * assertEquals(m[2 * 45], 412); // becomes the left outer eye corner at 512 - 100
 * ```
 */
export function mirrorLandmarks(lms: Float32Array, width: number): Float32Array {
  checkLandmarks(lms);
  const out = new Float32Array(136);
  for (let i = 0; i < NUM_LANDMARKS; i++) {
    const j = MIRROR_68[i];
    out[2 * j] = width - lms[2 * i];
    out[2 * j + 1] = lms[2 * i + 1];
  }
  return out;
}
