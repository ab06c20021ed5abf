/**
 * Face parsing without a pretrained parser: the 11 SSP-NeRF classes drawn from 68 landmarks and a
 * person mask (from the difference to the estimated background).
 * @module
 */
import { SSP11_CLASS } from "../data/palette.ts";
import { fillPolygon, type MaskSize } from "./raster.ts";

/** SSP-NeRF 11-class ids (lib/data SSPNERF11 order). */
export const CLASS_ID = SSP11_CLASS;

/**
 * The face's own axes in the image, from the landmarks: origin at the chin (point 8), `up` the unit
 * vector from the chin to the nose bridge top (point 27), `lat` perpendicular to it pointing to image
 * right for an upright face; H = |p27 - p8| (face height), W = |p16 - p0| (face width).
 */
export interface FaceFrame {
  readonly origin: readonly [number, number];
  readonly up: readonly [number, number];
  readonly lat: readonly [number, number];
  readonly height: number;
  readonly width: number;
}

/** The {@linkcode FaceFrame} of 68 landmarks (136 numbers, pixels). */
export function faceFrame(lms: ArrayLike<number>): FaceFrame {
  const cx = lms[16], cy = lms[17];
  const dx = lms[54] - cx, dy = lms[55] - cy;
  const h = Math.hypot(dx, dy);
  if (!(h > 0)) throw new Error("parsing_landmarks.ts: landmarks 8 and 27 coincide: expected a face");
  const up: [number, number] = [dx / h, dy / h];
  // Image y points down: for an upright face up = (0, -1), and lat = (-up_y, up_x) = (1, 0).
  const lat: [number, number] = [-up[1], up[0]];
  return { origin: [cx, cy], up, lat, height: h, width: Math.hypot(lms[32] - lms[0], lms[33] - lms[1]) };
}

const pt = (lms: ArrayLike<number>, i: number): [number, number] => [lms[2 * i], lms[2 * i + 1]];

function offset(p: readonly [number, number], f: FaceFrame, dUp: number, dLat: number): [number, number] {
  return [p[0] + f.up[0] * dUp + f.lat[0] * dLat, p[1] + f.up[1] * dUp + f.lat[1] * dLat];
}

/** Options of {@linkcode faceOutline} and {@linkcode parsingFromLandmarks}. */
export interface LandmarkParsingOptions {
  /** Height of the forehead above the brows, as a fraction of the face height H (chin to nose bridge).
   * @default {0.4} */
  readonly foreheadRatio?: number;
  /** Neck half-width as a fraction of the face width W. @default {0.3} */
  readonly neckHalfWidthRatio?: number;
  /** Neck length below the chin, as a fraction of H. @default {0.5} */
  readonly neckLengthRatio?: number;
  /** Hair reaches this far sideways from the face axis, as a fraction of W. @default {0.9} */
  readonly hairHalfWidthRatio?: number;
}

/**
 * The face outline polygon: the jaw line 0..16, then a forehead arc above the brows 26..17, each brow
 * point lifted along the face's up axis by foreheadRatio H times a profile that falls from 1 at the
 * brows' middle to 0.7 at their outer ends.
 * @returns Vertices [x0, y0, ...].
 */
export function faceOutline(lms: ArrayLike<number>, options: LandmarkParsingOptions = {}): Float64Array {
  const f = faceFrame(lms);
  const fh = (options.foreheadRatio ?? 0.4) * f.height;
  const out: number[] = [];
  for (let i = 0; i <= 16; i++) out.push(lms[2 * i], lms[2 * i + 1]);
  const mid = [(lms[42] + lms[44]) / 2, (lms[43] + lms[45]) / 2]; // between points 21 and 22
  const half = Math.max(1e-6, Math.hypot(lms[52] - lms[34], lms[53] - lms[35]) / 2);
  for (let i = 26; i >= 17; i--) {
    const p = pt(lms, i);
    const d = Math.min(1, Math.hypot(p[0] - mid[0], p[1] - mid[1]) / half);
    const q = offset(p, f, fh * (1 - 0.3 * d * d), 0);
    out.push(q[0], q[1]);
  }
  return Float64Array.from(out);
}

/**
 * Jaw height (along the face's up axis, from the chin) at a lateral position: the jaw polyline 0..16
 * interpolated; beyond its ends, the height of its end points.
 */
function jawHeightAt(jaw: { lat: number; up: number }[], s: number): number {
  if (s <= jaw[0].lat) return jaw[0].up;
  if (s >= jaw[jaw.length - 1].lat) return jaw[jaw.length - 1].up;
  for (let k = 1; k < jaw.length; k++) {
    const a = jaw[k - 1], b = jaw[k];
    if (s <= b.lat) return b.lat === a.lat ? b.up : a.up + ((s - a.lat) / (b.lat - a.lat)) * (b.up - a.up);
  }
  return jaw[jaw.length - 1].up;
}

/**
 * An 11-class parsing map (SSP-NeRF ids, {@linkcode CLASS_ID}) from 68 landmarks and a person mask.
 * Painted in order, later classes over earlier ones:
 * 1. person pixels outside the face outline ({@linkcode faceOutline}): above the jaw line (in the face's
 *    axes) and within hairHalfWidthRatio W of the face axis: **hair**; below the jaw line: **neck** within
 *    neckHalfWidthRatio W of the axis down to neckLengthRatio H below the chin, else **torso**; the rest
 *    (beside the head, above the jaw) is **torso** when it lies below the ears' top, else background;
 * 2. **ears**: ellipses beside the jaw points 1 and 15 (centre 0.07 W outward, semi-axes 0.08 W x 0.25 H),
 *    on person pixels outside the face outline only;
 * 3. **face skin**: the face outline (always, whatever the mask says);
 * 4. **brows** (a band 0.07 H thick under and along 17-21 and 22-26), **eyes** (polygons 36-41, 42-47),
 *    **nose** (bridge 27 widened by 0.06 W to the nostril wings 31-35 widened by 0.04 W), **lips** (outer
 *    polygon 48-59), **mouth interior** (inner polygon 60-67, painted over the lips).
 * The proportions are rounded anthropometric ratios (forehead ~ 0.4 of nasion-to-chin height, neck
 * ~ 0.6 of the face width); they are options for data where they fit badly.
 * @param lms 68 landmarks, 136 numbers, pixels.
 * @param personMask Person pixels (1) of the frame, width x height; undefined: only the face parts.
 * @param size Map size.
 * @param options Proportions.
 * @returns Class id per pixel, row-major.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { CLASS_ID, parsingFromLandmarks } from "./parsing_landmarks.ts";
 * import { MEAN_FACE_68 } from "./template.ts";
 * import { projectModel } from "./pose_fit.ts";
 * const lms = projectModel(MEAN_FACE_68, { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], trans: [0, 0, -6] },
 *   { focal: 200, cx: 32, cy: 32 });
 * const ids = parsingFromLandmarks(lms, undefined, { width: 64, height: 64 });
 * const nose = [lms[60], lms[61]]; // point 30, the nose tip
 * assert(ids[Math.floor(nose[1]) * 64 + Math.floor(nose[0])] === CLASS_ID.nose);
 * ```
 */
export function parsingFromLandmarks(
  lms: ArrayLike<number>,
  personMask: Uint8Array | undefined,
  size: MaskSize,
  options: LandmarkParsingOptions = {},
): Uint8Array {
  if (lms.length !== 136) {
    throw new Error(`parsing_landmarks.ts: landmarks must hold 136 numbers (68 x, y): got ${lms.length}`);
  }
  const { width, height } = size;
  if (personMask && personMask.length !== width * height) {
    throw new Error(
      `parsing_landmarks.ts: personMask has ${personMask.length} pixels: expected ${width}x${height} = ${
        width * height
      }`,
    );
  }
  const f = faceFrame(lms);
  const ids = new Uint8Array(width * height);
  const outline = faceOutline(lms, options);
  const face = new Uint8Array(width * height);
  fillPolygon(face, size, outline);

  if (personMask) {
    const jaw = Array.from({ length: 17 }, (_, i) => {
      const dx = lms[2 * i] - f.origin[0], dy = lms[2 * i + 1] - f.origin[1];
      return { lat: dx * f.lat[0] + dy * f.lat[1], up: dx * f.up[0] + dy * f.up[1] };
    }).sort((a, b) => a.lat - b.lat);
    const neckHalf = (options.neckHalfWidthRatio ?? 0.3) * f.width;
    const neckLen = (options.neckLengthRatio ?? 0.5) * f.height;
    const hairHalf = (options.hairHalfWidthRatio ?? 0.9) * f.width;
    const earTop = f.height * 1.1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        if (!personMask[p] || face[p]) continue;
        const dx = x + 0.5 - f.origin[0], dy = y + 0.5 - f.origin[1];
        const s = dx * f.lat[0] + dy * f.lat[1], u = dx * f.up[0] + dy * f.up[1];
        if (u >= jawHeightAt(jaw, s)) {
          if (Math.abs(s) <= hairHalf) ids[p] = CLASS_ID.hair;
          else if (u < earTop) ids[p] = CLASS_ID.torso;
        } else if (Math.abs(s) <= neckHalf && u > -neckLen) ids[p] = CLASS_ID.neck;
        else ids[p] = CLASS_ID.torso;
      }
    }
    // Ears: ellipses beside the upper jaw contour, on person pixels outside the face.
    for (const [i, side] of [[1, -1], [15, 1]] as const) {
      const c = offset(pt(lms, i), f, 0.05 * f.height, side * 0.07 * f.width);
      const a = 0.08 * f.width, b = 0.25 * f.height;
      const r = Math.ceil(Math.max(a, b)) + 1;
      for (let y = Math.max(0, Math.floor(c[1] - r)); y <= Math.min(height - 1, Math.ceil(c[1] + r)); y++) {
        for (let x = Math.max(0, Math.floor(c[0] - r)); x <= Math.min(width - 1, Math.ceil(c[0] + r)); x++) {
          const p = y * width + x;
          if (!personMask[p] || face[p]) continue;
          const dx = x + 0.5 - c[0], dy = y + 0.5 - c[1];
          const s = dx * f.lat[0] + dy * f.lat[1], u = dx * f.up[0] + dy * f.up[1];
          if ((s / a) ** 2 + (u / b) ** 2 <= 1) ids[p] = CLASS_ID.ears;
        }
      }
    }
  }
  for (let p = 0; p < face.length; p++) if (face[p]) ids[p] = CLASS_ID.skin;

  const poly = (idx: number[]) => idx.flatMap((i) => pt(lms, i));
  const t = 0.07 * f.height;
  for (const brow of [[17, 18, 19, 20, 21], [22, 23, 24, 25, 26]]) {
    const upper = brow.map((i) => offset(pt(lms, i), f, 0.2 * t, 0));
    const lower = brow.map((i) => offset(pt(lms, i), f, -0.8 * t, 0)).reverse();
    fillPolygon(ids, size, [...upper, ...lower].flat(), CLASS_ID.brows);
  }
  fillPolygon(ids, size, poly([36, 37, 38, 39, 40, 41]), CLASS_ID.eyes);
  fillPolygon(ids, size, poly([42, 43, 44, 45, 46, 47]), CLASS_ID.eyes);
  const nose = [
    offset(pt(lms, 27), f, 0, -0.06 * f.width),
    offset(pt(lms, 31), f, 0.02 * f.height, -0.04 * f.width),
    pt(lms, 32),
    pt(lms, 33),
    pt(lms, 34),
    offset(pt(lms, 35), f, 0.02 * f.height, 0.04 * f.width),
    offset(pt(lms, 27), f, 0, 0.06 * f.width),
  ];
  fillPolygon(ids, size, nose.flat(), CLASS_ID.nose);
  fillPolygon(ids, size, poly([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]), CLASS_ID.lips);
  fillPolygon(ids, size, poly([60, 61, 62, 63, 64, 65, 66, 67]), CLASS_ID.mouth);
  return ids;
}
