/**
 * Evaluation protocols: which pixels of a rendered frame a number measures.
 *
 * - **full frame**: the rendered frame as it is, head, torso and background all from the model.
 * - **head-only**: the protocol of the ER-NeRF / TalkingGaussian tables: the rendered head pasted over
 *   the real frame with the ground-truth parsing, so every pixel that is not head (neck, torso,
 *   background) is the real one and only the head's pixels come from the model.
 *
 * The two answer different questions (the whole portrait vs the talking head alone) and their numbers
 * are not comparable with each other: head-only PSNR is always at least the full-frame one, as the
 * composite's error is the render's error restricted to the head. Every table names the protocol of
 * each number ({@linkcode PROTOCOL_NAMES}).
 * @module
 */
import type { PaletteName } from "../data/types.ts";
import { checkSameShape, type Crop, type FloatImage, type MetricImage } from "./image.ts";
import { psnr } from "./psnr.ts";
import { ssim } from "./ssim.ts";

/** The evaluation protocols of this toolkit. */
export type EvalProtocol = "fullFrame" | "headOnly";

/** What each protocol's numbers are called in tables and reports. */
export const PROTOCOL_NAMES: Readonly<Record<EvalProtocol, string>> = {
  fullFrame: "full frame",
  headOnly: "head-only (rendered head over real torso and background)",
};

/** Prefix of the head-only entries of an evaluation mean (`headOnly_psnr`, ...); full-frame keys have none. */
export const HEAD_ONLY_PREFIX = "headOnly_";

/**
 * Class ids that are the head in a parsing palette: every class of the person that is not neck, torso
 * or background. 11-class SSP-NeRF palette: skin, brows, eyes, ears, nose, mouth interior, lips, hair
 * (ids 1-7 and 10); AD-NeRF's 4-class palette: its head class (id 1).
 * @param palette Palette name of the dataset's parsing maps.
 * @returns The head's class ids, ascending.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { headClassIds } from "./protocols.ts";
 * assertEquals(headClassIds("sspnerf11"), [1, 2, 3, 4, 5, 6, 7, 10]);
 * assertEquals(headClassIds("adnerf4"), [1]);
 * ```
 */
export function headClassIds(palette: PaletteName): readonly number[] {
  switch (palette) {
    case "sspnerf11":
      return [1, 2, 3, 4, 5, 6, 7, 10];
    case "adnerf4":
      return [1];
  }
}

/**
 * The head mask of a parsing map: 1 where the class is one of `headClasses`.
 * @param labels Class id per pixel.
 * @param headClasses Head class ids ({@linkcode headClassIds}).
 * @returns `labels.length` entries of 0 or 1.
 */
export function headMask(labels: ArrayLike<number>, headClasses: readonly number[]): Uint8Array {
  const isHead = new Uint8Array(256);
  for (const c of headClasses) isHead[c] = 1;
  return Uint8Array.from({ length: labels.length }, (_, i) => isHead[labels[i]] ?? 0);
}

/**
 * The head-only composite: the rendered pixel where the ground-truth parsing says head, the real one
 * elsewhere. Both images are brought to [0, 1] floats (an 8-bit image is divided by 255).
 * @param rendered The model's frame.
 * @param groundTruth The real frame, same shape.
 * @param mask Head mask, `width * height` entries ({@linkcode headMask}).
 * @returns The composite as a float image of `rendered`'s shape.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { compositeHeadOverFrame } from "./protocols.ts";
 * const img = (v: number[]) => ({ width: 2, height: 1, channels: 1, data: Float32Array.from(v) });
 * const c = compositeHeadOverFrame(img([0.1, 0.2]), img([0.7, 0.9]), Uint8Array.from([1, 0]));
 * assertEquals(Array.from(c.data), [Math.fround(0.1), Math.fround(0.9)]);
 * ```
 */
export function compositeHeadOverFrame(
  rendered: MetricImage,
  groundTruth: MetricImage,
  mask: Uint8Array,
): FloatImage {
  checkSameShape(rendered, groundTruth, ["head-only: rendered", "head-only: ground truth"]);
  const { width, height, channels } = rendered;
  if (mask.length !== width * height) {
    throw new Error(`head-only: mask has ${mask.length} entries, expected width*height = ${width * height}`);
  }
  const scale = (img: MetricImage) =>
    img.data instanceof Float32Array || img.data instanceof Float64Array ? 1 : 1 / 255;
  const sr = scale(rendered), sg = scale(groundTruth);
  const out = new Float32Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const [src, s] = mask[p] ? [rendered.data, sr] : [groundTruth.data, sg];
    for (let c = 0; c < channels; c++) out[p * channels + c] = src[p * channels + c] * s;
  }
  return { width, height, channels, data: out };
}

/** Head-only metrics of one frame. */
export interface HeadOnlyMetrics {
  /** PSNR (dB) of the composite vs the real frame; Infinity when the head is rendered exactly. */
  readonly psnr: number;
  /** SSIM (Wang 2004) of the composite vs the real frame. */
  readonly ssim: number;
  /** PSNR (dB) over the face box, when a box is given. */
  readonly psnrFace?: number;
  /** SSIM over the face box, when a box is given. */
  readonly ssimFace?: number;
}

/**
 * Metrics of one frame under the head-only protocol: the rendered head composited over the real frame
 * with the ground-truth parsing, compared with the real frame. Region PSNRs are left out on purpose: inside
 * the head they equal the full-frame ones, outside it they are infinite.
 * @param rendered The model's frame.
 * @param groundTruth The real frame.
 * @param labels Ground-truth parsing, one class id per pixel.
 * @param palette The parsing's palette (which classes are the head).
 * @param faceCrop The face box, for face PSNR / SSIM.
 * @returns PSNR and SSIM of the composite (and of its face box).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { headOnlyMetrics } from "./protocols.ts";
 * import { psnr } from "./psnr.ts";
 * // Head (class 1) rendered exactly, torso (class 9) wrong: head-only PSNR is infinite, full-frame finite.
 * const gt = { width: 11, height: 11, channels: 3, data: new Float32Array(363).fill(0.5) };
 * const labels = Uint8Array.from({ length: 121 }, (_, i) => i < 60 ? 1 : 9);
 * const rendered = { ...gt, data: gt.data.map((v, i) => i < 180 ? v : 0) };
 * assert(headOnlyMetrics(rendered, gt, labels, "sspnerf11").psnr === Infinity);
 * assert(Number.isFinite(psnr(rendered, gt)));
 * ```
 */
export function headOnlyMetrics(
  rendered: MetricImage,
  groundTruth: MetricImage,
  labels: ArrayLike<number>,
  palette: PaletteName,
  faceCrop?: Crop,
): HeadOnlyMetrics {
  const composite = compositeHeadOverFrame(rendered, groundTruth, headMask(labels, headClassIds(palette)));
  return {
    psnr: psnr(composite, groundTruth),
    ssim: ssim(composite, groundTruth),
    ...(faceCrop && {
      psnrFace: psnr(composite, groundTruth, { crop: faceCrop }),
      ssimFace: ssim(composite, groundTruth, { crop: faceCrop }),
    }),
  };
}

/**
 * The protocol of an evaluation-mean key: `headOnly_*` keys are head-only, the rest full frame.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { protocolOfKey } from "./protocols.ts";
 * assertEquals([protocolOfKey("psnr"), protocolOfKey("headOnly_psnr")], ["fullFrame", "headOnly"]);
 * ```
 */
export function protocolOfKey(key: string): EvalProtocol {
  return key.startsWith(HEAD_ONLY_PREFIX) ? "headOnly" : "fullFrame";
}

/**
 * An evaluation mean split by protocol, with each protocol's name: what `metrics.json` stores beside
 * the flat mean, so a reader of the file sees which number is which.
 * @param mean Evaluation mean (`psnr`, `ssim`, ..., `headOnly_psnr`, ...).
 * @returns `{ "full frame": { psnr, ... }, "head-only (...)": { psnr, ... } }` (empty protocols left out).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { meanByProtocol, PROTOCOL_NAMES } from "./protocols.ts";
 * const m = meanByProtocol({ psnr: 20, headOnly_psnr: 27 });
 * assertEquals(m[PROTOCOL_NAMES.fullFrame], { psnr: 20 });
 * assertEquals(m[PROTOCOL_NAMES.headOnly], { psnr: 27 });
 * ```
 */
export function meanByProtocol(
  mean: Readonly<Record<string, number>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, value] of Object.entries(mean)) {
    const p = protocolOfKey(key);
    const name = PROTOCOL_NAMES[p];
    (out[name] ??= {})[p === "headOnly" ? key.slice(HEAD_ONLY_PREFIX.length) : key] = value;
  }
  return out;
}
