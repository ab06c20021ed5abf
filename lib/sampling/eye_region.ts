/**
 * The eye region as a sampling class of the semantic dynamic sampler (`pixelSampler.eyeRegion`).
 *
 * Why: the parsing's eye class covers a fraction of a percent of a portrait's pixels while the eyes are
 * open and vanishes when they shut (closed lids are "face skin"), so a sampler that splits its rays over
 * the parsing classes almost never trains the lids of a blink. Counting the pixels of the landmarks' eye
 * box (`eyeRegionMask`, the region evaluation measures) as the eye class gives the region its own share of
 * the rays and its own error EMA, open or shut. Only the sampler's notion of class changes: the parsing
 * map (and so the semantic loss's labels) stays as it is.
 * @module
 */
import { eyeRegionMask } from "../landmarks/eye.ts";

/** What the sampler factory needs to know of a dataset to place the eye class (a `Dataset` fits). */
export interface EyeRegionDatasetInfo {
  /** The dataset folder, for messages. */
  readonly root?: string;
  /** Palette of the parsing maps: the eye class is the class named "eyes". */
  readonly palette?: { readonly name: string; readonly classNames: readonly string[] };
  /** Number of parsing classes; 0 when there are no parsing maps. */
  readonly numClasses: number;
  readonly has: { readonly landmarks: boolean };
}

/**
 * The class id the eye region counts as for a dataset: the palette's class named "eyes" (3 in SSP-NeRF's
 * 11 classes). A dataset that cannot have an eye region class is refused rather than the option silently
 * ignored, so a run asking for it always gets it: no parsing maps (the semantic sampler then draws
 * uniformly, there are no classes), a palette without an eye class (AD-NeRF's 4 classes: head, neck,
 * torso, background), or no landmarks (they place the box).
 * @param dataset The dataset's palette, class count and whether it has landmarks.
 * @returns The eye class id.
 * @throws Error naming `pixelSampler.eyeRegion`, the dataset and what it lacks.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { SSPNERF11, ADNERF4 } from "../data/palette.ts";
 * import { eyeRegionClass } from "./eye_region.ts";
 * assertEquals(eyeRegionClass({ palette: SSPNERF11, numClasses: 11, has: { landmarks: true } }), 3);
 * assertThrows(() => eyeRegionClass({ palette: ADNERF4, numClasses: 4, has: { landmarks: true } }));
 * ```
 */
export function eyeRegionClass(dataset: EyeRegionDatasetInfo): number {
  const where = `pixelSampler.eyeRegion is true but the dataset${dataset.root ? ` ${dataset.root}` : ""}`;
  if (!dataset.palette || dataset.numClasses === 0) {
    throw new Error(
      `${where} has no parsing maps (parsing/<img_id>.png), so the semantic sampler has no classes to put ` +
        `the eye region in; set pixelSampler.eyeRegion to false`,
    );
  }
  const k = dataset.palette.classNames.indexOf("eyes");
  if (k < 0) {
    throw new Error(
      `${where} has parsing palette "${dataset.palette.name}" (${
        dataset.palette.classNames.join(", ")
      }), which has no "eyes" class; set pixelSampler.eyeRegion to false`,
    );
  }
  if (!dataset.has.landmarks) {
    throw new Error(
      `${where} has no landmarks (<img_id>.lms), which place the eye box; set pixelSampler.eyeRegion to false`,
    );
  }
  return k;
}

/**
 * A frame's sampling classes with its eye region: a copy of the parsing map whose pixels inside the
 * landmarks' eye box ({@linkcode eyeRegionMask}) hold `eyeClass`; the map itself when the box is
 * undefined (corners coincide, box off the image).
 * @param parsing Class id per pixel, row-major, width * height.
 * @param landmarks The frame's 68 landmarks `[x0, y0, ...]` in pixels (136 numbers).
 * @param width Image width.
 * @param height Image height.
 * @param eyeClass The class id the box's pixels count as (0..255).
 * @returns The sampling classes (never the same array as `parsing` unless the box is undefined).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withEyeRegion } from "./eye_region.ts";
 * const lms = new Float32Array(136); // corners 36, 39, 42, 45 at y = 1.5: D = 2, box x [0, 3), y [1, 2)
 * for (const [i, x] of [[36, 0.5], [39, 1], [42, 2], [45, 2.5]]) [lms[2 * i], lms[2 * i + 1]] = [x, 1.5];
 * assertEquals(Array.from(withEyeRegion(new Uint8Array(9).fill(1), lms, 3, 3, 3)), [1, 1, 1, 3, 3, 3, 1, 1, 1]);
 * ```
 */
export function withEyeRegion(
  parsing: Uint8Array,
  landmarks: Float32Array,
  width: number,
  height: number,
  eyeClass: number,
): Uint8Array {
  if (landmarks.length !== 136) {
    throw new Error(`frame landmarks must hold 68 points (136 numbers): got ${landmarks.length}`);
  }
  const mask = eyeRegionMask(landmarks, width, height);
  if (!mask) return parsing;
  const out = parsing.slice();
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[i] = eyeClass;
  return out;
}
