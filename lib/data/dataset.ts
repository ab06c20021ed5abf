/**
 * Loading a talking-portrait dataset folder in the AD-NeRF / SSP-NeRF layout, with validation that
 * reports every problem it finds at once, and lazy, LRU-cached access to frames and parsing maps.
 * @module
 */
import { join } from "node:path";
import { imageToFloat, readImage, readNpy, toRgb } from "../io/mod.ts";
import type { Image, NpyArray } from "../io/types.ts";
import type { FrameMeta, Intrinsics, PaletteName } from "./types.ts";
import { imageToParsing, matchingPalettes, type Palette, PALETTES } from "./palette.ts";
import { collectTransforms, type Transforms } from "./transforms.ts";
import { parseJsonText } from "./json_text.ts";
import { parseLandmarks } from "./landmarks.ts";
import { type ImageSize, readImageSize } from "./image_size.ts";
import { type CacheStats, LruCache } from "./lru.ts";
import { DatasetError, errorMessage } from "./problems.ts";

/** Folders searched for frame images, in order, when `imageDir` is not given. */
export const FRAME_FOLDERS: readonly string[] = ["ori_imgs", "gt_imgs", "imgs", "com_imgs"];

/** Default byte budget of the frame cache: 512 MiB. */
export const DEFAULT_MAX_CACHE_BYTES = 512 * 1024 * 1024;

/** Audio feature windows must hold this many steps (AD-NeRF: 16 DeepSpeech steps per video frame). */
export const AUDIO_WINDOW = 16;

/** Options of {@linkcode loadDataset} and {@linkcode validateDataset}. */
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
   * exists; check every frame's and map's size from its header; decode the background, the first frame
   * and the first parsing map(s). `"full"`: also decode every frame and parsing map (every map's
   * colours checked against the palette).
   * @default "files" for loadDataset, "full" for validateDataset
   */
  readonly check?: "files" | "full";
}

/** A loaded dataset. Values returned by the accessors are shared with the cache: do not modify them. */
export interface Dataset {
  /** The dataset folder. */
  readonly root: string;
  /** Camera intrinsics; width and height are those of the frames. */
  readonly intrinsics: Intrinsics;
  /** Frames of `transforms_train.json`, in file order. */
  readonly train: readonly FrameMeta[];
  /** Frames of `transforms_val.json`, in file order. */
  readonly val: readonly FrameMeta[];
  /** Palette of the parsing maps, when there are maps. */
  readonly palette?: Palette;
  /** Number of parsing classes; 0 when there are no parsing maps. */
  readonly numClasses: number;
  /** Audio features, shape [N, 16, D] (D from the data), row `audId` per frame. */
  readonly audio?: { readonly data: Float32Array; readonly shape: [number, number, number] };
  /** The static background (`bc.jpg` or `bc.png`), RGB. */
  readonly background: Image;
  /** Identity parameters (`id_para`), when given. */
  readonly idParams?: Float32Array;
  /** Absolute path of `aud.wav`, when present. */
  readonly wavPath?: string;
  /** The frame folder used, relative to `root` (e.g. `"ori_imgs"`). */
  readonly imageDir: string;
  /** What the dataset holds besides frames, poses and background. */
  readonly has: { readonly parsing: boolean; readonly landmarks: boolean; readonly audio: boolean };
  /** Path of a frame's image file. */
  imagePath(imgId: number): string;
  /** A frame, RGB, [H, W, 3] bytes (cached). */
  image(imgId: number): Promise<Image>;
  /** A frame, RGB in [0, 1], HWC, length H*W*3 (cached). */
  imageFloat(imgId: number): Promise<Float32Array>;
  /** A parsing map: class id per pixel, row-major, length H*W (cached). */
  parsing(imgId: number): Promise<Uint8Array>;
  /** 68 landmarks `[x0, y0, x1, y1, ...]` in pixels, length 136. */
  landmarks(imgId: number): Promise<Float32Array>;
  /** Cache counters: bytes held, entries, hits, misses, evictions. */
  cacheStats(): CacheStats;
}

const IO_CONCURRENCY = 16;
const PALETTE_SCAN_LIMIT = 10;

/** Runs `fn` over `items` with at most `limit` calls in flight; results in item order. */
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

const sizeText = (s: { width: number; height: number }) => `${s.width}x${s.height}`;

/** One frame of either split with the place it came from, for messages. */
interface FrameRef {
  readonly meta: FrameMeta;
  /** e.g. `transforms_train.json frames[3]`. */
  readonly ref: string;
}

interface Inspection {
  readonly problems: string[];
  readonly dataset?: Dataset;
}

function checkOptions(options: LoadDatasetOptions, caller: string): void {
  const p = options.palette ?? "auto";
  if (p !== "auto" && !(p in PALETTES)) {
    throw new Error(
      `${caller}: options.palette must be "auto", ${
        Object.keys(PALETTES).map((k) => `"${k}"`).join(" or ")
      }: got ${JSON.stringify(p)}`,
    );
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

function npyToFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  if (arr.data instanceof BigInt64Array) return Float32Array.from(arr.data, Number);
  return Float32Array.from(arr.data);
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

async function inspect(root: string, options: LoadDatasetOptions, full: boolean): Promise<Inspection> {
  const problems: string[] = [];
  const rootNames = await listDir(root);
  if (!rootNames) {
    return { problems: [`${root}: not a folder: expected a dataset folder holding transforms_train.json`] };
  }

  // Camera files.
  const splits: Partial<Record<"train" | "val", Transforms>> = {};
  const refs: FrameRef[] = [];
  for (const split of ["train", "val"] as const) {
    const name = `transforms_${split}.json`;
    if (!rootNames.has(name)) {
      problems.push(`${name}: missing file: expected the ${split} camera poses (AD-NeRF layout)`);
      continue;
    }
    let json: unknown;
    try {
      json = parseJsonText(await Deno.readTextFile(join(root, name)), name);
    } catch (e) {
      problems.push(errorMessage(e));
      continue;
    }
    const index: number[] = [];
    const t = collectTransforms(json, name, problems, index);
    if (!t) continue;
    splits[split] = t;
    t.frames.forEach((meta, i) => refs.push({ meta, ref: `${name} frames[${index[i]}]` }));
  }
  const { train, val } = splits;
  if (train && train.frames.length === 0) {
    problems.push("transforms_train.json: frames is empty: expected at least one training frame");
  }
  if (train && val) {
    if (val.focal !== train.focal) {
      problems.push(
        `transforms_val.json: focal ${val.focal} differs from transforms_train.json's ${train.focal}`,
      );
    }
    for (const k of ["cx", "cy"] as const) {
      if (train[k] !== undefined && val[k] !== undefined && train[k] !== val[k]) {
        problems.push(`transforms_val.json: ${k} ${val[k]} differs from transforms_train.json's ${train[k]}`);
      }
    }
  }
  const byId = new Map<number, FrameRef>();
  for (const r of refs) if (!byId.has(r.meta.imgId)) byId.set(r.meta.imgId, r);
  const unique = [...byId.values()];

  // Frame images: existence from the folder listing, sizes from headers (or decoding in full mode).
  let imageDir = options.imageDir;
  if (imageDir === undefined) {
    for (const d of FRAME_FOLDERS) {
      if (rootNames.has(d) && await isDirectory(join(root, d))) {
        imageDir = d;
        break;
      }
    }
  }
  const imageNames = imageDir === undefined ? undefined : await listDir(join(root, imageDir));
  if (imageDir === undefined) {
    problems.push(
      `${FRAME_FOLDERS[0]}/: missing frame folder: expected one of ${
        FRAME_FOLDERS.map((d) => `${d}/`).join(", ")
      } holding <img_id>.jpg or <img_id>.png`,
    );
  } else if (!imageNames) {
    problems.push(
      `${imageDir}/: missing frame folder (options.imageDir): expected <img_id>.jpg or .png files`,
    );
  }
  const imageFile = new Map<number, string>();
  if (imageDir !== undefined && imageNames) {
    for (const { meta: { imgId }, ref } of unique) {
      const found = [".jpg", ".png"].map((ext) => `${imgId}${ext}`).find((n) => imageNames.has(n));
      if (found) imageFile.set(imgId, `${imageDir}/${found}`);
      else {
        problems.push(
          `${imageDir}/${imgId}.jpg: missing frame image for img_id ${imgId} (${ref}): expected ${imageDir}/${imgId}.jpg or .png`,
        );
      }
    }
  }

  let frameSize: { width: number; height: number } | undefined;
  let sizeSource = "";
  const withImages = unique.filter((r) => imageFile.has(r.meta.imgId));
  if (withImages.length > 0) {
    const first = imageFile.get(withImages[0].meta.imgId)!;
    try {
      const img = await readImage(join(root, first));
      frameSize = { width: img.width, height: img.height };
      sizeSource = first;
    } catch (e) {
      problems.push(`${first}: cannot decode the first frame: ${errorMessage(e)}`);
    }
  }
  if (frameSize) {
    const rest = withImages.slice(1).map((r) => imageFile.get(r.meta.imgId)!);
    const found = await mapLimit(rest, async (file) => {
      try {
        if (full) {
          const img = await readImage(join(root, file));
          return { width: img.width, height: img.height };
        }
        return (await readImageSize(join(root, file))) ?? "not a PNG or JPEG file (no readable header)";
      } catch (e) {
        return `cannot ${full ? "decode" : "read"}: ${errorMessage(e)}`;
      }
    });
    found.forEach((s, i) => {
      if (typeof s === "string") problems.push(`${rest[i]}: ${s}`);
      else if (s.width !== frameSize!.width || s.height !== frameSize!.height) {
        problems.push(
          `${rest[i]}: size ${sizeText(s)} differs from the first frame ${sizeSource} (${
            sizeText(frameSize!)
          }): all frames must have one size`,
        );
      }
    });
  }

  // Background.
  let background: Image | undefined;
  const bcName = ["bc.jpg", "bc.png"].find((n) => rootNames.has(n));
  if (!bcName) problems.push("bc.jpg: missing background image: expected bc.jpg or bc.png");
  else {
    try {
      const bg: Image = toRgb(await readImage(join(root, bcName)));
      background = bg;
      if (frameSize && (bg.width !== frameSize.width || bg.height !== frameSize.height)) {
        problems.push(
          `${bcName}: size ${sizeText(bg)} differs from the frames' ${sizeText(frameSize)} (${sizeSource})`,
        );
      }
    } catch (e) {
      problems.push(`${bcName}: cannot decode the background: ${errorMessage(e)}`);
    }
  }
  const size = frameSize ?? (background && { width: background.width, height: background.height });

  // Face rectangles inside the image.
  if (size) {
    for (const { meta, ref } of refs) {
      const r = meta.faceRect;
      if (!r) continue;
      const [x, y, w, h] = r;
      if (x < 0 || y < 0 || x + w > size.width || y + h > size.height) {
        const [file, at] = ref.split(" ");
        problems.push(
          `${file}: ${at}.face_rect [x, y, w, h] = [${r.join(", ")}] must lie inside the ${
            sizeText(size)
          } image`,
        );
      }
    }
  }

  // Parsing maps.
  let palette: Palette | undefined;
  const parsingFile = new Map<number, string>();
  const parsingNames = rootNames.has("parsing") ? await listDir(join(root, "parsing")) : undefined;
  if (!parsingNames && options.requireParsing) {
    problems.push("parsing/: missing folder of parsing maps <img_id>.png (requireParsing is set)");
  }
  if (parsingNames) {
    for (const { meta: { imgId }, ref } of unique) {
      if (parsingNames.has(`${imgId}.png`)) parsingFile.set(imgId, `parsing/${imgId}.png`);
      else problems.push(`parsing/${imgId}.png: missing parsing map for img_id ${imgId} (${ref})`);
    }
    const maps = unique.map((r) => parsingFile.get(r.meta.imgId)).filter((f) => f !== undefined);
    const decoded = new Map<string, Image>();
    const decode = async (file: string): Promise<Image> => {
      const cached = decoded.get(file);
      if (cached) return cached;
      try {
        const img = await readImage(join(root, file));
        decoded.set(file, img);
        return img;
      } catch (e) {
        throw new Error(`${file}: cannot decode: ${errorMessage(e)}`);
      }
    };
    const requested = options.palette ?? "auto";
    if (requested !== "auto") palette = PALETTES[requested];
    else {
      let candidates: Palette[] = [];
      for (const file of maps.slice(0, full ? maps.length : PALETTE_SCAN_LIMIT)) {
        let img: Image;
        try {
          img = await decode(file);
        } catch (e) {
          problems.push(errorMessage(e));
          break;
        }
        candidates = matchingPalettes(img);
        if (candidates.length === 0) {
          const why = unknownColour(img) ?? "it mixes colours of the adnerf4 and sspnerf11 palettes";
          const names = Object.keys(PALETTES).join(", ");
          problems.push(
            `${file}: colours fit no known parsing palette (${names}): ${why}; pass options.palette`,
          );
        }
        if (candidates.length !== 2) break;
      }
      // Maps holding only colours both palettes share leave two candidates: the 4-class reading wins.
      palette = candidates[0];
    }
    if (palette && size) {
      const chosen = palette;
      // Every map's size from its header, and the first map's colours (every map's in full mode).
      const checked = await mapLimit(maps, async (file, i): Promise<string | ImageSize> => {
        try {
          if (full || i === 0) {
            const img = await decode(file);
            decoded.delete(file);
            imageToParsing(img, chosen, file);
            return img;
          }
          return (await readImageSize(join(root, file))) ?? `${file}: not a PNG file (no readable header)`;
        } catch (e) {
          return errorMessage(e);
        }
      });
      checked.forEach((s, i) => {
        if (typeof s === "string") problems.push(s);
        else if (s.width !== size.width || s.height !== size.height) {
          problems.push(`${maps[i]}: size ${sizeText(s)} differs from the frames' ${sizeText(size)}`);
        }
      });
    }
  }

  // Landmarks: beside the frames (AD-NeRF keeps them in ori_imgs/) or in lms/.
  const lmsNames = rootNames.has("lms") ? await listDir(join(root, "lms")) : undefined;
  const besideFrames = imageNames && [...imageNames].some((n) => n.endsWith(".lms"));
  const lmsDir = besideFrames ? imageDir : lmsNames ? "lms" : undefined;
  const lmsListing = besideFrames ? imageNames : lmsNames;
  const landmarks = new Map<number, Float32Array>();
  if (!lmsDir && options.requireLandmarks) {
    problems.push(
      `lms/: missing landmarks: expected <img_id>.lms files in ${imageDir ?? "ori_imgs"}/ or lms/`,
    );
  }
  if (lmsDir && lmsListing) {
    const wanted = unique.filter(({ meta: { imgId }, ref }) => {
      if (lmsListing.has(`${imgId}.lms`)) return true;
      problems.push(`${lmsDir}/${imgId}.lms: missing landmarks for img_id ${imgId} (${ref})`);
      return false;
    });
    const parsed = await mapLimit(wanted, async ({ meta: { imgId } }) => {
      const file = `${lmsDir}/${imgId}.lms`;
      let text: string;
      try {
        text = await Deno.readTextFile(join(root, file));
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
      if (typeof v === "string") problems.push(v);
      else landmarks.set(wanted[i].meta.imgId, v);
    });
  }

  // Audio features.
  let audio: Dataset["audio"];
  const audName = options.audioFile ?? "aud.npy";
  if (rootNames.has(audName)) {
    try {
      const arr = await readNpy(join(root, audName));
      const s = arr.shape;
      if (s.length !== 3 || s[1] !== AUDIO_WINDOW || s[2] < 1) {
        const why = s.length !== 3
          ? `rank ${s.length}`
          : s[1] !== AUDIO_WINDOW
          ? `window (axis 1) ${s[1]}, expected ${AUDIO_WINDOW}`
          : "no features (D = 0)";
        problems.push(
          `${audName}: audio features must be [N, ${AUDIO_WINDOW}, D]: got [${s.join(", ")}] (${why})`,
        );
      } else {
        let last: FrameRef | undefined;
        for (const r of refs) if (!last || r.meta.audId > last.meta.audId) last = r;
        if (last && s[0] < last.meta.audId + 1) {
          problems.push(
            `${audName}: audio shorter than the frames: ${
              s[0]
            } rows, but ${last.ref} has aud_id ${last.meta.audId} ` +
              `(needs at least ${last.meta.audId + 1} rows)`,
          );
        }
        audio = { data: npyToFloat32(arr), shape: [s[0], s[1], s[2]] };
      }
    } catch (e) {
      problems.push(`${audName}: cannot read: ${errorMessage(e)}`);
    }
  } else if (options.audioFile !== undefined || options.requireAudio) {
    const others = [...rootNames].filter((n) => /^aud.*\.npy$/.test(n)).sort();
    const hint = others.length > 0 ? `; found ${others.join(", ")}: pass it as options.audioFile` : "";
    problems.push(
      `${audName}: missing audio features: expected an .npy of shape [N, ${AUDIO_WINDOW}, D]${hint}`,
    );
  }

  if (problems.length > 0 || !train || !val || !size || !background || imageDir === undefined) {
    return { problems };
  }
  const intrinsics: Intrinsics = {
    focal: train.focal,
    cx: train.cx ?? val.cx ?? size.width / 2,
    cy: train.cy ?? val.cy ?? size.height / 2,
    width: size.width,
    height: size.height,
  };
  const dataset = makeDataset({
    root,
    intrinsics,
    train: train.frames,
    val: val.frames,
    palette,
    audio,
    background,
    idParams: train.idParams ?? val.idParams,
    wavPath: rootNames.has("aud.wav") ? join(root, "aud.wav") : undefined,
    imageDir,
    imageFile,
    parsingFile,
    landmarks,
    maxCacheBytes: options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES,
  });
  return { problems, dataset };
}

interface Parts {
  root: string;
  intrinsics: Intrinsics;
  train: readonly FrameMeta[];
  val: readonly FrameMeta[];
  palette?: Palette;
  audio?: Dataset["audio"];
  background: Image;
  idParams?: Float32Array;
  wavPath?: string;
  imageDir: string;
  imageFile: Map<number, string>;
  parsingFile: Map<number, string>;
  landmarks: Map<number, Float32Array>;
  maxCacheBytes: number;
}

function makeDataset(p: Parts): Dataset {
  const { root, intrinsics: { width, height } } = p;
  const cache = new LruCache<Image | Float32Array | Uint8Array>(
    p.maxCacheBytes,
    (v) => "data" in v ? v.data.byteLength : v.byteLength,
  );
  const fail = (problem: string): never => {
    throw new DatasetError(root, [problem]);
  };
  const fileOf = (imgId: number): string =>
    p.imageFile.get(imgId) ??
      fail(`img_id ${imgId}: not a frame of transforms_train.json or transforms_val.json`);
  const checkSize = (img: Image, file: string) => {
    if (img.width !== width || img.height !== height) {
      fail(`${file}: size ${sizeText(img)} differs from the dataset's ${width}x${height}`);
    }
  };
  const decode = async (file: string): Promise<Image> => {
    try {
      return await readImage(join(root, file));
    } catch (e) {
      return fail(`${file}: cannot decode: ${errorMessage(e)}`);
    }
  };
  const image = (imgId: number): Promise<Image> => {
    const file = fileOf(imgId);
    return cache.get(`image:${imgId}`, async () => {
      const img = toRgb(await decode(file));
      checkSize(img, file);
      return img;
    }) as Promise<Image>;
  };
  return {
    root,
    intrinsics: p.intrinsics,
    train: p.train,
    val: p.val,
    ...(p.palette && { palette: p.palette }),
    numClasses: p.palette && p.parsingFile.size > 0 ? p.palette.classNames.length : 0,
    ...(p.audio && { audio: p.audio }),
    background: p.background,
    ...(p.idParams && { idParams: p.idParams }),
    ...(p.wavPath && { wavPath: p.wavPath }),
    imageDir: p.imageDir,
    has: { parsing: p.parsingFile.size > 0, landmarks: p.landmarks.size > 0, audio: p.audio !== undefined },
    imagePath: (imgId) => join(root, fileOf(imgId)),
    image,
    imageFloat: (imgId) => {
      fileOf(imgId);
      return cache.get(`float:${imgId}`, async () => imageToFloat(await image(imgId))) as Promise<
        Float32Array
      >;
    },
    parsing: (imgId) => {
      fileOf(imgId);
      const file = p.parsingFile.get(imgId) ?? fail(`parsing/${imgId}.png: the dataset has no parsing maps`);
      return cache.get(`parsing:${imgId}`, async () => {
        const img = await decode(file);
        checkSize(img, file);
        try {
          return imageToParsing(img, p.palette!, file);
        } catch (e) {
          return fail(errorMessage(e));
        }
      }) as Promise<Uint8Array>;
    },
    landmarks: (imgId) => {
      fileOf(imgId);
      const lms = p.landmarks.get(imgId) ?? fail(`${imgId}.lms: the dataset has no landmarks`);
      return Promise.resolve(lms);
    },
    cacheStats: () => cache.stats(),
  };
}

/**
 * Loads a dataset folder in the AD-NeRF / SSP-NeRF layout:
 * `transforms_{train,val}.json`, frames `ori_imgs/` (or `gt_imgs/`, `imgs/`, `com_imgs/`)
 * `<img_id>.jpg|png`, background `bc.jpg|png`, optional `parsing/<img_id>.png` (4- or 11-class palette),
 * `<img_id>.lms` beside the frames or in `lms/`, audio features `aud.npy` [N, 16, D] for any D, `aud.wav`.
 *
 * Validation runs first and collects every problem it can find cheaply (see `check`) into one
 * {@linkcode DatasetError}. Frames and parsing maps are then decoded lazily and kept in an LRU cache
 * bounded by `maxCacheBytes`; landmarks and audio are read at load (small).
 * @param root The dataset folder.
 * @param options See {@linkcode LoadDatasetOptions}.
 * @returns The dataset.
 * @throws DatasetError listing every problem, each naming the file, the field and what was expected.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { loadDataset } from "./dataset.ts";
 * import { writeTinyDataset } from "./tiny_dataset.ts";
 * const dir = await Deno.makeTempDir();
 * await writeTinyDataset(dir, { frames: 3, width: 8, height: 8 });
 * const data = await loadDataset(dir, { requireParsing: true });
 * assertEquals(data.numClasses, 11);
 * assertEquals((await data.imageFloat(data.train[0].imgId)).length, 8 * 8 * 3); // RGB in [0, 1]
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadDataset(root: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  checkOptions(options, "loadDataset");
  const { problems, dataset } = await inspect(root, options, (options.check ?? "files") === "full");
  if (problems.length > 0 || !dataset) throw new DatasetError(root, problems);
  return dataset;
}

/**
 * Validates a dataset folder without keeping it: the checks of {@linkcode loadDataset}, by default
 * `check: "full"` (every frame and parsing map decoded).
 * @param root The dataset folder.
 * @param options See {@linkcode LoadDatasetOptions}.
 * @returns Every problem found, one line each (empty when the dataset is valid).
 */
export async function validateDataset(root: string, options: LoadDatasetOptions = {}): Promise<string[]> {
  checkOptions(options, "validateDataset");
  return (await inspect(root, options, (options.check ?? "full") === "full")).problems;
}
