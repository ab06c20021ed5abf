/**
 * Paste-back: rendered crops composited into the full-size frames of the video the dataset was cut
 * from. Each rendered frame is resampled to the crop's size in the source and blended over source frame
 * i with a feathered mask (the person in the rendered parsing, the dataset's parsing, or the whole crop),
 * so that everything outside the mask, and everything outside the crop, is the source unchanged.
 * @module
 */
import { probeVideo } from "../io/video_probe.ts";
import { readVideoFrames } from "../io/video_frames.ts";
import { writeVideo } from "../io/video_write.ts";
import { floatToImage, resizeImage, toRgb } from "../io/image.ts";
import type { CropRect, Image, Wav } from "../io/types.ts";
import { dilate } from "../preprocess/raster.ts";
import type { SourceRecord } from "../preprocess/source_record.ts";

/** Default feather radius, source pixels: 1/32 of the crop side, at least 2. */
export function defaultFeather(crop: CropRect): number {
  return Math.max(2, Math.round(crop.w / 32));
}

/** Separable running mean over a (2r+1) window along rows then columns; outside counts as 0. */
function boxBlur(a: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
  const n = 2 * r + 1;
  const row = new Float64Array(Math.max(w, h) + 1);
  for (let y = 0; y < h; y++) {
    row[0] = 0;
    for (let x = 0; x < w; x++) row[x + 1] = row[x] + a[y * w + x];
    for (let x = 0; x < w; x++) {
      tmp[y * w + x] = (row[Math.min(w, x + r + 1)] - row[Math.max(0, x - r)]) / n;
    }
  }
  for (let x = 0; x < w; x++) {
    row[0] = 0;
    for (let y = 0; y < h; y++) row[y + 1] = row[y] + tmp[y * w + x];
    for (let y = 0; y < h; y++) {
      out[y * w + x] = (row[Math.min(h, y + r + 1)] - row[Math.max(0, y - r)]) / n;
    }
  }
  return out;
}

/**
 * Blend weights of a rendered crop over the source, at the crop's size in the source: the mask
 * resampled to `side` x `side`, dilated by `feather` pixels and box-blurred with radius `feather`, so the
 * weight is exactly 1 on the mask and falls to 0 within 2 `feather` pixels outside it; then multiplied by
 * a ramp that reaches 0 at the crop's edge (no seam where a person crosses the crop's border).
 * @param mask Person mask (1 = take the rendering) of `maskSize` x `maskSize` pixels; undefined: the
 *   whole crop.
 * @param maskSize Side of the mask (the rendered frame's side).
 * @param side Side of the crop in the source, pixels.
 * @param feather Radius in source pixels; 0 gives a hard mask (and no edge ramp).
 * @returns Weights in [0, 1], `side * side`, row-major.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pasteAlpha } from "./paste_back.ts";
 * const a = pasteAlpha(undefined, 4, 9, 2); // whole crop: 1 in the middle, ramping to the edges
 * assertEquals(a[4 * 9 + 4], 1);
 * assertEquals(a[0] < 0.2, true);
 * ```
 */
export function pasteAlpha(
  mask: Uint8Array | undefined,
  maskSize: number,
  side: number,
  feather: number,
): Float32Array {
  if (!Number.isInteger(side) || side < 1) {
    throw new Error(`pasteAlpha: side must be a positive integer: ${side}`);
  }
  if (!(feather >= 0) || !Number.isInteger(feather)) {
    throw new Error(`pasteAlpha: feather must be an integer >= 0 (source pixels): got ${feather}`);
  }
  let m: Uint8Array;
  if (mask === undefined) m = new Uint8Array(side * side).fill(1);
  else {
    if (mask.length !== maskSize * maskSize) {
      throw new Error(`pasteAlpha: mask must hold ${maskSize}x${maskSize} values: got ${mask.length}`);
    }
    const grey = {
      width: maskSize,
      height: maskSize,
      channels: 1 as const,
      data: mask.map((v) => v ? 255 : 0),
    };
    const big = maskSize === side ? grey : resizeImage(grey, side, side, { filter: "bilinear" });
    m = big.data.map((v) => v >= 128 ? 1 : 0);
  }
  const sz = { width: side, height: side };
  if (feather === 0) return Float32Array.from(m);
  const soft = boxBlur(Float32Array.from(dilate(m, sz, feather)), side, side, feather);
  for (let y = 0; y < side; y++) {
    const ry = Math.min(1, (Math.min(y, side - 1 - y) + 0.5) / (feather + 0.5));
    for (let x = 0; x < side; x++) {
      const rx = Math.min(1, (Math.min(x, side - 1 - x) + 0.5) / (feather + 0.5));
      soft[y * side + x] = Math.min(1, soft[y * side + x]) * Math.min(rx, ry);
    }
  }
  return soft;
}

/**
 * One frame of paste-back: `rendered` resampled to the crop's size (bilinear when enlarging, area
 * averaging when shrinking) and blended over `source` inside `crop` with weights `alpha`:
 * out = alpha * rendered + (1 - alpha) * source, rounded; outside the crop out = source exactly.
 * @param source Full-size source frame (RGB, grey or RGBA; the output is RGB).
 * @param rendered Rendered crop, square.
 * @param alpha Weights at crop size (`crop.w * crop.h`), e.g. from {@linkcode pasteAlpha}.
 * @param crop The crop, source pixels (inside the frame).
 * @returns The composited RGB frame, the source's size.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pasteBack } from "./paste_back.ts";
 * const source = { width: 3, height: 1, channels: 3 as const, data: new Uint8Array(9).fill(10) };
 * const rendered = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array([200, 200, 200]) };
 * const out = pasteBack(source, rendered, Float32Array.of(0.5), { x: 1, y: 0, w: 1, h: 1 });
 * assertEquals([...out.data], [10, 10, 10, 105, 105, 105, 10, 10, 10]);
 * ```
 */
export function pasteBack(source: Image, rendered: Image, alpha: Float32Array, crop: CropRect): Image {
  const src = toRgb(source);
  const { x: cx, y: cy, w: cw, h: ch } = crop;
  if (cx < 0 || cy < 0 || cx + cw > src.width || cy + ch > src.height) {
    throw new Error(
      `pasteBack: crop ${cw}x${ch}+${cx}+${cy} does not fit the ${src.width}x${src.height} source frame`,
    );
  }
  if (alpha.length !== cw * ch) {
    throw new Error(`pasteBack: alpha must hold ${cw}x${ch} weights (the crop's size): got ${alpha.length}`);
  }
  const r = toRgb(rendered);
  const big = r.width === cw && r.height === ch ? r : resizeImage(r, cw, ch);
  const out = new Uint8Array(src.data);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const a = alpha[y * cw + x];
      if (a <= 0) continue;
      const o = ((cy + y) * src.width + cx + x) * 3, i = (y * cw + x) * 3;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round(a * big.data[i + k] + (1 - a) * out[o + k]);
    }
  }
  return { width: src.width, height: src.height, channels: 3, data: out };
}

/** Mean absolute gradients of {@linkcode seamGradients}, in 8-bit levels per pixel. */
export interface SeamGradients {
  /** Over the blend band (0.02 < alpha < 0.98) and the pixels within one of the crop's edge, on both
   * sides (where a hard paste would show its border). */
  readonly band: number;
  /** Over the rest of the crop. */
  readonly elsewhere: number;
  /** Pixels of the band. */
  readonly bandPixels: number;
}

/**
 * The seam measure of paste-back: mean absolute luminance gradient, (|I(x+1,y) - I(x,y)| +
 * |I(x,y+1) - I(x,y)|) / 2 with I = (R + G + B) / 3, over the pixels where the blend weight changes
 * (the band, plus a two-pixel strip along the crop's edge, one pixel on each side) against the rest of
 * the crop. A step at the mask's border raises `band`; compare with the same measure on the source.
 * @param img A full-size frame.
 * @param alpha Blend weights at crop size.
 * @param crop The crop.
 * @returns Band and elsewhere means.
 */
export function seamGradients(img: Image, alpha: Float32Array, crop: CropRect): SeamGradients {
  const f = toRgb(img);
  const lum = (x: number, y: number) => {
    const o = (y * f.width + x) * 3;
    return (f.data[o] + f.data[o + 1] + f.data[o + 2]) / 3;
  };
  let band = 0, nBand = 0, rest = 0, nRest = 0;
  for (let y = -1; y <= crop.h; y++) {
    for (let x = -1; x <= crop.w; x++) {
      const sx = crop.x + x, sy = crop.y + y;
      if (sx < 0 || sy < 0 || sx + 1 >= f.width || sy + 1 >= f.height) continue;
      const g = (Math.abs(lum(sx + 1, sy) - lum(sx, sy)) + Math.abs(lum(sx, sy + 1) - lum(sx, sy))) / 2;
      const edge = x <= 0 || y <= 0 || x >= crop.w - 1 || y >= crop.h - 1;
      const a = edge ? 0 : alpha[y * crop.w + x];
      if (edge || (a > 0.02 && a < 0.98)) band += g, nBand++;
      else rest += g, nRest++;
    }
  }
  return { band: band / Math.max(1, nBand), elsewhere: rest / Math.max(1, nRest), bandPixels: nBand };
}

/** A rendered frame to paste back, with the mask of the pixels to take from it. */
export interface RenderedCrop {
  /** The rendered crop (square, the dataset's side or any other side: it is resampled). */
  readonly image: Image;
  /** 1 where the rendering replaces the source (e.g. person classes of its parsing), `image`'s size;
   * undefined: the whole crop. */
  readonly mask?: Uint8Array;
}

/** Options of {@linkcode pasteBackFrames} and {@linkcode renderPasteBack}. */
export interface PasteBackOptions {
  /** Feather radius in source pixels. @default {defaultFeather(record.crop)} */
  readonly feather?: number;
  /** The file the record was read from, named in errors. @default {"the dataset's source record"} */
  readonly recordFile?: string;
  /** Called after each composited frame. */
  readonly onFrame?: (index: number) => void;
}

/**
 * Checks that a video is the source a dataset records: same frame size, same number of frames at the
 * dataset's rate (round(duration x fps), as preprocessing counted them).
 * @param sourcePath The video.
 * @param record The dataset's record.
 * @param recordFile Names the record's file in errors.
 * @throws When the video cannot be read or differs; the message names both files and the expectation.
 */
export async function checkPasteBackSource(
  sourcePath: string,
  record: SourceRecord,
  recordFile = "the dataset's source record",
): Promise<void> {
  let info;
  try {
    info = await probeVideo(sourcePath);
  } catch (e) {
    throw new Error(
      `paste-back: ${sourcePath}: cannot read the video: ${e instanceof Error ? e.message : e}`,
      {
        cause: e,
      },
    );
  }
  if (info.width !== record.width || info.height !== record.height) {
    throw new Error(
      `paste-back: ${sourcePath} is ${info.width}x${info.height}: expected ${record.width}x${record.height}, ` +
        `the size of the source video ${record.video} recorded in ${recordFile}`,
    );
  }
  const frames = Math.max(1, Math.round(info.durationS * record.fps));
  if (frames !== record.sourceFrames) {
    throw new Error(
      `paste-back: ${sourcePath} has ${frames} frames at ${record.fps} fps: expected ${record.sourceFrames}, ` +
        `the length of the source video ${record.video} recorded in ${recordFile}`,
    );
  }
}

/**
 * Composites rendered crops into the source's frames, in order: rendered frame i over source frame i
 * (sampled at the dataset's rate). The source is read as a stream; nothing is written here.
 * @param rendered Rendered crops in order.
 * @param sourcePath The source video (check it first with {@linkcode checkPasteBackSource}).
 * @param record The dataset's record.
 * @param options Feather radius, progress.
 * @returns Full-size RGB frames.
 * @throws When the source has fewer frames than `rendered`, or a rendered frame is not square.
 */
export async function* pasteBackFrames(
  rendered: AsyncIterable<RenderedCrop> | Iterable<RenderedCrop>,
  sourcePath: string,
  record: SourceRecord,
  options: PasteBackOptions = {},
): AsyncGenerator<Image> {
  const crop = record.crop;
  const feather = options.feather ?? defaultFeather(crop);
  const source = readVideoFrames(sourcePath, { fps: record.fps })[Symbol.asyncIterator]();
  let i = 0;
  let lastAlpha: { mask: undefined; size: number; alpha: Float32Array } | undefined;
  try {
    for await (const r of rendered) {
      const { width: w, height: h } = r.image;
      if (w !== h) throw new Error(`paste-back: rendered frame ${i} is ${w}x${h}: expected a square crop`);
      const s = await source.next();
      if (s.done) {
        throw new Error(
          `paste-back: ${sourcePath} ended after ${i} frames at ${record.fps} fps: expected at least one per ` +
            `rendered frame`,
        );
      }
      let alpha: Float32Array;
      if (r.mask === undefined) {
        // The whole-crop weights are the same for every frame.
        if (!lastAlpha || lastAlpha.size !== w) {
          lastAlpha = { mask: undefined, size: w, alpha: pasteAlpha(undefined, w, crop.w, feather) };
        }
        alpha = lastAlpha.alpha;
      } else alpha = pasteAlpha(r.mask, w, crop.w, feather);
      yield pasteBack(s.value, r.image, alpha, crop);
      options.onFrame?.(i);
      i++;
    }
  } finally {
    await source.return?.(undefined);
  }
}

/** Options of {@linkcode renderPasteBack}. */
export interface RenderPasteBackOptions extends PasteBackOptions {
  /** Output video (.mp4). */
  readonly out: string;
  /** Audio track (a file path or decoded audio); none when undefined. */
  readonly audio?: Wav | string;
  /** x264 quality (0 lossless .. 51). @default {18} */
  readonly crf?: number;
}

/**
 * Writes the full-size video: the source checked against the record, every rendered crop pasted back
 * ({@linkcode pasteBackFrames}), encoded at the dataset's rate with the audio. Nothing is written unless
 * it all succeeds (writeVideo writes a temporary file and renames it).
 * @param rendered Rendered crops in order.
 * @param sourcePath The source video the dataset was made from.
 * @param record The dataset's record (readSourceRecord).
 * @param options Output, audio, feather, progress.
 * @returns Number of frames written.
 */
export async function renderPasteBack(
  rendered: AsyncIterable<RenderedCrop> | Iterable<RenderedCrop>,
  sourcePath: string,
  record: SourceRecord,
  options: RenderPasteBackOptions,
): Promise<{ frames: number }> {
  await checkPasteBackSource(sourcePath, record, options.recordFile);
  let n = 0;
  await writeVideo(
    options.out,
    pasteBackFrames(rendered, sourcePath, record, {
      ...options,
      onFrame: (i) => {
        n = i + 1;
        options.onFrame?.(i);
      },
    }),
    { fps: record.fps, audio: options.audio, crf: options.crf },
  );
  return { frames: n };
}

/** A rendered frame as the trainer gives it (RGB floats in [0, 1], HWC; parsing when the model parses). */
export interface RenderedFloatFrame {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
  readonly parsing?: Uint8Array;
}

/**
 * Rendered frames -> crops to paste back, each with its person mask: every class but 0 (background) of
 * the rendered parsing, else of `fallbackParsing(i)` (e.g. the dataset's parsing of the source frame),
 * else the whole crop.
 * @param frames Rendered frames in order.
 * @param fallbackParsing Parsing of frame i when the render has none (class 0 = background).
 * @returns The crops.
 */
export async function* renderedCrops(
  frames: AsyncIterable<RenderedFloatFrame> | Iterable<RenderedFloatFrame>,
  fallbackParsing?: (index: number) => Promise<Uint8Array | undefined>,
): AsyncGenerator<RenderedCrop> {
  let i = 0;
  for await (const f of frames) {
    const ids = f.parsing ?? await fallbackParsing?.(i);
    if (ids && ids.length !== f.width * f.height) {
      throw new Error(
        `paste-back: the parsing of frame ${i} has ${ids.length} pixels: expected ${f.width}x${f.height}`,
      );
    }
    const image = floatToImage(f.rgb, f.width, f.height);
    yield ids ? { image, mask: ids.map((c) => (c !== 0 ? 1 : 0)) } : { image };
    i++;
  }
}
