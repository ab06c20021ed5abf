/**
 * Loading a talking-portrait dataset folder in the AD-NeRF / SSP-NeRF layout, with validation that
 * reports every problem it finds at once, and lazy, LRU-cached access to frames and parsing maps.
 * @module
 */
import { join } from "node:path";
import { imageToFloat, readImage, toRgb } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import type { FrameMeta, Intrinsics } from "./types.ts";
import { imageToParsing, type Palette } from "./palette.ts";
import { type CacheStats, LruCache } from "./lru.ts";
import { DatasetError, errorMessage } from "./problems.ts";
import { type EyeSource, parseAu45, resolveEyeSignal } from "./eye.ts";
import { checkOptions, DEFAULT_MAX_CACHE_BYTES, type LoadDatasetOptions } from "./load_options.ts";
import { type DatasetScan, sizeText } from "./dataset_scan.ts";
import { scanDataset } from "./check.ts";

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
  /** Where every frame's `eye` (eye openness, see `FrameMeta.eye`) came from; undefined when no frame
   * has one (no `eye` fields, no `au.csv`, no usable landmarks). */
  readonly eyeSource?: EyeSource;
  /** Why the landmarks gave no eye signal, when they did not (e.g. an eye's corners coincide). */
  readonly eyeNote?: string;
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

/** The parts a dataset is built from, once validation found no problem. */
interface Parts {
  readonly root: string;
  readonly intrinsics: Intrinsics;
  readonly train: readonly FrameMeta[];
  readonly val: readonly FrameMeta[];
  readonly palette?: Palette;
  readonly audio?: Dataset["audio"];
  readonly background: Image;
  readonly idParams?: Float32Array;
  readonly wavPath?: string;
  readonly imageDir: string;
  readonly imageFile: ReadonlyMap<number, string>;
  readonly parsingFile: ReadonlyMap<number, string>;
  readonly landmarks: ReadonlyMap<number, Float32Array>;
  readonly maxCacheBytes: number;
  readonly eyeSource?: EyeSource;
  readonly eyeNote?: string;
}

/** The parts of a scan without problems; undefined when something needed is missing. */
function partsOf(s: DatasetScan): Parts | undefined {
  const { train, val, size, background, imageDir } = s;
  if (s.problems.length > 0 || !train || !val || !size || !background || imageDir === undefined) {
    return undefined;
  }
  return {
    root: s.root,
    intrinsics: {
      focal: train.focal,
      cx: train.cx ?? val.cx ?? size.width / 2,
      cy: train.cy ?? val.cy ?? size.height / 2,
      width: size.width,
      height: size.height,
    },
    train: train.frames,
    val: val.frames,
    palette: s.palette,
    audio: s.audio,
    background,
    idParams: train.idParams ?? val.idParams,
    wavPath: s.rootNames.has("aud.wav") ? join(s.root, "aud.wav") : undefined,
    imageDir,
    imageFile: s.imageFile,
    parsingFile: s.parsingFile,
    landmarks: s.landmarks,
    maxCacheBytes: s.options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES,
  };
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
    ...(p.eyeSource && { eyeSource: p.eyeSource }),
    ...(p.eyeNote && { eyeNote: p.eyeNote }),
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
 * `<img_id>.lms` beside the frames or in `lms/`, audio features `aud.npy` [N, 16, D] for any D, `aud.wav`,
 * OpenFace's `au.csv`.
 *
 * Every frame's `eye` (eye openness in [0, 1], 1 open) comes from the first source that has it: the
 * transforms' own `eye` fields (on every frame or none); else `au.csv`'s ` AU45_r` column (data row k =
 * img_id k; openness = 1 - min(AU45, 2) / 2, AU45 being OpenFace's blink intensity, 0..5, high = shut);
 * else the landmarks' eye aspect ratio over all frames, divided by its 90th percentile and clamped to
 * [0, 1]. `eyeSource` says which; a bad `au.csv` is an error naming the file, line and column.
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
  const scan = await scanDataset(root, options, (options.check ?? "files") === "full");
  const parts = partsOf(scan);
  if (!parts) throw new DatasetError(root, scan.problems);
  const eye = await eyeOf(scan, parts);
  if (typeof eye === "string") throw new DatasetError(root, [eye]);
  return makeDataset({
    ...parts,
    train: eye.train,
    val: eye.val,
    ...(eye.source && { eyeSource: eye.source }),
    ...(eye.note && { eyeNote: eye.note }),
  });
}

/** The eye signal of a scanned dataset (`resolveEyeSignal`), or the problem that stops it. */
async function eyeOf(
  s: DatasetScan,
  p: Pick<Parts, "train" | "val" | "landmarks">,
): Promise<ReturnType<typeof resolveEyeSignal> | string> {
  try {
    const hasOwn = [...p.train, ...p.val].some((f) => f.eye !== undefined);
    let au45: { values: Float32Array; file: string } | undefined;
    if (!hasOwn && s.rootNames.has("au.csv")) {
      let text: string;
      try {
        text = await Deno.readTextFile(join(s.root, "au.csv"));
      } catch (e) {
        return `au.csv: cannot read: ${errorMessage(e)}`;
      }
      au45 = { values: parseAu45(text, "au.csv"), file: "au.csv" };
    }
    const besideFrames = s.imageNames && [...s.imageNames].some((n) => n.endsWith(".lms"));
    return resolveEyeSignal(p.train, p.val, {
      ...(au45 && { au45 }),
      landmarks: p.landmarks,
      landmarkDir: besideFrames ? s.imageDir : "lms",
    });
  } catch (e) {
    return errorMessage(e);
  }
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
  const scan = await scanDataset(root, options, (options.check ?? "full") === "full");
  const parts = partsOf(scan);
  if (!parts) return scan.problems;
  const eye = await eyeOf(scan, parts);
  return typeof eye === "string" ? [eye] : [];
}
