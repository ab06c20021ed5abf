/**
 * The head-torso junction: the pixels where the head meets the neck and the torso, from a frame's
 * ground-truth parsing. SSP-NeRF's claim for one unified NeRF over AD-NeRF's two (one for the head, one
 * for the torso) is about this seam: two separately rendered parts can leave a gap or a mismatch where
 * they meet. Full-frame, face or torso PSNR dilute it among many pixels far from the seam; the junction
 * region measures it alone.
 *
 * Definition (for a parsing map and a radius r):
 * - **head** classes: {@linkcode headClassIds} (11-class palette: face skin, brows, eyes, ears, nose,
 *   mouth interior, lips, hair; 4-class palette: its head class);
 * - **body** classes: neck and torso (11-class: 8 and 9; 4-class: 2 and 3);
 * - **boundary** pixels: a head pixel with a body pixel among its 4 neighbours, and a body pixel with a
 *   head pixel among its 4 neighbours (both sides of the seam);
 * - **junction** = every neck pixel, plus every pixel (of any class, background included: a gap
 *   opening at the seam shows there) within Chebyshev distance r of a boundary pixel.
 *
 * A frame without head pixels, without body pixels, or whose junction comes out empty (no neck, and the
 * head touches no torso) has no junction: {@linkcode junctionMask} returns undefined and the frame is
 * left out of the junction PSNR (evaluation's mean is over the frames that have one), never counted as 0.
 * @module
 */
import type { PaletteName } from "../data/types.ts";
import { headClassIds } from "./protocols.ts";
import type { MetricImage } from "./image.ts";
import { psnr } from "./psnr.ts";

/** The band's radius at 128 px (the bundled fixture's size): 3 px, a few pixels either side of the seam. */
export const JUNCTION_RADIUS_AT_128 = 3;

/** The classes the junction is built from. */
export interface JunctionClasses {
  /** Head class ids. */
  readonly head: readonly number[];
  /** Neck class ids (always in the junction). */
  readonly neck: readonly number[];
  /** Torso class ids (besides the neck, the body side of the seam). */
  readonly torso: readonly number[];
}

/**
 * The junction's classes of a parsing palette.
 * @param palette Palette name of the dataset's parsing maps.
 * @returns Head, neck and torso class ids.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { junctionClasses } from "./junction.ts";
 * assertEquals(junctionClasses("sspnerf11"), { head: [1, 2, 3, 4, 5, 6, 7, 10], neck: [8], torso: [9] });
 * assertEquals(junctionClasses("adnerf4"), { head: [1], neck: [2], torso: [3] });
 * ```
 */
export function junctionClasses(palette: PaletteName): JunctionClasses {
  const head = headClassIds(palette);
  switch (palette) {
    case "sspnerf11":
      return { head, neck: [8], torso: [9] };
    case "adnerf4":
      return { head, neck: [2], torso: [3] };
  }
}

/**
 * The band radius for an image size: {@linkcode JUNCTION_RADIUS_AT_128} scaled with the shorter side,
 * rounded, at least 1 (3 px at 128, 6 at 256, 12 at 512, 1 at 16).
 * @param width Image width in pixels.
 * @param height Image height in pixels.
 * @returns The radius in pixels (Chebyshev).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { junctionRadius } from "./junction.ts";
 * assertEquals([junctionRadius(128, 128), junctionRadius(512, 450), junctionRadius(16, 16)], [3, 11, 1]);
 * ```
 */
export function junctionRadius(width: number, height: number): number {
  return Math.max(1, Math.round((JUNCTION_RADIUS_AT_128 * Math.min(width, height)) / 128));
}

/**
 * The junction region of one parsing map (see the module's definition).
 * @param labels Class id per pixel, row-major, `width * height` entries.
 * @param width Map width.
 * @param height Map height.
 * @param classes Head, neck and torso class ids ({@linkcode junctionClasses}).
 * @param radius Band radius r in pixels, an integer >= 0. @default {junctionRadius(width, height)}
 * @returns A 0/1 mask of `width * height` entries, or undefined when the map has no head pixel, no
 *   neck or torso pixel, or an empty junction.
 * @throws When `labels` has the wrong length or the radius is not an integer >= 0.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { junctionClasses, junctionMask } from "./junction.ts";
 * // 1 x 5: hair, skin | torso, torso, background. Boundary: x = 1 and 2; radius 1 adds x = 0 and 3.
 * const m = junctionMask([10, 1, 9, 9, 0], 5, 1, junctionClasses("sspnerf11"), 1)!;
 * assertEquals(Array.from(m), [1, 1, 1, 1, 0]);
 * assertEquals(junctionMask([1, 1, 0, 9], 4, 1, junctionClasses("sspnerf11"), 1), undefined);
 * ```
 */
export function junctionMask(
  labels: ArrayLike<number>,
  width: number,
  height: number,
  classes: JunctionClasses,
  radius: number = junctionRadius(width, height),
): Uint8Array | undefined {
  if (labels.length !== width * height) {
    throw new Error(
      `junctionMask: labels has ${labels.length} entries, expected width*height = ${width * height}`,
    );
  }
  if (!(Number.isInteger(radius) && radius >= 0)) {
    throw new Error(`junctionMask: radius must be an integer >= 0: got ${radius}`);
  }
  // Side of each class: 1 head, 2 body (neck or torso), 0 neither.
  const side = new Uint8Array(256);
  for (const c of classes.head) side[c] = 1;
  for (const c of [...classes.neck, ...classes.torso]) side[c] = 2;
  const isNeck = new Uint8Array(256);
  for (const c of classes.neck) isNeck[c] = 1;
  const n = width * height;
  let heads = 0, bodies = 0;
  const sideOf = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const s = side[labels[p]] ?? 0;
    sideOf[p] = s;
    if (s === 1) heads++;
    else if (s === 2) bodies++;
  }
  if (!heads || !bodies) return undefined;
  const mask = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x, s = sideOf[p];
      if (isNeck[labels[p]] ?? 0) mask[p] = 1;
      if (!s) continue;
      const other = 3 - s;
      const onSeam = (x > 0 && sideOf[p - 1] === other) || (x + 1 < width && sideOf[p + 1] === other) ||
        (y > 0 && sideOf[p - width] === other) || (y + 1 < height && sideOf[p + width] === other);
      if (!onSeam) continue;
      for (let v = Math.max(0, y - radius); v <= Math.min(height - 1, y + radius); v++) {
        mask.fill(1, v * width + Math.max(0, x - radius), v * width + Math.min(width - 1, x + radius) + 1);
      }
    }
  }
  return mask.some((m) => m > 0) ? mask : undefined;
}

/**
 * PSNR over the junction region of a frame ({@linkcode junctionMask} of its ground-truth parsing), as
 * {@linkcode psnr} with that mask: the evaluation's "junction" region (mean key `psnr_junction`,
 * full-frame protocol).
 * @param rendered The model's frame.
 * @param groundTruth The real frame, same shape.
 * @param labels Ground-truth parsing, one class id per pixel.
 * @param palette The parsing's palette.
 * @param radius Band radius. @default {junctionRadius(width, height)}
 * @returns PSNR in dB, or undefined when the frame has no junction (the frame is then left out, not 0).
 * @example
 * ```ts
 * import { assert, assertAlmostEquals } from "@std/assert";
 * import { junctionPsnr } from "./junction.ts";
 * const img = (v: number[]) => ({ width: 4, height: 1, channels: 1 as const, data: Uint8Array.from(v) });
 * // skin | neck, torso, background at radius 1: the junction is x = 0..2; x = 3's error does not count.
 * const p = junctionPsnr(img([0, 0, 0, 255]), img([0, 0, 51, 0]), [1, 8, 9, 0], "sspnerf11", 1)!;
 * assertAlmostEquals(p, -10 * Math.log10(0.2 ** 2 / 3), 1e-9);
 * assert(junctionPsnr(img([0, 0, 0, 0]), img([0, 0, 0, 0]), [0, 0, 9, 9], "sspnerf11") === undefined);
 * ```
 */
export function junctionPsnr(
  rendered: MetricImage,
  groundTruth: MetricImage,
  labels: ArrayLike<number>,
  palette: PaletteName,
  radius?: number,
): number | undefined {
  const { width, height } = groundTruth;
  const mask = junctionMask(labels, width, height, junctionClasses(palette), radius);
  return mask ? psnr(rendered, groundTruth, { mask }) : undefined;
}
