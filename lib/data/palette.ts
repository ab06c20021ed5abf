/**
 * Parsing palettes: the colours the original preprocessing tools write into `parsing/<id>.png`.
 *
 * Both tools wrote the PNGs with OpenCV, so the triples below are **BGR**, as they appear in the
 * arrays of those tools. A PNG decoded here is RGB, so a pixel's RGB is the reverse of its triple.
 *
 * - `sspnerf11`: SSP-NeRF's `data_util/face_parsing/test_11_class.py` maps the 19 CelebAMask-HQ classes
 *   of a BiSeNet parser onto 11 colours (eyeglasses, earrings, necklace and hat fall to background).
 * - `adnerf4`: AD-NeRF / RAD-NeRF / ER-NeRF: head, neck, torso, background.
 * @module
 */
import type { Image } from "../io/types.ts";
import type { PaletteName } from "./types.ts";

/** A parsing palette: class names and the BGR triple of each class id. */
export interface Palette {
  readonly name: PaletteName;
  readonly classNames: readonly string[];
  /** BGR triple per class id, as written by the original (OpenCV) tools. */
  readonly bgr: readonly (readonly [number, number, number])[];
}

/** SSP-NeRF's 11 classes, ids 0..10. */
export const SSPNERF11: Palette = {
  name: "sspnerf11",
  classNames: [
    "background",
    "face skin",
    "brows",
    "eyes",
    "ears",
    "nose",
    "mouth interior",
    "lips",
    "neck",
    "torso",
    "hair",
  ],
  bgr: [
    [255, 255, 255],
    [173, 202, 25],
    [181, 199, 140],
    [225, 238, 160],
    [255, 0, 0],
    [199, 237, 190],
    [183, 213, 214],
    [116, 186, 209],
    [172, 206, 230],
    [158, 173, 236],
    [108, 96, 244],
  ],
};

/** Class ids of the 11-class palette by name (the order of {@linkcode SSPNERF11}). */
export const SSP11_CLASS = {
  background: 0,
  skin: 1,
  brows: 2,
  eyes: 3,
  ears: 4,
  nose: 5,
  mouth: 6,
  lips: 7,
  neck: 8,
  torso: 9,
  hair: 10,
} as const;

/** AD-NeRF's 4 classes, ids 0..3. */
export const ADNERF4: Palette = {
  name: "adnerf4",
  classNames: ["background", "head", "neck", "torso"],
  bgr: [
    [255, 255, 255],
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
  ],
};

/** All palettes by name. */
export const PALETTES: Readonly<Record<PaletteName, Palette>> = { sspnerf11: SSPNERF11, adnerf4: ADNERF4 };

/**
 * Class ids of the 11-class palette grouped into the 4-class one (for comparing with AD-NeRF-style
 * maps): index = 11-class id, value = 4-class id.
 */
export const SSP11_TO_AD4: readonly number[] = [0, 1, 1, 1, 1, 1, 1, 1, 2, 3, 1];

const key = (r: number, g: number, b: number) => (r << 16) | (g << 8) | b;

/**
 * Colours a class-id map with a palette, producing the RGB image that, written as PNG, the original
 * tools would have written.
 * @param ids Class id per pixel, `width * height` entries.
 * @returns RGB image.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parsingToImage, ADNERF4 } from "./palette.ts";
 * const img = parsingToImage(new Uint8Array([1]), 1, 1, ADNERF4);
 * assert(img.data[2] === 255 && img.data[0] === 0); // head: BGR (255,0,0) is RGB blue
 * ```
 */
export function parsingToImage(ids: Uint8Array, width: number, height: number, palette: Palette): Image {
  if (ids.length !== width * height) {
    throw new Error(`parsing map has ${ids.length} entries: expected width*height = ${width * height}`);
  }
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < ids.length; i++) {
    const c = palette.bgr[ids[i]];
    if (!c) throw new Error(`class id ${ids[i]} at pixel ${i} is not in palette ${palette.name}`);
    data[3 * i] = c[2];
    data[3 * i + 1] = c[1];
    data[3 * i + 2] = c[0];
  }
  return { width, height, channels: 3, data };
}

/**
 * Reads class ids from a palette-coloured image (RGB or RGBA, as decoded from the PNG).
 * @param source Names the file in error messages.
 * @throws An error naming the file, the pixel and its colour when a colour is not in the palette.
 */
export function imageToParsing(img: Image, palette: Palette, source = "parsing image"): Uint8Array {
  if (img.channels < 3) {
    throw new Error(`${source}: parsing maps must be RGB(A) colour images, got ${img.channels} channel(s)`);
  }
  const lut = new Map<number, number>();
  palette.bgr.forEach(([b, g, r], id) => lut.set(key(r, g, b), id));
  const n = img.width * img.height;
  const ids = new Uint8Array(n);
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    const r = img.data[c * i], g = img.data[c * i + 1], b = img.data[c * i + 2];
    const id = lut.get(key(r, g, b));
    if (id === undefined) {
      const x = i % img.width, y = Math.floor(i / img.width);
      throw new Error(
        `${source}: pixel (${x}, ${y}) has colour RGB(${r}, ${g}, ${b}), which is not in the ${palette.name} ` +
          `palette (expected one of the BGR triples ${JSON.stringify(palette.bgr)})`,
      );
    }
    ids[i] = id;
  }
  return ids;
}

/**
 * The palettes that contain every colour of a parsing image, 4-class first. Two entries mean the image
 * is ambiguous: it holds only colours the palettes share (white, and BGR (255,0,0): head in one, ears in
 * the other).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { matchingPalettes, parsingToImage, SSPNERF11 } from "./palette.ts";
 * const img = parsingToImage(new Uint8Array([0, 7]), 2, 1, SSPNERF11); // background, lips
 * assert(matchingPalettes(img).length === 1 && matchingPalettes(img)[0] === SSPNERF11);
 * ```
 */
export function matchingPalettes(img: Image): Palette[] {
  const seen = new Set<number>();
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    seen.add(key(img.data[c * i], img.data[c * i + 1], img.data[c * i + 2]));
  }
  return [ADNERF4, SSPNERF11].filter((p) => {
    const colours = new Set(p.bgr.map(([b, g, r]) => key(r, g, b)));
    return [...seen].every((k) => colours.has(k));
  });
}

/**
 * Guesses the palette of a parsing image from its colours: the palette that contains every colour of
 * the image. Returns undefined when none does.
 */
export function detectPalette(img: Image): Palette | undefined {
  // A map holding only white and BGR (255,0,0) fits both palettes; the 4-class reading is tried first.
  return matchingPalettes(img)[0];
}
