/**
 * Writes tiny, fully known datasets in the AD-NeRF / SSP-NeRF layout, for tests of the loader and of
 * anything that consumes a dataset (a few 8x8 frames load in milliseconds).
 * @module
 */
import { join } from "node:path";
import { writeImage, writeNpy, writeWav } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import type { FrameMeta, PaletteName } from "./types.ts";
import { PALETTES, parsingToImage } from "./palette.ts";
import { frameSplit } from "./split.ts";
import { formatTransforms } from "./write_transforms.ts";

/** Options of {@linkcode writeTinyDataset}; each selects one variant of the layout. */
export interface TinyDatasetOptions {
  /** Number of frames, split 10/11 (see `frameSplit`). @default 3 */
  readonly frames?: number;
  /** @default 8 */
  readonly width?: number;
  /** @default 8 */
  readonly height?: number;
  /** Name of the focal field. @default "focal_len" */
  readonly focalKey?: "focal_len" | "focal_length";
  /** `"frame_id"` writes `frame_id` instead of `img_id` and `aud_id`. @default "img_id" */
  readonly idKey?: "img_id" | "frame_id";
  /** Write `cx`, `cy` (at the image centre plus 0.5). @default true */
  readonly principal?: boolean;
  /** Frame folder. @default "ori_imgs" */
  readonly imageDir?: string;
  /** Frame file type (`jpg` is lossy: compare pixel values on `png`). @default "png" */
  readonly imageExt?: "jpg" | "png";
  /** Palette of `parsing/<id>.png`, or `"none"` for no parsing folder. @default "sspnerf11" */
  readonly palette?: PaletteName | "none";
  /** Feature size D of `[N, 16, D]` audio features, 0 for none. @default 29 */
  readonly audioDim?: number;
  /** Audio features file name. @default "aud.npy" */
  readonly audioFile?: string;
  /** Extra audio rows beyond the frames. @default 0 */
  readonly extraAudioRows?: number;
  /** Where `.lms` files go: beside the frames, in `lms/`, or nowhere. @default "beside" */
  readonly landmarks?: "beside" | "lms" | "none";
  /** Write `face_rect` per frame. @default true */
  readonly faceRect?: boolean;
  /** Write SSP-NeRF's `id_para`, `exp_para`, `euler`, `trans`. @default false */
  readonly sspParams?: boolean;
  /** Write an `aud.wav` (10 ms of silence at 16 kHz). @default false */
  readonly wav?: boolean;
  /** Background file type. @default "jpg" */
  readonly backgroundExt?: "jpg" | "png";
}

/** Byte value of channel `c` of pixel (x, y) of frame `imgId` (a pattern a test can recompute). */
export function tinyPixel(imgId: number, x: number, y: number, c: number): number {
  return (x * 29 + y * 13 + c * 71 + imgId * 37) % 256;
}

/** Class id of pixel (x, y) in frame `imgId`'s parsing map (every class appears in an 8x8 map). */
export function tinyClass(imgId: number, x: number, y: number, numClasses: number): number {
  return (x + 2 * y + imgId) % numClasses;
}

/** Landmark `i` of frame `imgId`: `[x, y]`. */
export function tinyLandmark(imgId: number, i: number): [number, number] {
  return [(i % 8) + 0.25 * imgId, Math.floor(i / 8) + 0.5];
}

/** Audio feature `[row, t, d]`. */
export function tinyAudio(row: number, t: number, d: number): number {
  return row + t / 100 + d / 10000;
}

/** Camera-to-world of frame `imgId`: a rotation about y by 0.1 * imgId radians, then a translation. */
export function tinyPose(imgId: number): Float32Array {
  const a = 0.1 * imgId, c = Math.cos(a), s = Math.sin(a);
  return new Float32Array([c, 0, s, 0.01 * imgId, 0, 1, 0, -0.02, -s, 0, c, 0.5, 0, 0, 0, 1]);
}

/**
 * Writes a tiny dataset: `transforms_{train,val}.json`, frames, `bc.jpg`, and the optional parts the
 * options ask for, every value given by the `tiny*` functions of this module.
 * @param dir Folder to write into (created when missing).
 * @param options Variant of the layout.
 * @returns The frames written, train then val.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { writeTinyDataset } from "./tiny_dataset.ts";
 * const dir = await Deno.makeTempDir();
 * const frames = await writeTinyDataset(dir, { frames: 3 });
 * assert(frames.length === 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTinyDataset(dir: string, options: TinyDatasetOptions = {}): Promise<FrameMeta[]> {
  const n = options.frames ?? 3;
  const width = options.width ?? 8, height = options.height ?? 8;
  const imageDir = options.imageDir ?? "ori_imgs";
  const imageExt = options.imageExt ?? "png";
  const paletteName = options.palette ?? "sspnerf11";
  const audioDim = options.audioDim ?? 29;
  const lmsWhere = options.landmarks ?? "beside";
  const ssp = options.sspParams ?? false;
  await Deno.mkdir(join(dir, imageDir), { recursive: true });

  const frames: FrameMeta[] = Array.from({ length: n }, (_, id) => ({
    imgId: id,
    audId: id,
    c2w: tinyPose(id),
    ...((options.faceRect ?? true) && { faceRect: [1, 1, width - 2, height - 3] as const }),
    ...(ssp && {
      euler: [0, 0.1 * id, 0] as const,
      trans: [0.01 * id, -0.02, 0.5] as const,
      exp: Float32Array.from({ length: 79 }, (_, k) => (k - id) / 100),
    }),
  }));
  const { train, val } = frameSplit(n);
  const principal = options.principal ?? true;
  for (const [split, ids] of [["train", train], ["val", val]] as const) {
    const text = formatTransforms({
      focal: 12,
      ...(principal && { cx: width / 2 + 0.5, cy: height / 2 + 0.5 }),
      frames: ids.map((i) => frames[i]),
      ...(ssp && { idParams: Float32Array.from({ length: 100 }, (_, k) => k / 100) }),
    });
    const json = JSON.parse(text);
    if (options.focalKey === "focal_length") {
      json.focal_length = json.focal_len;
      delete json.focal_len;
    }
    if (options.idKey === "frame_id") {
      for (const f of json.frames) {
        f.frame_id = f.img_id;
        delete f.img_id;
        delete f.aud_id;
      }
    }
    await Deno.writeTextFile(join(dir, `transforms_${split}.json`), JSON.stringify(json, null, 1));
  }

  const rgb = (fill: (x: number, y: number, c: number) => number): Image => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = fill(x, y, c);
      }
    }
    return { width, height, channels: 3, data };
  };
  for (let id = 0; id < n; id++) {
    await writeImage(join(dir, imageDir, `${id}.${imageExt}`), rgb((x, y, c) => tinyPixel(id, x, y, c)));
  }
  await writeImage(join(dir, `bc.${options.backgroundExt ?? "jpg"}`), rgb(() => 250));

  if (paletteName !== "none") {
    const palette = PALETTES[paletteName];
    await Deno.mkdir(join(dir, "parsing"), { recursive: true });
    for (let id = 0; id < n; id++) {
      const ids = new Uint8Array(width * height);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) ids[y * width + x] = tinyClass(id, x, y, palette.classNames.length);
      }
      await writeImage(join(dir, "parsing", `${id}.png`), parsingToImage(ids, width, height, palette));
    }
  }

  if (lmsWhere !== "none") {
    const lmsDir = lmsWhere === "beside" ? imageDir : "lms";
    await Deno.mkdir(join(dir, lmsDir), { recursive: true });
    for (let id = 0; id < n; id++) {
      const lines = Array.from(
        { length: 68 },
        (_, i) => tinyLandmark(id, i).map((v) => v.toFixed(6)).join(" "),
      );
      await Deno.writeTextFile(join(dir, lmsDir, `${id}.lms`), lines.join("\n") + "\n");
    }
  }

  if (audioDim > 0) {
    const rows = n + (options.extraAudioRows ?? 0);
    const data = new Float32Array(rows * 16 * audioDim);
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < 16; t++) {
        for (let d = 0; d < audioDim; d++) data[(r * 16 + t) * audioDim + d] = tinyAudio(r, t, d);
      }
    }
    await writeNpy(join(dir, options.audioFile ?? "aud.npy"), {
      dtype: "float32",
      shape: [rows, 16, audioDim],
      data,
    });
  }
  if (options.wav) {
    await writeWav(join(dir, "aud.wav"), { sampleRate: 16000, channels: [new Float32Array(160)] });
  }
  return frames;
}
