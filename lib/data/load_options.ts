/**
 * Options of `loadDataset` and `validateDataset`, their defaults, and the check of the options made
 * before any file is read.
 * @module
 */
import type { PaletteName } from "./types.ts";
import { PALETTES } from "./palette.ts";

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
