/**
 * `transforms_{train,val}.json`: parsing and validation of the camera file of the AD-NeRF family,
 * normalised across its variants (`focal_len` / `focal_length`, `img_id` + `aud_id` / `frame_id`).
 * @module
 */
import type { FrameMeta } from "./types.ts";
import { DatasetError } from "./problems.ts";

/** The content of one transforms file, normalised. */
export interface Transforms {
  /** Focal length in pixels (`focal_len`, or `focal_length`). */
  readonly focal: number;
  /** Principal point x in pixels, when given (the loader defaults it to width / 2). */
  readonly cx?: number;
  /** Principal point y in pixels, when given (the loader defaults it to height / 2). */
  readonly cy?: number;
  /** Frames in file order. */
  readonly frames: readonly FrameMeta[];
  /** Identity parameters (`id_para`, 100 in SSP-NeRF), when given. */
  readonly idParams?: Float32Array;
}

/** Tolerance of the rigidity check: |R^T R - I| and |last row - (0 0 0 1)| element-wise. */
export const RIGID_TOLERANCE = 1e-3;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v === null) return "null";
  if (typeof v === "string") {
    return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + "..." : v)}`;
  }
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/**
 * Why a row-major 4x4 matrix is not a rigid camera-to-world transform, or undefined when it is one:
 * R^T R = I and det R > 0 within {@linkcode RIGID_TOLERANCE}, last row (0, 0, 0, 1).
 * @param m 16 numbers, row-major.
 * @returns A phrase for an error message, or undefined.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { rigidityProblem } from "./transforms.ts";
 * const eye = [1, 0, 0, 5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
 * assert(rigidityProblem(eye) === undefined);
 * assert(rigidityProblem(eye.map((v, i) => i === 0 ? 2 : v))!.includes("R^T R"));
 * ```
 */
export function rigidityProblem(m: ArrayLike<number>): string | undefined {
  const last = [m[12], m[13], m[14], m[15]];
  if (last.some((v, i) => Math.abs(v - (i === 3 ? 1 : 0)) > RIGID_TOLERANCE)) {
    return `last row must be [0, 0, 0, 1]: got [${last.join(", ")}]`;
  }
  const r = (i: number, j: number) => m[4 * i + j];
  let worst = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += r(k, i) * r(k, j);
      worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  if (worst > RIGID_TOLERANCE) {
    return `rotation must satisfy R^T R = I within ${RIGID_TOLERANCE}: largest deviation ${
      worst.toPrecision(3)
    }`;
  }
  const det = r(0, 0) * (r(1, 1) * r(2, 2) - r(1, 2) * r(2, 1)) -
    r(0, 1) * (r(1, 0) * r(2, 2) - r(1, 2) * r(2, 0)) +
    r(0, 2) * (r(1, 0) * r(2, 1) - r(1, 1) * r(2, 0));
  if (det < 0) {
    return `rotation must have det +1 (a reflection is not a camera pose): got det ${det.toFixed(3)}`;
  }
  return undefined;
}

function numberList(
  v: unknown,
  field: string,
  length: number | undefined,
  problems: string[],
): number[] | undefined {
  const what = length === undefined ? "an array of numbers" : `${length} numbers`;
  if (!Array.isArray(v)) {
    problems.push(`${field} must be ${what}: got ${describe(v)}`);
    return undefined;
  }
  const bad = v.findIndex((x) => !isFiniteNumber(x));
  if (bad >= 0) {
    problems.push(`${field} must be ${what}: element ${bad} is ${describe(v[bad])}`);
    return undefined;
  }
  if (length !== undefined && v.length !== length) {
    problems.push(`${field} must be ${what}: got ${v.length}`);
    return undefined;
  }
  return v as number[];
}

function matrixOf(v: unknown, field: string, problems: string[]): Float32Array | undefined {
  if (!Array.isArray(v) || v.length !== 4) {
    problems.push(`${field} must be 4x4 numbers: got ${Array.isArray(v) ? `${v.length} rows` : describe(v)}`);
    return undefined;
  }
  for (let i = 0; i < 4; i++) {
    const row = v[i];
    if (!Array.isArray(row) || row.length !== 4) {
      const got = Array.isArray(row) ? `${row.length} columns` : describe(row);
      problems.push(`${field} must be 4x4 numbers: row ${i} has ${got}`);
      return undefined;
    }
    const j = row.findIndex((x) => !isFiniteNumber(x));
    if (j >= 0) {
      problems.push(`${field} must be 4x4 numbers: [${i}][${j}] is ${describe(row[j])}`);
      return undefined;
    }
  }
  const flat = (v as number[][]).flat();
  const why = rigidityProblem(flat);
  if (why) {
    problems.push(`${field} is not a rigid transform: ${why}`);
    return undefined;
  }
  return Float32Array.from(flat);
}

/**
 * Checks a transforms file's parsed JSON, appending one line per problem (each prefixed with `source`)
 * instead of throwing, so that a loader can report every problem of a dataset at once.
 * @param json The parsed JSON.
 * @param source Names the file in the problems.
 * @param problems Receives the problems.
 * @param jsonIndex When given, receives for each returned frame its index in the file's `frames` array
 *   (they differ once a frame with problems has been left out).
 * @returns The normalised content, or undefined when the file is unusable (focal or frames missing).
 *   Frames with problems are left out of the result.
 */
export function collectTransforms(
  json: unknown,
  source: string,
  problems: string[],
  jsonIndex?: number[],
): Transforms | undefined {
  const local: string[] = [];
  const report = () => problems.push(...local.map((p) => `${source}: ${p}`));
  if (!isObject(json)) {
    local.push(`expected a JSON object at the top level: got ${describe(json)}`);
    report();
    return undefined;
  }
  let focal: number | undefined;
  const fl = json.focal_len ?? json.focal_length;
  const flName = json.focal_len !== undefined ? "focal_len" : "focal_length";
  if (fl === undefined) {
    local.push("focal_len (or focal_length) is missing: expected a positive number of pixels");
  } else if (!isFiniteNumber(fl) || fl <= 0) {
    local.push(`${flName} must be a positive number: got ${describe(fl)}`);
  } else focal = fl;
  if (
    focal !== undefined && json.focal_len !== undefined && json.focal_length !== undefined &&
    json.focal_length !== json.focal_len
  ) {
    local.push(
      `focal_len ${json.focal_len} and focal_length ${json.focal_length} disagree: expected one value`,
    );
  }
  const principal: Record<"cx" | "cy", number | undefined> = { cx: undefined, cy: undefined };
  for (const k of ["cx", "cy"] as const) {
    const v = json[k];
    if (v === undefined) continue;
    if (!isFiniteNumber(v)) local.push(`${k} must be a number: got ${describe(v)}`);
    else principal[k] = v;
  }
  let idParams: Float32Array | undefined;
  if (json.id_para !== undefined) {
    const ids = numberList(json.id_para, "id_para", undefined, local);
    if (ids) idParams = Float32Array.from(ids);
  }
  const frames: FrameMeta[] = [];
  if (!Array.isArray(json.frames)) {
    local.push(`frames must be an array of frame objects: got ${describe(json.frames)}`);
  } else {
    const firstByImg = new Map<number, number>();
    let expLength: number | undefined;
    json.frames.forEach((f: unknown, i: number) => {
      const at = `frames[${i}]`;
      if (!isObject(f)) {
        local.push(`${at} must be an object: got ${describe(f)}`);
        return;
      }
      const before = local.length;
      let imgId: number | undefined;
      const imgField = f.img_id !== undefined ? "img_id" : "frame_id";
      const rawImg = f.img_id ?? f.frame_id;
      if (rawImg === undefined) local.push(`${at}.img_id (or frame_id) is missing: expected an integer >= 0`);
      else if (!isIndex(rawImg)) {
        local.push(`${at}.${imgField} must be an integer >= 0: got ${describe(rawImg)}`);
      } else imgId = rawImg;
      let audId = imgId;
      const audField = f.aud_id !== undefined ? "aud_id" : "frame_id";
      const rawAud = f.aud_id ?? f.frame_id;
      if (rawAud !== undefined) {
        if (!isIndex(rawAud)) {
          local.push(`${at}.${audField} must be an integer >= 0: got ${describe(rawAud)}`);
        } else audId = rawAud;
      }
      if (imgId !== undefined) {
        const first = firstByImg.get(imgId);
        if (first !== undefined) local.push(`${at}.${imgField} ${imgId} duplicates frames[${first}]`);
        else firstByImg.set(imgId, i);
      }
      const c2w = f.transform_matrix === undefined
        ? (local.push(`${at}.transform_matrix is missing: expected 4x4 numbers`), undefined)
        : matrixOf(f.transform_matrix, `${at}.transform_matrix`, local);
      let faceRect: [number, number, number, number] | undefined;
      if (f.face_rect !== undefined) {
        const r = numberList(f.face_rect, `${at}.face_rect`, 4, local);
        if (r && (r[2] <= 0 || r[3] <= 0)) {
          local.push(`${at}.face_rect [x, y, w, h] must have w > 0 and h > 0: got [${r.join(", ")}]`);
        } else if (r) faceRect = [r[0], r[1], r[2], r[3]];
      }
      const triple = (key: string) => {
        if (f[key] === undefined) return undefined;
        const v = numberList(f[key], `${at}.${key}`, 3, local);
        return v ? [v[0], v[1], v[2]] as const : undefined;
      };
      const euler = triple("euler");
      const trans = triple("trans");
      let exp: Float32Array | undefined;
      if (f.exp_para !== undefined) {
        const v = numberList(f.exp_para, `${at}.exp_para`, expLength, local);
        if (v) {
          expLength ??= v.length;
          exp = Float32Array.from(v);
        }
      }
      let eye: number | undefined;
      if (f.eye !== undefined) {
        if (!isFiniteNumber(f.eye) || f.eye < 0 || f.eye > 1) {
          local.push(`${at}.eye must be an eye openness in [0, 1] (1 open, 0 shut): got ${describe(f.eye)}`);
        } else eye = f.eye;
      }
      if (local.length > before || imgId === undefined || audId === undefined || !c2w) return;
      jsonIndex?.push(i);
      frames.push({
        imgId,
        audId,
        c2w,
        ...(faceRect && { faceRect }),
        ...(euler && { euler }),
        ...(trans && { trans }),
        ...(exp && { exp }),
        ...(eye !== undefined && { eye }),
      });
    });
  }
  report();
  if (focal === undefined || !Array.isArray(json.frames)) return undefined;
  const { cx, cy } = principal;
  return {
    focal,
    ...(cx !== undefined && { cx }),
    ...(cy !== undefined && { cy }),
    frames,
    ...(idParams && { idParams }),
  };
}

/**
 * Parses and validates the JSON of a `transforms_{train,val}.json` file (pure: no file access).
 *
 * Accepted variants: `focal_len` or `focal_length`; per frame `img_id`, else `frame_id`; `aud_id`, else
 * `frame_id`, else the image id; optional `face_rect` [x, y, w, h], `euler` (3), `trans` (3), `exp_para`
 * (same length in every frame), `eye` (eye openness in [0, 1], see `FrameMeta.eye`); optional top-level `cx`, `cy`, `id_para`. Each `transform_matrix` must
 * be 4x4 numbers forming a rigid transform (see {@linkcode rigidityProblem}); image ids must be unique.
 * @param json The parsed JSON value.
 * @param source Names the file in errors, e.g. `"transforms_train.json"`.
 * @returns Focal length, principal point when given, frames in file order, identity parameters.
 * @throws DatasetError listing every problem, e.g.
 *   `transforms_train.json: frames[3].transform_matrix must be 4x4 numbers: got 3 rows`.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseTransforms } from "./transforms.ts";
 * const eye = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
 * const t = parseTransforms({ focal_length: 1200, frames: [{ frame_id: 7, transform_matrix: eye }] }, "t.json");
 * assert(t.focal === 1200 && t.frames[0].imgId === 7 && t.frames[0].audId === 7);
 * ```
 */
export function parseTransforms(json: unknown, source: string): Transforms {
  const problems: string[] = [];
  const t = collectTransforms(json, source, problems);
  if (problems.length > 0 || !t) throw new DatasetError(source, problems);
  return t;
}
