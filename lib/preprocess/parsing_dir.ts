/**
 * Parsing maps made by an external face parser (BiSeNet / AD-NeRF / SSP-NeRF preprocessing), brought to
 * the dataset's crop and size.
 * @module
 */
import { join } from "node:path";
import { readImage, resizeImage } from "../io/mod.ts";
import type { CropRect, Image } from "../io/types.ts";
import { imageToParsing, matchingPalettes, type Palette, SSPNERF11 } from "../data/palette.ts";

/**
 * CelebAMask-HQ's 19 classes as a BiSeNet face parser numbers them (0 background, 1 skin, 2-3 brows,
 * 4-5 eyes, 6 eyeglasses, 7-8 ears, 9 earring, 10 nose, 11 mouth, 12-13 lips, 14 neck, 15 necklace,
 * 16 cloth, 17 hair, 18 hat) onto SSP-NeRF's 11 classes, as SSP-NeRF's `test_11_class.py` merges them:
 * eyeglasses, earrings, necklace and hat fall to background.
 */
export const CELEBA19_TO_SSP11: readonly number[] = [
  0,
  1,
  2,
  2,
  3,
  3,
  0,
  4,
  4,
  0,
  5,
  6,
  7,
  7,
  8,
  0,
  9,
  10,
  0,
];

/** How an external map was read. */
export type ExternalParsingKind = "adnerf4" | "sspnerf11" | "celeba19";

/** A parsing map read from an external parser's output. */
export interface ExternalParsing {
  /** Class ids, size x size, in `palette`'s numbering. */
  readonly ids: Uint8Array;
  /** The palette the ids belong to (CelebAMask ids are converted to SSP-NeRF's 11 classes). */
  readonly palette: Palette;
  /** How the file was read. */
  readonly kind: ExternalParsingKind;
}

/**
 * Detects the kind of an external parsing image: a grey (1-channel) image of values 0..18 is a raw
 * CelebAMask-HQ label map; a colour image is matched against the AD-NeRF 4-class and SSP-NeRF 11-class
 * palettes (lib/data `matchingPalettes`: 4-class first when the colours fit both).
 */
export function detectParsingKind(img: Image, source: string): ExternalParsingKind {
  if (img.channels === 1) {
    for (let i = 0; i < img.data.length; i++) {
      if (img.data[i] > 18) {
        throw new Error(
          `parsing_dir.ts: ${source}: grey value ${
            img.data[i]
          } at pixel ${i}: a grey map must hold CelebAMask-HQ ids 0..18`,
        );
      }
    }
    return "celeba19";
  }
  const p = matchingPalettes(img);
  if (p.length === 0) {
    throw new Error(
      `parsing_dir.ts: ${source}: its colours fit neither the adnerf4 nor the sspnerf11 palette: expected a ` +
        `lossless PNG written by an AD-NeRF / SSP-NeRF parser (or a grey map of CelebAMask-HQ ids)`,
    );
  }
  return p[0].name;
}

/** Options of {@linkcode readExternalParsing}. */
export interface ReadExternalParsingOptions {
  /** Kind to read the map as (detect it from the first map, then pass it for the others). */
  readonly kind?: ExternalParsingKind;
  /** Crop of the video frames (in original pixels), applied when the map has the original frame size. */
  readonly crop?: CropRect;
  /** Size of the original frames. */
  readonly frameSize?: { readonly width: number; readonly height: number };
}

/**
 * Reads `<dir>/<frame>.png`, an external parser's map of one video frame, and brings it to the dataset:
 * a map of the original frame size is cropped with `crop`; a square map is taken as already cropped;
 * then it is resized to size x size with nearest-neighbour sampling (labels are never blended) and
 * converted to class ids (CelebAMask-HQ ids through {@linkcode CELEBA19_TO_SSP11}).
 * @param dir Folder of the maps.
 * @param frame Frame index (file `<frame>.png`).
 * @param size Output side.
 * @param options Kind, crop and original frame size.
 * @returns Class ids, the palette and the kind.
 */
export async function readExternalParsing(
  dir: string,
  frame: number,
  size: number,
  options: ReadExternalParsingOptions = {},
): Promise<ExternalParsing> {
  const path = join(dir, `${frame}.png`);
  let img: Image;
  try {
    img = await readImage(path);
  } catch (e) {
    throw new Error(
      `parsing_dir.ts: ${path}: cannot read the parsing map of frame ${frame} (${
        e instanceof Error ? e.message : e
      }): ` +
        `expected one PNG per frame named <frame>.png`,
    );
  }
  const kind = options.kind ?? detectParsingKind(img, path);
  const fs = options.frameSize, crop = options.crop;
  if (
    fs && crop && img.width === fs.width && img.height === fs.height &&
    !(crop.w === fs.width && crop.h === fs.height)
  ) {
    img = cropImage(img, crop);
  } else if (img.width !== img.height) {
    throw new Error(
      `parsing_dir.ts: ${path}: size ${img.width}x${img.height}: expected the video's frame size ` +
        `${fs ? `${fs.width}x${fs.height}` : "(unknown)"} or a square map of the crop`,
    );
  }
  if (img.width !== size) img = resizeImage(img, size, size, { filter: "nearest" });
  if (kind === "celeba19") {
    if (img.channels !== 1) {
      throw new Error(`parsing_dir.ts: ${path}: expected a grey CelebAMask-HQ map like frame 0's`);
    }
    return { ids: Uint8Array.from(img.data, (v) => CELEBA19_TO_SSP11[v] ?? 0), palette: SSPNERF11, kind };
  }
  const palette = matchingPalettes(img).find((p) => p.name === kind);
  if (!palette) {
    throw new Error(`parsing_dir.ts: ${path}: its colours do not fit the ${kind} palette of the first map`);
  }
  return { ids: imageToParsing(img, palette, path), palette, kind };
}

function cropImage(img: Image, c: CropRect): Image {
  const ch = img.channels;
  const data = new Uint8Array(c.w * c.h * ch);
  for (let y = 0; y < c.h; y++) {
    const src = ((c.y + y) * img.width + c.x) * ch;
    data.set(img.data.subarray(src, src + c.w * ch), y * c.w * ch);
  }
  return { width: c.w, height: c.h, channels: ch, data };
}
