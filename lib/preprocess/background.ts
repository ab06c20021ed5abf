/**
 * The static background of a talking-head video and the person mask of each frame: a per-pixel median
 * over the frames where the pixel is not covered by the person, inpainted where never seen, and the
 * person as what differs from it.
 * @module
 */
import type { Image } from "../io/types.ts";
import { connectedComponents, dilate, erode, fillHoles, fillPolygon, type MaskSize } from "./raster.ts";
import { faceFrame, faceOutline } from "./parsing_landmarks.ts";

/** Result of {@linkcode estimateBackground}. */
export interface BackgroundEstimate {
  /** The background, RGB. */
  readonly image: Image;
  /** Per pixel, how many frames saw it (0: inpainted). */
  readonly seen: Uint16Array;
  /** Fraction of pixels never seen (inpainted). */
  readonly inpaintedFraction: number;
}

/** Options of {@linkcode estimateBackground}. */
export interface BackgroundOptions {
  /** Jacobi iterations of the diffusion that smooths the inpainted region. @default {200} */
  readonly diffusionIterations?: number;
}

/**
 * Estimates the background: per pixel and channel, the median of the colours over the frames in which
 * the pixel lies outside the exclusion mask (the dilated person); pixels never seen are inpainted by
 * taking the colour of the nearest seen pixel (breadth-first from the seen region, 4-neighbours), then
 * smoothing the filled region by diffusion (Jacobi iterations of the discrete Laplace equation with the
 * seen pixels fixed), which gives a smooth membrane across the hole.
 * @param frames RGB frames of one size (a subset of the video bounds memory).
 * @param exclude Per frame, 1 where the pixel may show the person (not used for the median).
 * @param options Diffusion iterations.
 * @returns The background and how often each pixel was seen.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { estimateBackground } from "./background.ts";
 * const frame = (v: number) => ({ width: 2, height: 1, channels: 3 as const, data: new Uint8Array(6).fill(v) });
 * // Pixel 1 is covered in the first frame: its median comes from the other two.
 * const bg = estimateBackground([frame(0), frame(10), frame(10)], [Uint8Array.of(0, 1), new Uint8Array(2), new Uint8Array(2)]);
 * assertEquals([bg.image.data[0], bg.image.data[3]], [10, 10]);
 * ```
 */
export function estimateBackground(
  frames: readonly Image[],
  exclude: readonly Uint8Array[],
  options: BackgroundOptions = {},
): BackgroundEstimate {
  if (frames.length === 0) throw new Error("background.ts: frames is empty: expected at least one frame");
  if (exclude.length !== frames.length) {
    throw new Error(
      `background.ts: exclude has ${exclude.length} masks: expected one per frame (${frames.length})`,
    );
  }
  const { width, height } = frames[0];
  const n = width * height;
  frames.forEach((f, k) => {
    if (f.width !== width || f.height !== height || f.channels !== 3) {
      throw new Error(
        `background.ts: frame ${k} is ${f.width}x${f.height}x${f.channels}: expected RGB ${width}x${height} like frame 0`,
      );
    }
    if (exclude[k].length !== n) {
      throw new Error(`background.ts: exclude[${k}] must hold ${n} pixels: got ${exclude[k].length}`);
    }
  });
  const data = new Uint8Array(n * 3);
  const seen = new Uint16Array(n);
  const vals = [new Uint8Array(frames.length), new Uint8Array(frames.length), new Uint8Array(frames.length)];
  for (let p = 0; p < n; p++) {
    let m = 0;
    for (let k = 0; k < frames.length; k++) {
      if (exclude[k][p]) continue;
      const d = frames[k].data;
      vals[0][m] = d[3 * p], vals[1][m] = d[3 * p + 1], vals[2][m] = d[3 * p + 2];
      m++;
    }
    seen[p] = m;
    if (m === 0) continue;
    for (let c = 0; c < 3; c++) data[3 * p + c] = median(vals[c].subarray(0, m));
  }
  const missing = inpaint(data, seen, { width, height }, options.diffusionIterations ?? 200);
  return { image: { width, height, channels: 3, data }, seen, inpaintedFraction: missing / n };
}

const hist = new Uint32Array(256);

/** Median of bytes by a counting sort in a shared histogram (cleared again through the values). */
function median(v: Uint8Array): number {
  for (let i = 0; i < v.length; i++) hist[v[i]]++;
  const half = (v.length - 1) / 2;
  let acc = 0, lo = -1, out = -1;
  for (let b = 0; b < 256 && out < 0; b++) {
    acc += hist[b];
    if (lo < 0 && acc > Math.floor(half)) lo = b;
    if (acc > Math.ceil(half)) out = Math.round((lo + b) / 2);
  }
  for (let i = 0; i < v.length; i++) hist[v[i]] = 0;
  return out;
}

/** Fills pixels with seen = 0 in place; returns their count. */
function inpaint(data: Uint8Array, seen: Uint16Array, size: MaskSize, iterations: number): number {
  const { width, height } = size;
  const n = width * height;
  const known = Uint8Array.from(seen, (s) => (s > 0 ? 1 : 0));
  const holes: number[] = [];
  for (let p = 0; p < n; p++) if (!known[p]) holes.push(p);
  if (holes.length === 0) return 0;
  if (holes.length === n) {
    throw new Error(
      "background.ts: no pixel was ever seen outside the person: cannot estimate the background",
    );
  }
  // Nearest seen colour by breadth-first search.
  const queue = new Int32Array(n);
  let head = 0, tail = 0;
  const done = Uint8Array.from(known);
  for (let p = 0; p < n; p++) if (known[p]) queue[tail++] = p;
  const f = Float32Array.from(data);
  while (head < tail) {
    const q = queue[head++];
    const x = q % width, y = (q - x) / width;
    for (
      const r of [
        x > 0 ? q - 1 : -1,
        x < width - 1 ? q + 1 : -1,
        y > 0 ? q - width : -1,
        y < height - 1 ? q + width : -1,
      ]
    ) {
      if (r < 0 || done[r]) continue;
      done[r] = 1;
      f[3 * r] = f[3 * q], f[3 * r + 1] = f[3 * q + 1], f[3 * r + 2] = f[3 * q + 2];
      queue[tail++] = r;
    }
  }
  // Diffusion: each hole pixel becomes the mean of its neighbours (Gauss-Seidel order, in place).
  for (let it = 0; it < iterations; it++) {
    for (const p of holes) {
      const x = p % width, y = (p - x) / width;
      let cnt = 0, r = 0, g = 0, b = 0;
      for (
        const q of [
          x > 0 ? p - 1 : -1,
          x < width - 1 ? p + 1 : -1,
          y > 0 ? p - width : -1,
          y < height - 1 ? p + width : -1,
        ]
      ) {
        if (q < 0) continue;
        r += f[3 * q], g += f[3 * q + 1], b += f[3 * q + 2], cnt++;
      }
      f[3 * p] = r / cnt, f[3 * p + 1] = g / cnt, f[3 * p + 2] = b / cnt;
    }
  }
  for (const p of holes) for (let c = 0; c < 3; c++) data[3 * p + c] = Math.round(f[3 * p + c]);
  return holes.length;
}

/**
 * Where the person may be in a frame, from its landmarks alone (before any background is known): the
 * face outline grown to 1.6 times its size about its centre (hair, ears), and below it a band in the
 * face's axes (neck and shoulders): half-width 0.6 W from the height of the jaw line's ends down to the
 * chin, then widening linearly to 2 W at 0.8 H below the chin and staying so down to the image border
 * (W face width, H chin-to-nose-bridge height; shoulders span about 3.3 face widths, arms beside them).
 * Used to exclude pixels from the first background estimate; tighter than "everything below the face"
 * so that the background beside the shoulders is seen.
 * @param lms 68 landmarks (136 numbers, pixels).
 * @param size Frame size.
 * @returns 1 where the person may be.
 */
export function personPrior(lms: ArrayLike<number>, size: MaskSize): Uint8Array {
  const { width, height } = size;
  const f = faceFrame(lms);
  const outline = faceOutline(lms);
  let mx = 0, my = 0;
  const k = outline.length / 2;
  for (let i = 0; i < k; i++) mx += outline[2 * i] / k, my += outline[2 * i + 1] / k;
  const grown = outline.map((v, i) => (i % 2 === 0 ? mx + 1.6 * (v - mx) : my + 1.6 * (v - my)));
  const mask = new Uint8Array(width * height);
  fillPolygon(mask, size, grown);
  const earUp = Math.max(
    (lms[0] - f.origin[0]) * f.up[0] + (lms[1] - f.origin[1]) * f.up[1],
    (lms[32] - f.origin[0]) * f.up[0] + (lms[33] - f.origin[1]) * f.up[1],
  );
  const full = -0.8 * f.height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - f.origin[0], dy = y + 0.5 - f.origin[1];
      const s = dx * f.lat[0] + dy * f.lat[1], u = dx * f.up[0] + dy * f.up[1];
      if (u >= earUp) continue;
      const t = Math.min(1, Math.max(0, u / full));
      if (Math.abs(s) < (0.6 + 1.4 * t) * f.width) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Options of {@linkcode personMask}. */
export interface PersonMaskOptions {
  /** Colour distance (Euclidean, 0-255 per channel) above which a pixel differs from the background.
   * @default {30} */
  readonly threshold?: number;
  /** Radius of the opening that removes speckle (pixels). @default max(1, round(size / 256)) */
  readonly openRadius?: number;
  /** Pixels that are the person whatever the colours say (e.g. the face outline). */
  readonly include?: Uint8Array;
}

/**
 * The person in a frame: pixels whose colour differs from the background by more than `threshold`,
 * opened (erode then dilate) to drop speckle, restricted to the connected components that touch
 * `include` (grown by 2 pixels) or the bottom row (the torso enters from below), with holes filled
 * (skin or clothes close to the background colour inside the silhouette), and `include` added.
 * @param frame RGB frame.
 * @param background RGB background of the same size.
 * @param options Threshold, opening radius, pixels to include.
 * @returns 1 on the person.
 */
export function personMask(frame: Image, background: Image, options: PersonMaskOptions = {}): Uint8Array {
  const { width, height } = frame;
  if (background.width !== width || background.height !== height) {
    throw new Error(
      `background.ts: background is ${background.width}x${background.height}: expected the frame's ${width}x${height}`,
    );
  }
  const size = { width, height };
  const n = width * height;
  const th2 = (options.threshold ?? 30) ** 2;
  const raw = new Uint8Array(n);
  const fc = frame.channels, bc = background.channels;
  for (let p = 0; p < n; p++) {
    const dr = frame.data[fc * p] - background.data[bc * p];
    const dg = frame.data[fc * p + 1] - background.data[bc * p + 1];
    const db = frame.data[fc * p + 2] - background.data[bc * p + 2];
    raw[p] = dr * dr + dg * dg + db * db > th2 ? 1 : 0;
  }
  const r = options.openRadius ?? Math.max(1, Math.round(Math.max(width, height) / 256));
  const opened = dilate(erode(raw, size, r), size, r);
  const include = options.include;
  if (include) { for (let p = 0; p < n; p++) if (include[p]) opened[p] = 1; }
  const { labels, sizes } = connectedComponents(opened, size);
  const keep = new Uint8Array(sizes.length);
  const near = include ? dilate(include, size, 2) : undefined;
  for (let p = 0; p < n; p++) if (near?.[p] && labels[p]) keep[labels[p]] = 1;
  for (let x = 0; x < width; x++) {
    const l = labels[(height - 1) * width + x];
    if (l) keep[l] = 1;
  }
  const mask = Uint8Array.from(labels, (l) => (l && keep[l] ? 1 : 0));
  return fillHoles(mask, size);
}
