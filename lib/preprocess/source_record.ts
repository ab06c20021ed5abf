/**
 * Where a dataset's frames come from: the crop's place in the source video, recorded by preprocessing
 * in `transforms_{train,val}.json` under the top-level field `"source"`, so that rendered frames can be
 * pasted back into the full-size video (lib/video pasteBack).
 *
 * ```json
 * "source": {"video": "talk.mp4", "width": 1920, "height": 1080, "native_fps": 29.97, "fps": 25,
 *            "source_frames": 1500, "frames": 1500, "crop": [704, 212, 512, 512], "scale": 1}
 * ```
 * - `video`: file name of the source (informative; paste-back takes the path it is given).
 * - `width`, `height`: the source's frame size, pixels.
 * - `native_fps`: the source's own frame rate; `fps`: the rate its frames were sampled at (ffmpeg's fps
 *   filter), which is the dataset's rate: dataset frame i is source frame i at `fps`.
 * - `source_frames`: frames of the whole source at `fps` (round(duration x fps)); `frames`: the dataset's
 *   frames, the first `frames` of them.
 * - `crop`: [x, y, w, h] of the square crop in source pixels (integers, inside the frame).
 * - `scale`: dataset pixels per source pixel (dataset side / crop side).
 *
 * Loaders that do not know the field ignore it (the AD-NeRF family's readers read named keys only).
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.ts";
import type { CropRect } from "../io/types.ts";

/** The crop's place in the source video (see the module doc for the JSON form). */
export interface SourceRecord {
  /** File name of the source video (informative). */
  readonly video: string;
  /** Source frame width, pixels. */
  readonly width: number;
  /** Source frame height, pixels. */
  readonly height: number;
  /** The source's own frame rate. */
  readonly nativeFps: number;
  /** Rate the source was sampled at: the dataset's frame rate. */
  readonly fps: number;
  /** Frames of the whole source at `fps`. */
  readonly sourceFrames: number;
  /** Frames of the dataset (the first ones of the source at `fps`). */
  readonly frames: number;
  /** The square crop, source pixels. */
  readonly crop: CropRect;
  /** Dataset pixels per source pixel (dataset side / crop side). */
  readonly scale: number;
}

/**
 * The JSON object of a record, in the file's snake_case field names.
 * @param r The record.
 * @returns A plain object for `JSON.stringify`.
 */
export function sourceRecordJson(r: SourceRecord): Record<string, unknown> {
  return {
    video: r.video,
    width: r.width,
    height: r.height,
    native_fps: r.nativeFps,
    fps: r.fps,
    source_frames: r.sourceFrames,
    frames: r.frames,
    crop: [r.crop.x, r.crop.y, r.crop.w, r.crop.h],
    scale: r.scale,
  };
}

/**
 * Inserts the `"source"` field as the first top-level field of a transforms file's JSON text (the
 * canonical text of formatTransforms starts with `{` and a newline), leaving the rest byte for byte.
 * @param text JSON text of a transforms file.
 * @param r The record.
 * @returns The text with the field; a text that already has one gets it replaced.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withSourceRecord } from "./source_record.ts";
 * const r = { video: "a.mp4", width: 64, height: 48, nativeFps: 25, fps: 25, sourceFrames: 30, frames: 30,
 *   crop: { x: 8, y: 0, w: 48, h: 48 }, scale: 2 };
 * const json = JSON.parse(withSourceRecord('{\n  "focal_len": 100,\n  "frames": []\n}\n', r));
 * assertEquals(json.source.crop, [8, 0, 48, 48]);
 * assertEquals(json.focal_len, 100);
 * ```
 */
export function withSourceRecord(text: string, r: SourceRecord): string {
  const body = text.trimStart();
  if (!body.startsWith("{")) throw new Error("source record: expected the JSON text of an object");
  const parsed = JSON.parse(body);
  if (parsed && typeof parsed === "object" && "source" in parsed) {
    const { source: _old, ...rest } = parsed;
    return JSON.stringify({ source: sourceRecordJson(r), ...rest }, null, 2) + "\n";
  }
  const inner = body.slice(1).replace(/^\s*\n/, "");
  const sep = /^\s*}/.test(inner) ? "\n" : ",\n";
  return `{\n  "source": ${JSON.stringify(sourceRecordJson(r))}${sep}${inner}`;
}

/**
 * Adds the record to `transforms_train.json` and `transforms_val.json` of a dataset folder (each
 * rewritten atomically).
 * @param dir Dataset folder.
 * @param r The record.
 */
export async function writeSourceRecord(dir: string, r: SourceRecord): Promise<void> {
  for (const name of ["transforms_train.json", "transforms_val.json"]) {
    const path = join(dir, name);
    await writeFileAtomic(path, withSourceRecord(await Deno.readTextFile(path), r));
  }
}

const positiveNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v > 0;
const positiveInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

/**
 * Checks and converts the `"source"` field of a transforms file's parsed JSON.
 * @param json The parsed JSON of the file.
 * @param file Names the file in errors.
 * @returns The record.
 * @throws When the field is missing (the dataset was not made by this toolkit's preprocessing, or by an
 *   older version) or a value is not what the module doc describes; the message names the file and field.
 */
export function parseSourceRecord(json: unknown, file: string): SourceRecord {
  const src = (json && typeof json === "object" && !Array.isArray(json))
    ? (json as Record<string, unknown>).source
    : undefined;
  if (src === undefined) {
    throw new Error(
      `${file}: has no "source" field: expected the crop's place in the source video, which preprocessing ` +
        `(deno task preprocess) records; preprocess the video again to paste back into it`,
    );
  }
  if (!src || typeof src !== "object" || Array.isArray(src)) {
    throw new Error(`${file}: "source" must be an object: got ${JSON.stringify(src)}`);
  }
  const s = src as Record<string, unknown>;
  const bad = (field: string, what: string) =>
    new Error(`${file}: source.${field} must be ${what}: got ${JSON.stringify(s[field])}`);
  for (const k of ["width", "height", "source_frames", "frames"]) {
    if (!positiveInt(s[k])) throw bad(k, "a positive integer");
  }
  for (const k of ["native_fps", "fps", "scale"]) {
    if (!positiveNumber(s[k])) throw bad(k, "a positive number");
  }
  if (typeof s.video !== "string") throw bad("video", "a file name");
  const c = s.crop;
  if (!Array.isArray(c) || c.length !== 4 || !c.every((v) => Number.isInteger(v))) {
    throw bad("crop", "[x, y, w, h] integers");
  }
  const [x, y, w, h] = c as number[];
  const width = s.width as number, height = s.height as number;
  if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > width || y + h > height) {
    throw bad("crop", `a rectangle inside the ${width}x${height} source`);
  }
  if ((s.frames as number) > (s.source_frames as number)) {
    throw bad("frames", `at most source_frames = ${s.source_frames}`);
  }
  return {
    video: s.video,
    width,
    height,
    nativeFps: s.native_fps as number,
    fps: s.fps as number,
    sourceFrames: s.source_frames as number,
    frames: s.frames as number,
    crop: { x, y, w, h },
    scale: s.scale as number,
  };
}

/**
 * Reads the record of a dataset folder (from `transforms_train.json`).
 * @param dir Dataset folder.
 * @returns The record.
 * @throws When the file is missing or unreadable, or its record is missing or malformed.
 */
export async function readSourceRecord(dir: string): Promise<SourceRecord> {
  const file = join(dir, "transforms_train.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`${file}: cannot read: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  return parseSourceRecord(json, file);
}
