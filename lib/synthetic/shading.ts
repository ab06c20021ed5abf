/**
 * Colours of the synthetic portrait: albedo textures fixed to each part (so they are static in the
 * part's own frame and learnable), Lambert + ambient shading from one fixed light, and the background.
 * @module
 */
import { eyeOpening, EYES, type FrameBody } from "./body.ts";
import { type Hit, PART } from "./cast.ts";
import { type BackgroundLayout, DEFAULT_BACKGROUND, type PortraitScene, type Rgb } from "./scene.ts";

function hash3(x: number, y: number, z: number): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(z | 0, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const fade = (t: number) => t * t * (3 - 2 * t);

/**
 * Smooth value noise: random values at integer lattice points, blended with smoothstep weights.
 * Deterministic (no seed): the same point always gives the same value.
 * @returns A value in [0, 1).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { valueNoise3 } from "./shading.ts";
 * const v = valueNoise3(0.3, 1.7, -2.2);
 * assert(v >= 0 && v < 1 && v === valueNoise3(0.3, 1.7, -2.2));
 * ```
 */
export function valueNoise3(x: number, y: number, z: number): number {
  const xi = Math.floor(x), yi = Math.floor(y), zi = Math.floor(z);
  const u = fade(x - xi), v = fade(y - yi), w = fade(z - zi);
  let s = 0;
  for (let k = 0; k < 8; k++) {
    const dx = k & 1, dy = (k >> 1) & 1, dz = (k >> 2) & 1;
    const wt = (dx ? u : 1 - u) * (dy ? v : 1 - v) * (dz ? w : 1 - w);
    s += wt * hash3(xi + dx, yi + dy, zi + dz);
  }
  return s;
}

const smooth = (a: number, b: number, x: number) => fade(Math.min(1, Math.max(0, (x - a) / (b - a))));

function set(out: Float64Array, c: Rgb, k = 1): void {
  out[0] = c[0] * k;
  out[1] = c[1] * k;
  out[2] = c[2] * k;
}

function mix(out: Float64Array, a: Rgb, b: Rgb, t: number): void {
  for (let i = 0; i < 3; i++) out[i] = a[i] + (b[i] - a[i]) * t;
}

/**
 * Albedo of a hit surface, from its material and its point in the part's own coordinates.
 * @param scene Colours.
 * @param body The frame (the mouth's teeth sit at the top of the cavity).
 * @param hit A hit filled by `castRay`.
 * @param out RGB in [0, 1], written.
 */
export function albedo(scene: PortraitScene, body: FrameBody, hit: Hit, out: Float64Array): void {
  const C = scene.colors;
  const p = hit.p;
  switch (hit.material) {
    case "skin":
    case "nose":
    case "ear": {
      const k = 1 + 0.14 * (valueNoise3(6 * p[0], 6 * p[1], 6 * p[2]) - 0.5) +
        0.05 * (valueNoise3(23 * p[0], 23 * p[1], 23 * p[2]) - 0.5);
      set(out, C.skin, hit.material === "ear" ? 0.93 * k : k);
      const blush = p[2] > 0 ? Math.exp(-((Math.abs(p[0]) - 0.42) ** 2 + (p[1] + 0.12) ** 2) / 0.02) : 0;
      out[0] += 0.05 * blush;
      out[1] -= 0.06 * blush;
      out[2] -= 0.04 * blush;
      if (hit.material === "nose") out[1] *= 0.97;
      return;
    }
    case "neck": {
      const k = 0.9 + 0.06 * (valueNoise3(5 * p[0], 5 * p[1], 5 * p[2]) - 0.5);
      set(out, C.skin, k);
      return;
    }
    case "lips": {
      const k = 1 + 0.12 * (valueNoise3(3 * p[0], 40 * p[1], 3 * p[2]) - 0.5);
      set(out, C.lips, k);
      return;
    }
    case "mouth": {
      const c = body.cavity;
      const teeth = c && p[1] > c.c[1] + c.up - 0.055 && Math.abs(p[0]) < 0.15;
      if (teeth) set(out, C.teeth, 0.95 + 0.1 * Math.abs(Math.sin(Math.PI * p[0] / 0.05)));
      else set(out, C.mouth, 0.7 + 0.3 * smooth(0.3, 0.6, p[2]));
      return;
    }
    case "eye": {
      const dx = Math.abs(p[0]) - EYES.x, dy = p[1] - EYES.y;
      const r = Math.hypot(dx, dy);
      if (r < EYES.pupil) set(out, [0.05, 0.04, 0.04]);
      else if (r < EYES.iris) set(out, C.iris, 0.85 + 0.3 * valueNoise3(60 * dx, 60 * dy, 0));
      else set(out, C.eyeWhite, 1 - 0.25 * smooth(0.5, 1, Math.abs(dx) / EYES.halfWidth));
      return;
    }
    case "lid": {
      // skin a little shaded, with a dark lash line along the upper lid's edge
      const dx = Math.abs(p[0]) - EYES.x, dy = p[1] - EYES.y;
      const edge = eyeOpening(dx / EYES.halfWidth, body.eyeClosure).upper;
      if (dy >= edge && dy < edge + 0.018) set(out, C.brows, 0.8);
      else set(out, C.skin, 0.9);
      return;
    }
    case "brow": {
      set(out, C.brows, 0.85 + 0.3 * valueNoise3(40 * p[0], 10 * p[1], 0));
      return;
    }
    case "hair": {
      const strands = valueNoise3(14 * p[0], 3 * p[1], 14 * p[2]);
      set(out, C.hair, 0.75 + 0.5 * strands);
      return;
    }
    case "shirt": {
      if (hit.part !== PART.torso) break;
      // a V-neck sweater over a white T-shirt
      const ax = Math.abs(p[0]), edge = p[1] - (-0.78 + 1.3 * ax);
      if (p[2] > 0 && ax < 0.6 && edge > 0) {
        set(out, C.collar, 0.95 + 0.05 * valueNoise3(20 * p[0], 20 * p[1], 0));
        return;
      }
      if (p[2] > 0 && ax < 0.7 && edge > -0.07) {
        set(out, C.shirt, 0.6);
        return;
      }
      const { kind, period } = scene.clothing;
      const wave = (v: number) => smooth(0.55, 0.85, 0.5 + 0.5 * Math.sin((2 * Math.PI * v) / period));
      const stripe = kind === "stripes"
        ? wave(p[1])
        : kind === "checks"
        ? Math.max(wave(p[1]), wave(p[0]))
        : smooth(
          0.6,
          0.8,
          (0.5 + 0.5 * Math.sin((2 * Math.PI * p[0]) / period)) *
            (0.5 + 0.5 * Math.sin((2 * Math.PI * p[1]) / period)),
        );
      mix(out, C.shirt, C.stripe, 0.6 * stripe);
      if (p[2] > 0 && Math.abs(p[0]) < 0.035 && p[1] < -0.3) set(out, C.shirt, 0.55); // button placket
      const k = 0.94 + 0.12 * valueNoise3(9 * p[0], 9 * p[1], 9 * p[2]);
      for (let i = 0; i < 3; i++) out[i] *= k;
      return;
    }
  }
  set(out, [1, 0, 1]); // unknown material: loud magenta
}

/**
 * Shaded colour of a hit: albedo * (ambient + diffuse * max(0, n . l)).
 * @param scene Light and colours.
 * @param body The frame.
 * @param hit A hit filled by `castRay`.
 * @param out RGB, written.
 */
export function shade(scene: PortraitScene, body: FrameBody, hit: Hit, out: Float64Array): void {
  albedo(scene, body, hit, out);
  const l = scene.lightDir, n = hit.n;
  const k = scene.ambient + scene.diffuse * Math.max(0, n[0] * l[0] + n[1] * l[1] + n[2] * l[2]);
  for (let i = 0; i < 3; i++) out[i] *= k;
}

/**
 * Colour of the background plane at a point of it (camera-frame x, y on z = -backgroundDepth): a vertical
 * gradient with soft discs, a shelf line and a framed picture, unshaded.
 * @param x Plane coordinate (scene units).
 * @param y Plane coordinate (scene units).
 * @param out RGB, written.
 * @param layout The picture on the plane. @default {DEFAULT_BACKGROUND}
 */
export function backgroundColor(
  x: number,
  y: number,
  out: Float64Array,
  layout: BackgroundLayout = DEFAULT_BACKGROUND,
): void {
  const t = smooth(-4.5, 4.5, y);
  mix(out, layout.bottom, layout.top, t);
  for (const d of layout.discs) {
    const a = 1 - smooth(d.r - 0.12, d.r + 0.12, Math.hypot(x - d.x, y - d.y));
    if (a > 0) { for (let i = 0; i < 3; i++) out[i] += (d.c[i] - out[i]) * a * 0.8; }
  }
  if (y > layout.shelfY - 0.1 && y < layout.shelfY + 0.1) { for (let i = 0; i < 3; i++) out[i] *= 0.82; // a shelf
   }
  const p = layout.picture;
  if (x > p.x0 && x < p.x1 && y > p.y0 && y < p.y1) {
    const edge = Math.min(x - p.x0, p.x1 - x, y - p.y0, p.y1 - y) < 0.12;
    set(out, edge ? p.frame : p.fill); // a picture frame
  }
}
