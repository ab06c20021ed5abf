/**
 * Peak signal-to-noise ratio, per frame and averaged over frames as the talking-head papers do.
 * @module
 */
import { checkSameShape, type Crop, type MetricImage, quantize8, resolveCrop } from "./image.ts";

/** The cap, in dB, that {@linkcode psnrClamped} and {@linkcode meanPsnr} put on identical frames. */
export const PSNR_CAP_DB = 100;

/** Options of {@linkcode psnr}. */
export interface PsnrOptions {
  /** Peak value on the [0, 1] scale the images are brought to.
   * @default {1} */
  readonly maxValue?: number;
  /** Only this rectangle counts. */
  readonly crop?: Crop;
  /** Per-pixel weights of `width * height` entries, non-zero = the pixel counts (all its channels do);
   * e.g. a mouth or torso mask for region PSNR. Combined with `crop` when both are given. */
  readonly mask?: Uint8Array;
  /** Round float images to 8-bit levels first, as writing them to PNG would (uint8 images are exact).
   * @default {true} */
  readonly quantize?: boolean;
  /** Upper bound in dB; identical images (MSE 0) give this instead of Infinity. None by default. */
  readonly cap?: number;
}

function isBytes(d: ArrayLike<number>): boolean {
  return d instanceof Uint8Array || d instanceof Uint8ClampedArray;
}

/**
 * Mean squared error on the [0, 1] scale over the selected pixels and all channels.
 * @returns `{ mse, count }` where count is the number of values (pixels x channels) averaged.
 */
export function meanSquaredError(
  a: MetricImage,
  b: MetricImage,
  options: Omit<PsnrOptions, "maxValue" | "cap"> = {},
): { mse: number; count: number } {
  checkSameShape(a, b, ["psnr: a", "psnr: b"]);
  const { width, height, channels: c } = a;
  const { x, y, w, h } = resolveCrop(options.crop, width, height);
  const mask = options.mask;
  if (mask && mask.length !== width * height) {
    throw new Error(`psnr: mask has ${mask.length} entries, expected width*height = ${width * height}`);
  }
  const q = options.quantize ?? true;
  const va = (v: number, bytes: boolean) => bytes ? v / 255 : q ? quantize8(v) : v;
  const aBytes = isBytes(a.data), bBytes = isBytes(b.data);
  let sum = 0, count = 0;
  for (let r = y; r < y + h; r++) {
    for (let k = x; k < x + w; k++) {
      const p = r * width + k;
      if (mask && mask[p] === 0) continue;
      for (let ch = 0; ch < c; ch++) {
        const i = p * c + ch;
        const d = aBytes && bBytes
          ? (a.data[i] - b.data[i]) / 255
          : va(a.data[i], aBytes) - va(b.data[i], bBytes);
        sum += d * d;
      }
      count += c;
    }
  }
  if (count === 0) throw new Error("psnr: the mask selects no pixel inside the crop: expected at least one");
  return { mse: sum / count, count };
}

/**
 * PSNR of one frame: 10 log10(maxValue^2 / MSE) dB, MSE over [0, 1] values of every selected pixel and
 * channel. Float images are rounded to 8-bit levels first unless `quantize: false` (the field saves
 * frames as 8-bit files, so that is what its numbers measure). Identical images give Infinity unless a
 * `cap` is set; see {@linkcode psnrClamped}.
 * @param a First image ({@linkcode Image} or [0, 1] {@linkcode FloatImage}).
 * @param b Second image, same width, height and channels.
 * @param options Peak value, crop, mask, quantisation, cap.
 * @returns PSNR in dB.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { psnr } from "./psnr.ts";
 * const a = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([0, 0]) };
 * const b = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([255, 0]) };
 * // MSE = (1 + 0) / 2 = 0.5, so PSNR = -10 log10(0.5) = 3.0103 dB
 * assert(Math.abs(psnr(a, b) - 3.0103) < 1e-4);
 * assert(psnr(a, a) === Infinity);
 * ```
 */
export function psnr(a: MetricImage, b: MetricImage, options: PsnrOptions = {}): number {
  const maxValue = options.maxValue ?? 1;
  if (!(maxValue > 0)) throw new Error(`psnr: maxValue must be > 0, got ${maxValue}`);
  const { mse } = meanSquaredError(a, b, options);
  const value = 10 * Math.log10((maxValue * maxValue) / mse);
  return options.cap === undefined ? value : Math.min(value, options.cap);
}

/**
 * {@linkcode psnr} with a cap (default {@linkcode PSNR_CAP_DB} = 100 dB), so identical frames give a
 * finite number. Label numbers computed this way, e.g. "PSNR (dB, capped at 100)".
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { psnrClamped } from "./psnr.ts";
 * const a = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([7]) };
 * assert(psnrClamped(a, a) === 100);
 * ```
 */
export function psnrClamped(a: MetricImage, b: MetricImage, options: PsnrOptions = {}): number {
  return psnr(a, b, { ...options, cap: options.cap ?? PSNR_CAP_DB });
}

/** Mean PSNR over frames, with the frames that hit the cap counted. */
export interface PsnrSummary {
  /** Mean of the per-frame (capped) PSNR values, dB. NaN when there are no frames. */
  readonly psnr: number;
  /** Per-frame PSNR, dB, after capping. */
  readonly perFrame: readonly number[];
  readonly frames: number;
  /** How many frames were above the cap (identical frames are) and were replaced by it. */
  readonly capped: number;
  /** The cap in dB (Infinity when none). */
  readonly cap: number;
}

/**
 * Averages per-frame PSNR values (the field's convention: mean of per-frame dB, not dB of the mean MSE),
 * capping each at `cap` dB and counting the frames that were capped.
 * @param perFrame PSNR of each frame in dB (Infinity for identical frames is fine).
 * @param options `cap` in dB (default 100; `Infinity` for none).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { summarizePsnr } from "./psnr.ts";
 * const s = summarizePsnr([30, 40, Infinity]);
 * assert(s.psnr === (30 + 40 + 100) / 3 && s.capped === 1);
 * ```
 */
export function summarizePsnr(perFrame: readonly number[], options: { cap?: number } = {}): PsnrSummary {
  const cap = options.cap ?? PSNR_CAP_DB;
  let capped = 0, sum = 0;
  const values = perFrame.map((v, i) => {
    if (Number.isNaN(v)) throw new Error(`summarizePsnr: frame ${i} has PSNR NaN: expected a number`);
    if (v > cap) {
      capped++;
      return cap;
    }
    return v;
  });
  for (const v of values) sum += v;
  return {
    psnr: values.length ? sum / values.length : NaN,
    perFrame: values,
    frames: values.length,
    capped,
    cap,
  };
}

/**
 * Mean PSNR over paired frames: {@linkcode psnr} per pair, then {@linkcode summarizePsnr}.
 * @param preds Rendered frames.
 * @param targets Ground-truth frames, as many as `preds`.
 * @param options Options of {@linkcode psnr}; `cap` defaults to 100 dB here.
 * @returns Mean, per-frame values and the number of capped frames.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { meanPsnr } from "./psnr.ts";
 * const a = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([0]) };
 * const b = { width: 1, height: 1, channels: 1 as const, data: new Uint8Array([255]) };
 * const s = meanPsnr([a, a], [a, b]);
 * assert(s.psnr === 50 && s.capped === 1); // (100 + 0) / 2
 * ```
 */
export function meanPsnr(
  preds: readonly MetricImage[],
  targets: readonly MetricImage[],
  options: PsnrOptions = {},
): PsnrSummary {
  if (preds.length !== targets.length) {
    throw new Error(
      `meanPsnr: ${preds.length} predicted frames but ${targets.length} targets: expected as many`,
    );
  }
  const values = preds.map((p, i) => psnr(p, targets[i], { ...options, cap: undefined }));
  return summarizePsnr(values, { cap: options.cap });
}
