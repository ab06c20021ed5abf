/**
 * The record that dataset validation fills step by step (check.ts, check_annotations.ts), and the folder
 * helpers the steps share.
 * @module
 */
import type { Image } from "../io/types.ts";
import type { FrameMeta } from "./types.ts";
import type { Palette } from "./palette.ts";
import type { Transforms } from "./transforms.ts";
import type { ImageSize } from "./image_size.ts";
import type { LoadDatasetOptions } from "./load_options.ts";

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

/** Files read at once. */
const IO_CONCURRENCY = 16;

/** Runs `fn` over `items` with at most 16 calls in flight; results in item order. */
export async function mapLimit<T, R>(items: readonly T[], fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
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

/** The names in a folder; undefined when it does not exist or is not a folder. */
export async function listDir(path: string): Promise<Set<string> | undefined> {
  try {
    const names = new Set<string>();
    for await (const e of Deno.readDir(path)) names.add(e.name);
    return names;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return undefined;
    throw e;
  }
}

/** Whether `path` is a folder (false when it cannot be read). */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** `WxH`. */
export const sizeText = (s: ImageSize): string => `${s.width}x${s.height}`;

/** Whether two sizes are equal. */
export const sameSize = (a: ImageSize, b: ImageSize) => a.width === b.width && a.height === b.height;
