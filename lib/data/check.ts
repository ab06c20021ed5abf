/**
 * Validation of a dataset folder in the AD-NeRF / SSP-NeRF layout: one step per part of the layout,
 * each adding every problem it finds to one list, so that a user sees all of them at once.
 * @module
 */
import { join } from "node:path";
import { readImage, readNpy, toRgb } from "../io/mod.ts";
import type { Image, NpyArray } from "../io/types.ts";
import type { FrameMeta, PaletteName } from "./types.ts";
import { imageToParsing, matchingPalettes, type Palette, PALETTES } from "./palette.ts";
import { collectTransforms, type Transforms } from "./transforms.ts";
import { parseJsonText } from "./json_text.ts";
import { parseLandmarks } from "./landmarks.ts";
import { type ImageSize, readImageSize } from "./image_size.ts";
import { errorMessage } from "./problems.ts";

/** Folders searched for frame images, in order, when `imageDir` is not given. */
export const FRAME_FOLDERS: readonly string[] = ["ori_imgs", "gt_imgs", "imgs", "com_imgs"];

/** Audio feature windows must hold this many steps (AD-NeRF: 16 DeepSpeech steps per video frame). */
export const AUDIO_WINDOW = 16;

/** Default byte budget of the frame cache: 512 MiB. */
export const DEFAULT_MAX_CACHE_BYTES = 512 * 1024 * 1024;

/** Options of `loadDataset` and `validateDataset`. */
export interface LoadDatasetOptions {
  /**
   * Palette of `parsing/<id>.png`: detected from the first map whose colours fit one palette only
   * (maps holding only colours both palettes share are skipped, up to 10 of them, then 4-class is
   * assumed), or forced. Every map must then use it.
   * @default "auto"
   */
  readonly palette?: PaletteName | "auto";
  /**
   * Byte budget of the cache of decoded frames, float frames and parsing maps (least recently used
   * entries are dropped first; 0 disables caching).
   * @default 536870912 (512 MiB)
   */
  readonly maxCacheBytes?: number;
  /**
   * Audio features file, relative to the dataset folder, e.g. `"aud_ds.npy"` or `"aud_hu.npy"`.
   * Naming one makes it required.
   * @default "aud.npy" (optional)
   */
  readonly audioFile?: string;
  /** Fail when there is no `parsing/` folder. @default false */
  readonly requireParsing?: boolean;
  /** Fail when there are no audio features. @default false */
  readonly requireAudio?: boolean;
  /** Fail when there are no `.lms` landmark files. @default false */
  readonly requireLandmarks?: boolean;
  /**
   * Frame folder relative to the dataset folder; by default the first of {@linkcode FRAME_FOLDERS}
   * that exists.
   */
  readonly imageDir?: string;
  /**
   * How deep validation goes. `"files"`: parse the JSON, landmarks and audio; check that every file
   * exists (from folder listings); check every frame's and map's size from its header; decode the
   * background, the first frame and the first parsing map(s). `"full"`: also decode every frame and
   * parsing map (every map's colours checked against the palette).
   * @default "files" for loadDataset, "full" for validateDataset
   */
  readonly check?: "files" | "full";
  /**
   * Called as frames and parsing maps are decoded in full mode (`check: "full"`), for a progress line:
   * `what` is `"frames"` or `"parsing maps"`, `done` of `total` decoded so far.
   */
  readonly onProgress?: (what: string, done: number, total: number) => void;
}

/** One frame of either split with the place it came from, for messages. */
export interface FrameRef {
  readonly meta: FrameMeta;
  /** e.g. `transforms_train.json frames[3]`. */
  readonly ref: string;
}

/** What validation found: the problems, and the parts a dataset is built from. */
export interface DatasetScan {
  readonly root: string;
  readonly options: LoadDatasetOptions;
  /** Decode everything (`check: "full"`). */
  readonly full: boolean;
  readonly problems: string[];
  /** Names in the dataset folder. */
  rootNames: Set<string>;
  train?: Transforms;
  val?: Transforms;
  /** Frames of both splits in order. */
  refs: FrameRef[];
  /** The first frame of each image id. */
  unique: FrameRef[];
  imageDir?: string;
  imageNames?: Set<string>;
  /** Frame file per image id, relative to the root. */
  imageFile: Map<number, string>;
  /** Size of the frames (of the first frame, else of the background). */
  size?: ImageSize;
  /** The file `size` was read from. */
  sizeSource: string;
  background?: Image;
  palette?: Palette;
  /** Parsing map per image id, relative to the root. */
  parsingFile: Map<number, string>;
  landmarks: Map<number, Float32Array>;
  audio?: { readonly data: Float32Array; readonly shape: [number, number, number] };
}

const IO_CONCURRENCY = 16;
const PALETTE_SCAN_LIMIT = 10;

/** Runs `fn` over `items` with at most 16 calls in flight; results in item order. */
async function mapLimit<T, R>(items: readonly T[], fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IO_CONCURRENCY, items.length) }, worker));
  return out;
}

async function listDir(path: string): Promise<Set<string> | undefined> {
  try {
    const names = new Set<string>();
    for await (const e of Deno.readDir(path)) names.add(e.name);
    return names;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return undefined;
    throw e;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** `WxH`. */
export const sizeText = (s: ImageSize): string => `${s.width}x${s.height}`;

const sameSize = (a: ImageSize, b: ImageSize) => a.width === b.width && a.height === b.height;

/**
 * Throws on options that are a programming error (checked before any file is read).
 * @param caller Names the function in the message.
 */
export function checkOptions(options: LoadDatasetOptions, caller: string): void {
  const p = options.palette ?? "auto";
  if (p !== "auto" && !(p in PALETTES)) {
    const names = Object.keys(PALETTES).map((k) => `"${k}"`).join(" or ");
    throw new Error(`${caller}: options.palette must be "auto", ${names}: got ${JSON.stringify(p)}`);
  }
  const m = options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES;
  if (typeof m !== "number" || !(m >= 0)) {
    throw new Error(`${caller}: options.maxCacheBytes must be a number >= 0: got ${m}`);
  }
  if (options.check !== undefined && options.check !== "files" && options.check !== "full") {
    throw new Error(
      `${caller}: options.check must be "files" or "full": got ${JSON.stringify(options.check)}`,
    );
  }
}

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
async function checkParsing(s: DatasetScan): Promise<void> {
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
async function checkLandmarks(s: DatasetScan): Promise<void> {
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
async function checkAudio(s: DatasetScan): Promise<void> {
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
