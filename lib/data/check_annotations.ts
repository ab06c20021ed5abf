/**
 * Validation of the per-frame annotations of a dataset folder: parsing maps (palette detected or forced,
 * every colour checked), landmark files and the audio features. Each step adds every problem it finds
 * to the scan's list.
 * @module
 */
import { join } from "node:path";
import { readImage, readNpy } from "../io/mod.ts";
import type { Image, NpyArray } from "../io/types.ts";
import { imageToParsing, matchingPalettes, type Palette, PALETTES } from "./palette.ts";
import { parseLandmarks } from "./landmarks.ts";
import { type ImageSize, readImageSize } from "./image_size.ts";
import { errorMessage } from "./problems.ts";
import { AUDIO_WINDOW } from "./load_options.ts";
import { type DatasetScan, type FrameRef, listDir, mapLimit, sameSize, sizeText } from "./dataset_scan.ts";

const PALETTE_SCAN_LIMIT = 10;

/** The first pixel whose colour is in no palette, for a message; undefined when all colours are known. */
function unknownColour(img: Image): string | undefined {
  const known = new Set<number>();
  for (const p of Object.values(PALETTES)) for (const [b, g, r] of p.bgr) known.add((r << 16) | (g << 8) | b);
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    const r = img.data[c * i], g = img.data[c * i + 1], b = img.data[c * i + 2];
    if (!known.has((r << 16) | (g << 8) | b)) {
      return `pixel (${i % img.width}, ${Math.floor(i / img.width)}) has colour RGB(${r}, ${g}, ${b})`;
    }
  }
  return undefined;
}

/** parsing/<id>.png: one per frame, one palette (detected or forced), the frames' size. */
export async function checkParsing(s: DatasetScan): Promise<void> {
  const names = s.rootNames.has("parsing") ? await listDir(join(s.root, "parsing")) : undefined;
  if (!names) {
    if (s.options.requireParsing) {
      s.problems.push("parsing/: missing folder of parsing maps <img_id>.png (requireParsing is set)");
    }
    return;
  }
  for (const { meta: { imgId }, ref } of s.unique) {
    if (names.has(`${imgId}.png`)) s.parsingFile.set(imgId, `parsing/${imgId}.png`);
    else s.problems.push(`parsing/${imgId}.png: missing parsing map for img_id ${imgId} (${ref})`);
  }
  const maps = [...s.parsingFile.values()];
  const decoded = new Map<string, Image>();
  const decode = async (file: string): Promise<Image> => {
    const cached = decoded.get(file);
    if (cached) return cached;
    try {
      const img = await readImage(join(s.root, file));
      decoded.set(file, img);
      return img;
    } catch (e) {
      throw new Error(`${file}: cannot decode: ${errorMessage(e)}`);
    }
  };
  const requested = s.options.palette ?? "auto";
  if (requested !== "auto") s.palette = PALETTES[requested];
  else {
    let candidates: Palette[] = [];
    for (const file of maps.slice(0, s.full ? maps.length : PALETTE_SCAN_LIMIT)) {
      let img: Image;
      try {
        img = await decode(file);
      } catch (e) {
        s.problems.push(errorMessage(e));
        break;
      }
      candidates = matchingPalettes(img);
      if (candidates.length === 0) {
        const why = unknownColour(img) ?? "it mixes colours of the adnerf4 and sspnerf11 palettes";
        const known = Object.keys(PALETTES).join(", ");
        s.problems.push(
          `${file}: colours fit no known parsing palette (${known}): ${why}; pass options.palette`,
        );
      }
      if (candidates.length !== 2) break;
    }
    // Maps holding only colours both palettes share leave two candidates: the 4-class reading wins.
    s.palette = candidates[0];
  }
  const { palette, size } = s;
  if (!palette || !size) return;
  // Every map's size from its header, and the first map's colours (every map's in full mode).
  let done = 0;
  const checked = await mapLimit(maps, async (file, i): Promise<ImageSize | string> => {
    try {
      if (s.full || i === 0) {
        const img = await decode(file);
        decoded.delete(file);
        if (s.full) s.options.onProgress?.("parsing maps", ++done, maps.length);
        imageToParsing(img, palette, file);
        return img;
      }
      return (await readImageSize(join(s.root, file))) ?? `${file}: not a PNG file (no readable header)`;
    } catch (e) {
      return errorMessage(e);
    }
  });
  checked.forEach((m, i) => {
    if (typeof m === "string") s.problems.push(m);
    else if (!sameSize(m, size)) {
      s.problems.push(`${maps[i]}: size ${sizeText(m)} differs from the frames' ${sizeText(size)}`);
    }
  });
}

/** <id>.lms beside the frames (AD-NeRF keeps them in ori_imgs/) or in lms/: one per frame, 68 points. */
export async function checkLandmarks(s: DatasetScan): Promise<void> {
  const besideFrames = s.imageNames && [...s.imageNames].some((n) => n.endsWith(".lms"));
  const listing = besideFrames
    ? s.imageNames
    : s.rootNames.has("lms")
    ? await listDir(join(s.root, "lms"))
    : undefined;
  const dir = besideFrames ? s.imageDir : "lms";
  if (!listing) {
    if (s.options.requireLandmarks) {
      s.problems.push(
        `lms/: missing landmarks: expected <img_id>.lms files in ${s.imageDir ?? "ori_imgs"}/ or lms/`,
      );
    }
    return;
  }
  const wanted = s.unique.filter(({ meta: { imgId }, ref }) => {
    if (listing.has(`${imgId}.lms`)) return true;
    s.problems.push(`${dir}/${imgId}.lms: missing landmarks for img_id ${imgId} (${ref})`);
    return false;
  });
  const parsed = await mapLimit(wanted, async ({ meta: { imgId } }) => {
    const file = `${dir}/${imgId}.lms`;
    let text: string;
    try {
      text = await Deno.readTextFile(join(s.root, file));
    } catch (e) {
      return `${file}: cannot read: ${errorMessage(e)}`;
    }
    try {
      return parseLandmarks(text, file);
    } catch (e) {
      return errorMessage(e);
    }
  });
  parsed.forEach((v, i) => {
    if (typeof v === "string") s.problems.push(v);
    else s.landmarks.set(wanted[i].meta.imgId, v);
  });
}

function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float32Array.from(arr.data, Number);
  return Float32Array.from(arr.data);
}

/** aud.npy (or options.audioFile): [N, 16, D] for any D, a row for every aud_id. */
export async function checkAudio(s: DatasetScan): Promise<void> {
  const name = s.options.audioFile ?? "aud.npy";
  if (!s.rootNames.has(name)) {
    if (s.options.audioFile !== undefined || s.options.requireAudio) {
      const others = [...s.rootNames].filter((n) => /^aud.*\.npy$/.test(n)).sort();
      const hint = others.length > 0 ? `; found ${others.join(", ")}: pass it as options.audioFile` : "";
      s.problems.push(
        `${name}: missing audio features: expected an .npy of shape [N, ${AUDIO_WINDOW}, D]${hint}`,
      );
    }
    return;
  }
  let arr: NpyArray;
  try {
    arr = await readNpy(join(s.root, name));
  } catch (e) {
    s.problems.push(`${name}: cannot read: ${errorMessage(e)}`);
    return;
  }
  const shape = arr.shape;
  if (shape.length !== 3 || shape[1] !== AUDIO_WINDOW || shape[2] < 1) {
    const why = shape.length !== 3
      ? `rank ${shape.length}`
      : shape[1] !== AUDIO_WINDOW
      ? `window (axis 1) ${shape[1]}, expected ${AUDIO_WINDOW}`
      : "no features (D = 0)";
    s.problems.push(
      `${name}: audio features must be [N, ${AUDIO_WINDOW}, D]: got [${shape.join(", ")}] (${why})`,
    );
    return;
  }
  let last: FrameRef | undefined;
  for (const r of s.refs) if (!last || r.meta.audId > last.meta.audId) last = r;
  if (last && shape[0] < last.meta.audId + 1) {
    const { audId } = last.meta;
    s.problems.push(
      `${name}: audio shorter than the frames: ${shape[0]} rows, but ${last.ref} has aud_id ${audId} ` +
        `(needs at least ${audId + 1} rows)`,
    );
  }
  s.audio = { data: npyToFloat32(arr), shape: [shape[0], shape[1], shape[2]] };
}
