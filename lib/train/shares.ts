/**
 * Splitting a data-parallel step into shares and merging what the shares report (see
 * lib/train/data_parallel.ts).
 * @module
 */
import type { ShareExtra } from "./loss_module.ts";

/**
 * Contiguous ranges splitting `n` items into `parts` shares as evenly as possible (the first `n % parts`
 * shares get one more), with each share's weight count / n. With `firstScale`, the first share gets
 * round(firstScale n / parts) items (at least one) and the others split the rest as evenly as possible
 * (e.g. a little less for a thread that also does the step's serial work).
 * @param n Items (e.g. rays of the step).
 * @param parts Shares (e.g. `engine.threads`); shares beyond `n` are left out.
 * @param firstScale The first share's size relative to an even split, in (0, parts]. @default {1}
 * @returns `[start, count, weight]` per share.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shareRanges } from "./shares.ts";
 * assertEquals(shareRanges(5, 2), [[0, 3, 0.6], [3, 2, 0.4]]);
 * assertEquals(shareRanges(1, 3), [[0, 1, 1]]);
 * assertEquals(shareRanges(100, 2, 0.9), [[0, 45, 0.45], [45, 55, 0.55]]);
 * ```
 */
export function shareRanges(n: number, parts: number, firstScale = 1): [number, number, number][] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`shareRanges: n must be an integer >= 1: got ${n}`);
  if (!Number.isInteger(parts) || parts < 1) {
    throw new Error(`shareRanges: parts must be an integer >= 1: got ${parts}`);
  }
  if (!(firstScale > 0 && firstScale <= parts)) {
    throw new Error(`shareRanges: firstScale must be in (0, ${parts}]: got ${firstScale}`);
  }
  const k = Math.min(n, parts);
  if (firstScale === 1 || k === 1) return evenRanges(0, n, k, n);
  // The first share, then the rest evenly over the others (each keeping at least one item).
  const first = Math.min(n - (k - 1), Math.max(1, Math.round(firstScale * n / k)));
  return [[0, first, first / n], ...evenRanges(first, n - first, k - 1, n)];
}

/** `parts` even contiguous ranges of `count` items from `start`, weights over `n`. */
function evenRanges(start: number, count: number, parts: number, n: number): [number, number, number][] {
  const base = Math.floor(count / parts), extra = count % parts;
  const out: [number, number, number][] = [];
  for (let i = 0, at = start; i < parts; i++) {
    const c = base + (i < extra ? 1 : 0);
    out.push([at, c, c / n]);
    at += c;
  }
  return out;
}

/**
 * Merges per-share extras: numbers become their weighted sum sum_i w_i x_i (e.g. loss terms that are
 * means over each share's rays), typed arrays are concatenated in share order (e.g. per-ray errors).
 * Keys missing from some share are left out.
 * @param extras Per-share extras (`ParallelStepResult.extras`).
 * @param weights The step's share weights.
 * @returns Merged extras.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mergeExtras } from "./shares.ts";
 * const m = mergeExtras([{ mse: 2, err: Float32Array.of(1) }, { mse: 4, err: Float32Array.of(2, 3) }], [0.25, 0.75]);
 * assertEquals(m, { mse: 3.5, err: Float32Array.of(1, 2, 3) });
 * ```
 */
export function mergeExtras(
  extras: readonly Readonly<Record<string, ShareExtra>>[],
  weights: readonly number[],
): Record<string, ShareExtra> {
  const out: Record<string, ShareExtra> = {};
  if (extras.length === 0) return out;
  for (const key of Object.keys(extras[0])) {
    if (!extras.every((e) => key in e)) continue;
    const values = extras.map((e) => e[key]);
    if (values.every((v) => typeof v === "number")) {
      out[key] = values.reduce((s: number, v, i) => s + (v as number) * weights[i], 0);
    } else if (values.every((v) => v instanceof values[0].constructor && typeof v !== "number")) {
      const arrays = values as (Float32Array | Int32Array | Uint8Array)[];
      const total = arrays.reduce((s, a) => s + a.length, 0);
      const Ctor = arrays[0].constructor as new (n: number) => Float32Array | Int32Array | Uint8Array;
      const merged = new Ctor(total);
      let at = 0;
      for (const a of arrays) merged.set(a, at), at += a.length;
      out[key] = merged;
    } else {
      throw new Error(`mergeExtras: extra ${key} mixes numbers and arrays, or arrays of different types`);
    }
  }
  return out;
}
