/**
 * `.lms` landmark files: 68 lines of `x y` in pixels, as written by the AD-NeRF preprocessing
 * (`np.savetxt(..., '%f')` of a face-alignment 68-point result).
 * @module
 */

/** Number of points of a `.lms` file. */
export const NUM_LANDMARKS = 68;

/**
 * Parses the text of a `.lms` file.
 * @param text 68 non-empty lines of two numbers separated by spaces or tabs (blank lines are ignored).
 * @param source Names the file in errors.
 * @returns Landmarks as `[x0, y0, x1, y1, ...]`, length 136.
 * @throws Error naming the file and the offending line, e.g. `lms/3.lms: line 5 must be two numbers "x y"`.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parseLandmarks } from "./landmarks.ts";
 * const text = Array.from({ length: 68 }, (_, i) => `${i} ${2 * i}`).join("\n");
 * const lms = parseLandmarks(text, "0.lms");
 * assert(lms.length === 136 && lms[2] === 1 && lms[3] === 2);
 * ```
 */
export function parseLandmarks(text: string, source: string): Float32Array {
  const lines = text.split(/\r?\n/).map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l !== "");
  if (lines.length !== NUM_LANDMARKS) {
    throw new Error(
      `${source}: expected ${NUM_LANDMARKS} lines of "x y": got ${lines.length} non-empty lines`,
    );
  }
  const out = new Float32Array(2 * NUM_LANDMARKS);
  lines.forEach(([line, lineNo], i) => {
    const parts = line.split(/[\s,]+/);
    const xy = parts.map(Number);
    if (parts.length !== 2 || !xy.every(Number.isFinite)) {
      const shown = line.length > 40 ? line.slice(0, 40) + "..." : line;
      throw new Error(`${source}: line ${lineNo} must be two numbers "x y": got ${JSON.stringify(shown)}`);
    }
    out[2 * i] = xy[0];
    out[2 * i + 1] = xy[1];
  });
  return out;
}
