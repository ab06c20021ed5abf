/**
 * Validation of a dataset folder in the AD-NeRF / SSP-NeRF layout: one step per part of the layout,
 * each adding every problem it finds to one list, so that a user sees all of them at once. The cameras,
 * frames, background and face boxes are checked here; parsing maps, landmarks and audio in
 * check_annotations.ts.
 * @module
 */
import { join } from "node:path";
import { readImage, toRgb } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { collectTransforms } from "./transforms.ts";
import { parseJsonText } from "./json_text.ts";
import { type ImageSize, readImageSize } from "./image_size.ts";
import { errorMessage } from "./problems.ts";
import { FRAME_FOLDERS, type LoadDatasetOptions } from "./load_options.ts";
import {
  type DatasetScan,
  type FrameRef,
  isDirectory,
  listDir,
  mapLimit,
  sameSize,
  sizeText,
} from "./dataset_scan.ts";
import { checkAudio, checkLandmarks, checkParsing } from "./check_annotations.ts";

/** transforms_{train,val}.json: parsed, validated, and consistent with each other. */
async function checkCameras(s: DatasetScan): Promise<void> {
  for (const split of ["train", "val"] as const) {
    const name = `transforms_${split}.json`;
    if (!s.rootNames.has(name)) {
      s.problems.push(`${name}: missing file: expected the ${split} camera poses (AD-NeRF layout)`);
      continue;
    }
    let json: unknown;
    try {
      json = parseJsonText(await Deno.readTextFile(join(s.root, name)), name);
    } catch (e) {
      s.problems.push(errorMessage(e));
      continue;
    }
    const index: number[] = [];
    const t = collectTransforms(json, name, s.problems, index);
    if (!t) continue;
    s[split] = t;
    t.frames.forEach((meta, i) => s.refs.push({ meta, ref: `${name} frames[${index[i]}]` }));
  }
  const { train, val } = s;
  if (train && train.frames.length === 0) {
    s.problems.push("transforms_train.json: frames is empty: expected at least one training frame");
  }
  if (train && val) {
    if (val.focal !== train.focal) {
      s.problems.push(
        `transforms_val.json: focal ${val.focal} differs from transforms_train.json's ${train.focal}`,
      );
    }
    for (const k of ["cx", "cy"] as const) {
      if (train[k] !== undefined && val[k] !== undefined && train[k] !== val[k]) {
        s.problems.push(
          `transforms_val.json: ${k} ${val[k]} differs from transforms_train.json's ${train[k]}`,
        );
      }
    }
  }
  const byId = new Map<number, FrameRef>();
  for (const r of s.refs) if (!byId.has(r.meta.imgId)) byId.set(r.meta.imgId, r);
  s.unique = [...byId.values()];
}

/** Frame images: existence from the folder listing, sizes from headers (or decoding in full mode). */
async function checkFrames(s: DatasetScan): Promise<void> {
  let dir = s.options.imageDir;
  if (dir === undefined) {
    for (const d of FRAME_FOLDERS) {
      if (s.rootNames.has(d) && await isDirectory(join(s.root, d))) {
        dir = d;
        break;
      }
    }
  }
  if (dir === undefined) {
    const folders = FRAME_FOLDERS.map((d) => `${d}/`).join(", ");
    s.problems.push(
      `${
        FRAME_FOLDERS[0]
      }/: missing frame folder: expected one of ${folders} holding <img_id>.jpg or <img_id>.png`,
    );
    return;
  }
  s.imageDir = dir;
  const names = s.imageNames = await listDir(join(s.root, dir));
  if (!names) {
    s.problems.push(`${dir}/: missing frame folder (options.imageDir): expected <img_id>.jpg or .png files`);
    return;
  }
  for (const { meta: { imgId }, ref } of s.unique) {
    const found = [".jpg", ".png"].map((ext) => `${imgId}${ext}`).find((n) => names.has(n));
    if (found) s.imageFile.set(imgId, `${dir}/${found}`);
    else {
      s.problems.push(
        `${dir}/${imgId}.jpg: missing frame image for img_id ${imgId} (${ref}): expected ${dir}/${imgId}.jpg or .png`,
      );
    }
  }
  const files = [...s.imageFile.values()];
  if (files.length === 0) return;
  try {
    const img = await readImage(join(s.root, files[0]));
    s.size = { width: img.width, height: img.height };
    s.sizeSource = files[0];
  } catch (e) {
    s.problems.push(`${files[0]}: cannot decode the first frame: ${errorMessage(e)}`);
    return;
  }
  const rest = files.slice(1);
  let done = 1;
  if (s.full) s.options.onProgress?.("frames", done, files.length);
  const sizes = await mapLimit(rest, async (file): Promise<ImageSize | string> => {
    try {
      if (s.full) {
        const img = await readImage(join(s.root, file));
        s.options.onProgress?.("frames", ++done, files.length);
        return img;
      }
      return (await readImageSize(join(s.root, file))) ?? "not a PNG or JPEG file (no readable header)";
    } catch (e) {
      return `cannot ${s.full ? "decode" : "read"}: ${errorMessage(e)}`;
    }
  });
  sizes.forEach((size, i) => {
    if (typeof size === "string") s.problems.push(`${rest[i]}: ${size}`);
    else if (!sameSize(size, s.size!)) {
      s.problems.push(
        `${rest[i]}: size ${sizeText(size)} differs from the first frame ${s.sizeSource} (${
          sizeText(s.size!)
        }): all frames must have one size`,
      );
    }
  });
}

/** bc.jpg or bc.png, the size of the frames. */
async function checkBackground(s: DatasetScan): Promise<void> {
  const name = ["bc.jpg", "bc.png"].find((n) => s.rootNames.has(n));
  if (!name) {
    s.problems.push("bc.jpg: missing background image: expected bc.jpg or bc.png");
    return;
  }
  let bg: Image;
  try {
    bg = s.background = toRgb(await readImage(join(s.root, name)));
  } catch (e) {
    s.problems.push(`${name}: cannot decode the background: ${errorMessage(e)}`);
    return;
  }
  if (!s.size) {
    s.size = { width: bg.width, height: bg.height };
    s.sizeSource = name;
  } else if (!sameSize(bg, s.size)) {
    s.problems.push(
      `${name}: size ${sizeText(bg)} differs from the frames' ${sizeText(s.size)} (${s.sizeSource})`,
    );
  }
}

/** face_rect inside the image. */
function checkFaceRects(s: DatasetScan): void {
  if (!s.size) return;
  const { width, height } = s.size;
  for (const { meta, ref } of s.refs) {
    const r = meta.faceRect;
    if (!r) continue;
    const [x, y, w, h] = r;
    if (x < 0 || y < 0 || x + w > width || y + h > height) {
      const [file, at] = ref.split(" ");
      s.problems.push(
        `${file}: ${at}.face_rect [x, y, w, h] = [${
          r.join(", ")
        }] must lie inside the ${width}x${height} image`,
      );
    }
  }
}

/**
 * Runs every check on a dataset folder (see {@linkcode LoadDatasetOptions.check} for how deep).
 * @param root The dataset folder.
 * @param options Loader options (validated by {@linkcode checkOptions} first).
 * @param full Decode every frame and parsing map.
 * @returns The problems found, one line each, and the parts read.
 */
export async function scanDataset(
  root: string,
  options: LoadDatasetOptions,
  full: boolean,
): Promise<DatasetScan> {
  const s: DatasetScan = {
    root,
    options,
    full,
    problems: [],
    rootNames: new Set(),
    refs: [],
    unique: [],
    imageFile: new Map(),
    sizeSource: "",
    parsingFile: new Map(),
    landmarks: new Map(),
  };
  const names = await listDir(root);
  if (!names) {
    s.problems.push(`${root}: not a folder: expected a dataset folder holding transforms_train.json`);
    return s;
  }
  s.rootNames = names;
  await checkCameras(s);
  await checkFrames(s);
  await checkBackground(s);
  checkFaceRects(s);
  await checkParsing(s);
  await checkLandmarks(s);
  await checkAudio(s);
  return s;
}
