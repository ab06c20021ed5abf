/**
 * The per-frame eye signal of a dataset (`FrameMeta.eye`, eye openness in [0, 1]): from the transforms
 * files when they carry it, else from OpenFace's `au.csv` (the blink action unit AU45, as the ER-NeRF /
 * SyncTalk datasets provide it), else from the 68 landmarks (eye aspect ratio, normalised per video).
 * @module
 */
import { eyeAspectRatio, normalizeEyeSeries } from "../landmarks/eye.ts";
import type { FrameMeta } from "./types.ts";

/** Where a dataset's eye signal came from. */
export type EyeSource = "transforms" | "au.csv" | "landmarks";

/** The OpenFace column of the blink action unit's intensity (written as `" AU45_r"`, with a space). */
export const AU45_COLUMN = "AU45_r";

/**
 * AU45 intensity that counts as fully shut. OpenFace rates action units 0 (absent) to 5 (maximum); a
 * full blink typically reads 2 and above, so intensities are clipped at 2 (as ER-NeRF does).
 */
export const AU45_SHUT = 2;

/**
 * Reads the AU45 intensity column of an OpenFace `au.csv` (one row per video frame, in frame order:
 * data row k belongs to img_id k). The header is the first line; column names are compared without
 * surrounding spaces (OpenFace writes `" AU45_r"`).
 * @param text The file's text.
 * @param source Names the file in errors.
 * @returns AU45 intensity per row.
 * @throws Error naming the file, the column and the line, e.g. `au.csv: line 4, column AU45_r: expected
 *   a number >= 0, got "x"`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseAu45 } from "./eye.ts";
 * const csv = "frame, face_id, AU45_r\n1, 0, 0.12\n2, 0, 2.5\n";
 * assertEquals(Array.from(parseAu45(csv, "au.csv")), [0.12, 2.5].map(Math.fround));
 * ```
 */
export function parseAu45(text: string, source: string): Float32Array {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0 || lines[0].trim() === "") {
    throw new Error(`${source}: empty: expected an OpenFace header line with a ${AU45_COLUMN} column`);
  }
  const names = lines[0].split(",").map((n) => n.trim());
  const col = names.indexOf(AU45_COLUMN);
  if (col < 0) {
    const shown = names.length > 8 ? [...names.slice(0, 8), "..."] : names;
    throw new Error(
      `${source}: no ${AU45_COLUMN} column (OpenFace's blink intensity, " ${AU45_COLUMN}"): got columns ${
        shown.join(", ")
      }`,
    );
  }
  const out = new Float32Array(lines.length - 1);
  for (let k = 1; k < lines.length; k++) {
    const cells = lines[k].split(",");
    const raw = (cells[col] ?? "").trim();
    const v = raw === "" ? NaN : Number(raw);
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new Error(
        `${source}: line ${k + 1}, column ${AU45_COLUMN}: expected a number >= 0, got ${JSON.stringify(raw)}`,
      );
    }
    out[k - 1] = v;
  }
  return out;
}

/**
 * Eye openness from an AU45 intensity: `1 - min(AU45, AU45_SHUT) / AU45_SHUT`, rounded to 1e-4 (AU45
 * high = shut; openness 1 = open).
 * @param au45 AU45 intensity, >= 0.
 * @returns Openness in [0, 1].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eyeFromAu45 } from "./eye.ts";
 * assertEquals([eyeFromAu45(0), eyeFromAu45(0.5), eyeFromAu45(3)], [1, 0.75, 0]);
 * ```
 */
export function eyeFromAu45(au45: number): number {
  return Math.round((1 - Math.min(Math.max(au45, 0), AU45_SHUT) / AU45_SHUT) * 1e4) / 1e4;
}

/** What {@linkcode resolveEyeSignal} found. */
export interface EyeSignal {
  /** Train and validation frames, with `eye` filled when a source was found. */
  readonly train: readonly FrameMeta[];
  readonly val: readonly FrameMeta[];
  /** Where the signal came from; undefined when there is none. */
  readonly source?: EyeSource;
  /** Why there is no signal although landmarks exist (e.g. an eye's corners coincide). */
  readonly note?: string;
}

/**
 * Fills `FrameMeta.eye` for every frame of a dataset, from the first source that has it:
 * 1. the transforms files' own `eye` fields (all frames of both files, or none);
 * 2. `au45` (an OpenFace `au.csv`'s AU45 column, row = img_id) through {@linkcode eyeFromAu45};
 * 3. the landmarks: the eye aspect ratio per frame, normalised over all frames of both splits
 *    (`normalizeEyeSeries`, open eyes about 1).
 * @param train Frames of `transforms_train.json`.
 * @param val Frames of `transforms_val.json`.
 * @param sources `au45` with the file's name, `landmarks` per img_id with their folder's name.
 * @returns The frames with `eye`, and the source.
 * @throws Error naming the file when the transforms give `eye` for some frames only, or `au.csv` has
 *   too few rows.
 */
export function resolveEyeSignal(
  train: readonly FrameMeta[],
  val: readonly FrameMeta[],
  sources: {
    readonly au45?: { readonly values: Float32Array; readonly file: string };
    readonly landmarks?: ReadonlyMap<number, Float32Array>;
    readonly landmarkDir?: string;
  } = {},
): EyeSignal {
  const all = [...train, ...val];
  const given = all.filter((f) => f.eye !== undefined).length;
  if (given === all.length && all.length > 0) return { train, val, source: "transforms" };
  if (given > 0) {
    const missing = [
      ...train.map((f) => ["transforms_train.json", f] as const),
      ...val.map((f) => ["transforms_val.json", f] as const),
    ]
      .find(([, f]) => f.eye === undefined)!;
    throw new Error(
      `${missing[0]}: img_id ${
        missing[1].imgId
      } has no eye field while ${given} of ${all.length} frames have one: ` +
        `expected eye on every frame or on none`,
    );
  }
  const withEye = (m: ReadonlyMap<number, number>) => ({
    train: train.map((f) => ({ ...f, eye: m.get(f.imgId)! })),
    val: val.map((f) => ({ ...f, eye: m.get(f.imgId)! })),
  });
  if (sources.au45) {
    const { values, file } = sources.au45;
    const need = Math.max(...all.map((f) => f.imgId));
    if (values.length <= need) {
      throw new Error(
        `${file}: ${values.length} rows of ${AU45_COLUMN}: expected one per frame, at least ${
          need + 1
        } (img_id ${need})`,
      );
    }
    return { ...withEye(new Map(all.map((f) => [f.imgId, eyeFromAu45(values[f.imgId])]))), source: "au.csv" };
  }
  const lms = sources.landmarks;
  if (!lms || all.length === 0 || !all.every((f) => lms.has(f.imgId))) return { train, val };
  const ear: number[] = [];
  for (const f of all) {
    try {
      ear.push(eyeAspectRatio(lms.get(f.imgId)!));
    } catch (e) {
      const why = e instanceof Error ? e.message.replace(/^eyeAspectRatio: /, "") : String(e);
      return { train, val, note: `${sources.landmarkDir ?? "lms"}/${f.imgId}.lms: ${why}` };
    }
  }
  const eye = normalizeEyeSeries(ear);
  return { ...withEye(new Map(all.map((f, i) => [f.imgId, eye[i]]))), source: "landmarks" };
}
