/**
 * Writing `transforms_{train,val}.json` in the canonical form of the AD-NeRF family.
 * @module
 */
import { writeFileAtomic } from "../io/mod.ts";
import type { Transforms } from "./transforms.ts";

/**
 * The shortest decimal that reads back to the same float32: `0.1` for `Math.fround(0.1)`, where
 * `String` would give `0.10000000149011612`.
 */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`transforms: cannot write the non-finite number ${v} to JSON`);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

function numberText(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`transforms: cannot write the non-finite number ${v} to JSON`);
  return String(v);
}

const list = (a: ArrayLike<number>, fmt: (v: number) => string) => `[${Array.from(a, fmt).join(", ")}]`;

/**
 * Formats transforms as the canonical JSON text: top-level `focal_len`, `cx`, `cy` (when given) and
 * `id_para` (when given); per frame `img_id`, `aud_id`, `transform_matrix` (4 rows), then `face_rect`,
 * `euler`, `trans`, `exp_para`, `eye` when present. One frame field per line, arrays on one line. Float32
 * values are written with the fewest digits that read back to the same float32.
 * @param t The transforms to write.
 * @returns JSON text ending in a newline; `parseTransforms(JSON.parse(text))` gives `t` back.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { formatTransforms } from "./write_transforms.ts";
 * const c2w = new Float32Array([1, 0, 0, 0.1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
 * const text = formatTransforms({ focal: 1200, frames: [{ imgId: 0, audId: 0, c2w }] });
 * assert(text.includes('"transform_matrix": [[1, 0, 0, 0.1],'));
 * ```
 */
export function formatTransforms(t: Transforms): string {
  const top = [`  "focal_len": ${numberText(t.focal)}`];
  if (t.cx !== undefined) top.push(`  "cx": ${numberText(t.cx)}`);
  if (t.cy !== undefined) top.push(`  "cy": ${numberText(t.cy)}`);
  if (t.idParams) top.push(`  "id_para": ${list(t.idParams, float32Text)}`);
  const frames = t.frames.map((f, i) => {
    if (f.c2w.length !== 16) {
      throw new Error(`transforms: frames[${i}].c2w must hold 16 numbers (4x4): got ${f.c2w.length}`);
    }
    const rows = [0, 1, 2, 3].map((r) => list(f.c2w.subarray(4 * r, 4 * r + 4), float32Text));
    const fields = [
      `"img_id": ${f.imgId}`,
      `"aud_id": ${f.audId}`,
      `"transform_matrix": [${rows.join(", ")}]`,
    ];
    if (f.faceRect) fields.push(`"face_rect": ${list(f.faceRect, numberText)}`);
    if (f.euler) fields.push(`"euler": ${list(f.euler, numberText)}`);
    if (f.trans) fields.push(`"trans": ${list(f.trans, numberText)}`);
    if (f.exp) fields.push(`"exp_para": ${list(f.exp, float32Text)}`);
    if (f.eye !== undefined) fields.push(`"eye": ${numberText(f.eye)}`);
    return `    {\n${fields.map((x) => `      ${x}`).join(",\n")}\n    }`;
  });
  top.push(`  "frames": [${frames.length ? `\n${frames.join(",\n")}\n  ` : ""}]`);
  return `{\n${top.join(",\n")}\n}\n`;
}

/**
 * Writes transforms as canonical JSON (see {@linkcode formatTransforms}), atomically: a reader never
 * sees a half-written file.
 * @param path Destination, e.g. `<dataset>/transforms_train.json`.
 * @param t The transforms to write.
 */
export async function writeTransforms(path: string, t: Transforms): Promise<void> {
  await writeFileAtomic(path, formatTransforms(t));
}
