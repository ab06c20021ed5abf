/**
 * Binary masks on the pixel grid (Uint8Array, 1 = inside, row-major, width x height): polygon filling
 * at pixel centres, morphology with square structuring elements, connected components, hole filling.
 * Pixel (i, j) covers [i, i + 1) x [j, j + 1); its centre is (i + 0.5, j + 0.5), as in lib/camera.
 * @module
 */

/** Size of a mask. */
export interface MaskSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Sets to `value` every pixel whose centre lies inside the polygon (even-odd rule, scanline at
 * y = j + 0.5, spans half-open [left, right) so polygons sharing an edge never both claim a pixel).
 * The polygon is closed implicitly.
 * @param mask Mask or label map to paint, width x height.
 * @param size Its size.
 * @param points Vertices [x0, y0, x1, y1, ...] in continuous pixel coordinates.
 * @param value Value to write. @default 1
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fillPolygon } from "./raster.ts";
 * const m = new Uint8Array(16);
 * fillPolygon(m, { width: 4, height: 4 }, [1, 1, 3, 1, 3, 3, 1, 3]); // covers centres 1.5 and 2.5
 * assertEquals(m.reduce((a, b) => a + b, 0), 4);
 * ```
 */
export function fillPolygon(
  mask: Uint8Array,
  size: MaskSize,
  points: ArrayLike<number>,
  value = 1,
): void {
  const { width, height } = size;
  const n = points.length / 2;
  if (n < 3) return;
  let ymin = Infinity, ymax = -Infinity;
  for (let k = 0; k < n; k++) {
    ymin = Math.min(ymin, points[2 * k + 1]), ymax = Math.max(ymax, points[2 * k + 1]);
  }
  const j0 = Math.max(0, Math.ceil(ymin - 0.5)), j1 = Math.min(height - 1, Math.floor(ymax - 0.5));
  const xs: number[] = [];
  for (let j = j0; j <= j1; j++) {
    const y = j + 0.5;
    xs.length = 0;
    for (let k = 0; k < n; k++) {
      const x0 = points[2 * k], y0 = points[2 * k + 1];
      const x1 = points[(2 * k + 2) % (2 * n)], y1 = points[(2 * k + 3) % (2 * n)];
      if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y)) xs.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Half-open spans [left, right): a centre exactly on a right edge belongs to the next polygon.
      const i0 = Math.max(0, Math.ceil(xs[k] - 0.5)),
        i1 = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
      for (let i = i0; i <= i1; i++) mask[j * width + i] = value;
    }
  }
}

function runningExtreme(mask: Uint8Array, size: MaskSize, r: number, take: 0 | 1): Uint8Array {
  const { width, height } = size;
  const tmp = new Uint8Array(mask.length);
  const out = new Uint8Array(mask.length);
  // Separable square element: rows, then columns. A pixel becomes `take` if any pixel within r is.
  for (let j = 0; j < height; j++) {
    // Two sweeps give the nearest `take` pixel on each side.
    const left = new Float64Array(width).fill(-Infinity), right = new Float64Array(width).fill(Infinity);
    let last = -Infinity;
    for (let i = 0; i < width; i++) {
      if (mask[j * width + i] === take) last = i;
      left[i] = last;
    }
    last = Infinity;
    for (let i = width - 1; i >= 0; i--) {
      if (mask[j * width + i] === take) last = i;
      right[i] = last;
    }
    for (let i = 0; i < width; i++) {
      tmp[j * width + i] = i - left[i] <= r || right[i] - i <= r ? take : 1 - take;
    }
  }
  for (let i = 0; i < width; i++) {
    let last = -Infinity;
    const up = new Float64Array(height);
    for (let j = 0; j < height; j++) {
      if (tmp[j * width + i] === take) last = j;
      up[j] = last;
    }
    last = Infinity;
    for (let j = height - 1; j >= 0; j--) {
      if (tmp[j * width + i] === take) last = j;
      out[j * width + i] = j - up[j] <= r || last - j <= r ? take : 1 - take;
    }
  }
  return out;
}

/**
 * Dilation by a (2r+1) x (2r+1) square: a pixel is set when any pixel within Chebyshev distance r is.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { dilate } from "./raster.ts";
 * const m = new Uint8Array(25);
 * m[12] = 1; // centre of 5x5
 * assertEquals(dilate(m, { width: 5, height: 5 }, 1).reduce((a, b) => a + b, 0), 9);
 * ```
 */
export function dilate(mask: Uint8Array, size: MaskSize, r: number): Uint8Array {
  return r <= 0 ? Uint8Array.from(mask, (v) => (v ? 1 : 0)) : runningExtreme(binary(mask), size, r, 1);
}

/** Erosion by a (2r+1) x (2r+1) square (pixels outside the image count as outside the mask). */
export function erode(mask: Uint8Array, size: MaskSize, r: number): Uint8Array {
  if (r <= 0) return binary(mask);
  const { width, height } = size;
  // Pad by r so the border counts as outside, erode as the dilation of the complement.
  const pw = width + 2 * r, ph = height + 2 * r;
  const inv = new Uint8Array(pw * ph).fill(1);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) inv[(j + r) * pw + i + r] = mask[j * width + i] ? 0 : 1;
  }
  const d = runningExtreme(inv, { width: pw, height: ph }, r, 1);
  const out = new Uint8Array(width * height);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) out[j * width + i] = 1 - d[(j + r) * pw + i + r];
  }
  return out;
}

function binary(mask: Uint8Array): Uint8Array {
  return Uint8Array.from(mask, (v) => (v ? 1 : 0));
}

/**
 * 4-connected components of the set pixels.
 * @returns Labels (0 = not set, 1..count) and the pixel count of each label (index 0 unused).
 */
export function connectedComponents(
  mask: Uint8Array,
  size: MaskSize,
): { labels: Int32Array; sizes: number[] } {
  const { width, height } = size;
  const labels = new Int32Array(width * height);
  const sizes = [0];
  const stack: number[] = [];
  for (let p = 0; p < labels.length; p++) {
    if (!mask[p] || labels[p]) continue;
    const id = sizes.length;
    let count = 0;
    labels[p] = id;
    stack.push(p);
    while (stack.length) {
      const q = stack.pop()!;
      count++;
      const x = q % width, y = (q - x) / width;
      if (x > 0 && mask[q - 1] && !labels[q - 1]) labels[q - 1] = id, stack.push(q - 1);
      if (x < width - 1 && mask[q + 1] && !labels[q + 1]) labels[q + 1] = id, stack.push(q + 1);
      if (y > 0 && mask[q - width] && !labels[q - width]) labels[q - width] = id, stack.push(q - width);
      if (y < height - 1 && mask[q + width] && !labels[q + width]) {
        labels[q + width] = id, stack.push(q + width);
      }
    }
    sizes.push(count);
  }
  return { labels, sizes };
}

/**
 * Fills holes: unset regions that do not reach the image border through unset pixels become set.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fillHoles } from "./raster.ts";
 * const m = Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 1]); // a ring around the centre of 3x3
 * assertEquals(fillHoles(m, { width: 3, height: 3 })[4], 1);
 * ```
 */
export function fillHoles(mask: Uint8Array, size: MaskSize): Uint8Array {
  const { width, height } = size;
  const inv = Uint8Array.from(mask, (v) => (v ? 0 : 1));
  const { labels } = connectedComponents(inv, size);
  const outside = new Set<number>();
  for (let i = 0; i < width; i++) outside.add(labels[i]).add(labels[(height - 1) * width + i]);
  for (let j = 0; j < height; j++) outside.add(labels[j * width]).add(labels[j * width + width - 1]);
  return Uint8Array.from(mask, (v, p) => (v || !outside.has(labels[p]) ? 1 : 0));
}
