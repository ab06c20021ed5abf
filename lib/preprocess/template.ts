/**
 * A generic mean face: the 68 landmarks of the iBUG 300-W scheme as 3-D points, built by hand from
 * adult anthropometric proportions (rounded means of Farkas' head and face measurements, both sexes):
 *
 * | measure | landmarks | value |
 * |---|---|---|
 * | outer eye corners (ex-ex) | 36-45 | 9.0 cm |
 * | inner eye corners (en-en) | 39-42 | 3.2 cm |
 * | eye height | 37/41 | 0.95 cm |
 * | nose width (al-al) | 31-35 | 3.2 cm |
 * | eye line to nose tip / subnasale | 30 / 33 | 3.2 / 4.2 cm |
 * | nose protrusion past the inner eye corners | 30 | 2.3 cm |
 * | mouth width (ch-ch) | 48-54 | 5.0 cm |
 * | eye line to mouth corners / chin (gn) | 48 / 8 | 6.3 / 11.4 cm |
 * | face width at the top of the jaw contour | 0-16 | 14.0 cm |
 * | jaw width at the gonion (bigonial) | 4-12 | 11.2 cm |
 * | depth of the outer eye corners behind the inner | 36 | 1.2 cm |
 * | depth of the jaw contour's top behind the inner eye corners | 0 | 8.3 cm |
 *
 * Frame (the canonical head space of the datasets this toolkit writes): x towards the subject's left
 * (image right when the face looks at the camera), y up, z out of the face, so a head with identity
 * rotation faces a camera that looks along -z. The origin is 8 cm behind the inner eye corners at eye
 * height, near the centre of the head, so head rotations turn about a point inside the skull.
 * Units are **decimetres**, the unit of the synthetic fixture (a head at 1.2 m has t_z = -12).
 * The template is mirror-symmetric: point i and `MIRROR_68[i]` differ only in the sign of x.
 * @module
 */

/** Number of points of the template. */
export const TEMPLATE_POINTS = 68;

// deno-fmt-ignore
/** One side (the subject's right, x < 0) and the midline, in centimetres, [index, x, y, z]. */
const RIGHT_CM: readonly (readonly [number, number, number, number])[] = [
  // Jaw contour 0-8: from beside the eye line down around the chin; z falls off towards the ears.
  [0, -7.0, -0.3, -8.3], [1, -6.9, -2.2, -7.7], [2, -6.6, -4.1, -6.8], [3, -6.2, -6.0, -5.5],
  [4, -5.6, -7.7, -4.0], [5, -4.7, -9.1, -2.6], [6, -3.5, -10.3, -1.2], [7, -1.9, -11.1, -0.2],
  [8, 0, -11.4, 0.3],
  // Right brow 17-21, outer to inner.
  [17, -6.0, 1.6, -1.5], [18, -4.8, 2.4, -0.5], [19, -3.4, 2.7, 0.1], [20, -2.2, 2.6, 0.4], [21, -1.0, 2.2, 0.5],
  // Nose bridge 27-30 (midline), down to the tip.
  [27, 0, 0.8, 0.4], [28, 0, -0.6, 1.0], [29, 0, -1.9, 1.7], [30, 0, -3.2, 2.3],
  // Nostrils 31-33 (33 = subnasale on the midline).
  [31, -1.6, -3.7, 0.3], [32, -0.8, -4.0, 0.9], [33, 0, -4.2, 1.2],
  // Right eye 36-41: outer corner, upper lid (outer, inner), inner corner, lower lid (inner, outer).
  [36, -4.5, 0, -1.2], [37, -3.8, 0.5, -0.3], [38, -2.4, 0.5, 0.1], [39, -1.6, 0, 0],
  [40, -2.4, -0.45, 0], [41, -3.8, -0.45, -0.4],
  // Outer lips 48-51 (right corner to the upper lip's midline) and 57-59 (lower lip, midline to the right).
  [48, -2.5, -6.3, -0.4], [49, -1.6, -5.7, 0.5], [50, -0.6, -5.4, 0.9], [51, 0, -5.5, 1.0],
  [57, 0, -7.7, 0.7], [58, -0.7, -7.6, 0.6], [59, -1.6, -7.2, 0.2],
  // Inner lips (closed mouth): 60 right corner, 61-62 upper, 66-67 lower.
  [60, -2.1, -6.3, -0.2], [61, -0.7, -6.1, 0.5], [62, 0, -6.1, 0.6], [66, 0, -6.4, 0.5], [67, -0.7, -6.4, 0.4],
];

/** Pairs (right, left) of the 300-W scheme's mirror symmetry (see lib/landmarks MIRROR_68). */
const MIRROR_PAIRS: readonly (readonly [number, number])[] = [
  ...Array.from({ length: 8 }, (_, i) => [i, 16 - i] as const),
  [17, 26],
  [18, 25],
  [19, 24],
  [20, 23],
  [21, 22],
  [31, 35],
  [32, 34],
  [36, 45],
  [37, 44],
  [38, 43],
  [39, 42],
  [40, 47],
  [41, 46],
  [48, 54],
  [49, 53],
  [50, 52],
  [59, 55],
  [58, 56],
  [60, 64],
  [61, 63],
  [67, 65],
];

/** Depth of the origin behind the inner eye corners, centimetres. */
const ORIGIN_BEHIND_EYES_CM = 8;

function buildTemplate(): Float64Array {
  const out = new Float64Array(TEMPLATE_POINTS * 3).fill(NaN);
  const set = (i: number, x: number, y: number, z: number) => {
    out[3 * i] = x / 10;
    out[3 * i + 1] = y / 10;
    out[3 * i + 2] = (z + ORIGIN_BEHIND_EYES_CM) / 10;
  };
  for (const [i, x, y, z] of RIGHT_CM) set(i, x, y, z);
  for (const [r, l] of MIRROR_PAIRS) {
    set(l, -out[3 * r] * 10, out[3 * r + 1] * 10, out[3 * r + 2] * 10 - ORIGIN_BEHIND_EYES_CM);
  }
  if (out.some((v) => Number.isNaN(v))) throw new Error("template.ts: a template point is undefined");
  return out;
}

/**
 * The mean-face template: 68 points x (x, y, z), decimetres, in the canonical head frame described in
 * the module doc. Frozen copy; use `Float64Array.from(MEAN_FACE_68)` to modify.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { MEAN_FACE_68 } from "./template.ts";
 * // Outer eye corners 36 and 45 are 9 cm = 0.9 dm apart.
 * assertAlmostEquals(MEAN_FACE_68[3 * 45] - MEAN_FACE_68[3 * 36], 0.9, 1e-9);
 * ```
 */
export const MEAN_FACE_68: Readonly<Float64Array> = buildTemplate();

/** The (right, left) mirror pairs used to build and symmetrise templates. */
export const TEMPLATE_MIRROR_PAIRS = MIRROR_PAIRS;

/**
 * Makes a 68-point shape mirror-symmetric about x = 0: each pair (i, mirror(i)) becomes the mean of
 * the point and its mirror image, and midline points get x = 0.
 * @param shape 68 x 3 points.
 * @returns A new symmetric shape.
 */
export function symmetrizeShape(shape: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(shape);
  const paired = new Set<number>();
  for (const [r, l] of MIRROR_PAIRS) {
    const x = (shape[3 * l] - shape[3 * r]) / 2;
    const y = (shape[3 * r + 1] + shape[3 * l + 1]) / 2;
    const z = (shape[3 * r + 2] + shape[3 * l + 2]) / 2;
    out.set([-x, y, z], 3 * r);
    out.set([x, y, z], 3 * l);
    paired.add(r).add(l);
  }
  for (let i = 0; i < TEMPLATE_POINTS; i++) if (!paired.has(i)) out[3 * i] = 0;
  return out;
}
