/**
 * The synthetic portrait's fixed description: camera, body proportions, colours, light, background.
 * Per-frame state (head and torso pose, mouth opening) lives in {@linkcode FrameParams}.
 *
 * Units: one scene unit is one decimetre (10 cm). The camera sits at the origin looking along -z (OpenGL
 * / NeRF convention: x right, y up); the head's centre rests 12 units (1.2 m) in front of it, the
 * background plane 20 units away. The focal length is `focalFactor * height` pixels (2.4 H by default),
 * which makes head and hair about 43 % of the image height, with the neck and shoulders below.
 * @module
 */
import { createRng, type Rng } from "../nn/rng.ts";
import { HEAD_MOTION_DEFAULTS, TORSO_MOTION_DEFAULTS } from "./motion.ts";
import type { Vec3 } from "./rigid.ts";

/** Linear RGB albedo in [0, 1]. */
export type Rgb = readonly [number, number, number];

/** The sweater's pattern: stripes across the body, a check of two stripe sets, or dots. */
export interface ClothingPattern {
  readonly kind: "stripes" | "checks" | "dots";
  /** Repeat length, scene units. */
  readonly period: number;
}

/** The background plane's picture: a vertical gradient, soft discs, a shelf line, a framed picture. */
export interface BackgroundLayout {
  /** Colours at the bottom and top of the gradient. */
  readonly bottom: Rgb;
  readonly top: Rgb;
  /** Soft discs at (x, y) of radius r (plane units). */
  readonly discs: readonly { readonly x: number; readonly y: number; readonly r: number; readonly c: Rgb }[];
  /** Height of the shelf line's centre. */
  readonly shelfY: number;
  /** The framed picture's box [x0, x1] x [y0, y1], frame and fill colours. */
  readonly picture: {
    readonly x0: number;
    readonly x1: number;
    readonly y0: number;
    readonly y1: number;
    readonly frame: Rgb;
    readonly fill: Rgb;
  };
}

/** Everything about the portrait that does not change over time. JSON-serialisable. */
export interface PortraitScene {
  /** Image width, pixels. */
  readonly width: number;
  /** Image height, pixels. */
  readonly height: number;
  /** Focal length, pixels (square pixels). */
  readonly focal: number;
  /** Principal point, pixels: the image centre (W/2, H/2). */
  readonly cx: number;
  readonly cy: number;
  /** Scene unit, for people reading the ground truth. */
  readonly units: "decimetre";
  /** Distance of the background plane (it is the plane z = -backgroundDepth of the camera frame). */
  readonly backgroundDepth: number;
  /** Head rotation centre in canonical head coordinates (top of the neck). */
  readonly headPivot: Vec3;
  /** Canonical head origin in the camera frame at rest. */
  readonly headRest: Vec3;
  /** Torso rotation centre in torso coordinates. */
  readonly torsoPivot: Vec3;
  /** Torso origin (base of the neck) in the camera frame at rest. */
  readonly torsoRest: Vec3;
  /** Largest vertical separation of the lips (mouth opening 1), scene units. */
  readonly maxLipSeparation: number;
  /** Share of the lip separation taken by the jaw (lower lip and chin move down); the rest lifts the upper lip. */
  readonly jawShare: number;
  /** Unit vector towards the light, camera frame. */
  readonly lightDir: Vec3;
  /** Ambient and diffuse weights of the Lambert shading. */
  readonly ambient: number;
  readonly diffuse: number;
  /** Albedos. */
  readonly colors: {
    readonly skin: Rgb;
    readonly lips: Rgb;
    readonly mouth: Rgb;
    readonly teeth: Rgb;
    readonly brows: Rgb;
    readonly eyeWhite: Rgb;
    readonly iris: Rgb;
    readonly hair: Rgb;
    readonly shirt: Rgb;
    readonly stripe: Rgb;
    readonly collar: Rgb;
  };
  /** Near / far distances that bound head, neck and visible torso from every frame's camera (a hint). */
  readonly near: number;
  readonly far: number;
  /** The seed of the person's look, or null for the committed portrait. */
  readonly identity: number | null;
  /** Pattern of the sweater. */
  readonly clothing: ClothingPattern;
  /** Height of the hairline on the forehead, head units (higher: more forehead). */
  readonly hairline: number;
  /** The background plane's picture. */
  readonly background: BackgroundLayout;
}

/** Options of {@linkcode portraitScene}. */
export interface PortraitSceneOptions {
  /** Image width, pixels. @default {128} */
  readonly width?: number;
  /** Image height, pixels. @default {128} */
  readonly height?: number;
  /** Focal length over image height. @default {2.4} */
  readonly focalFactor?: number;
  /** Override colours. */
  readonly colors?: Partial<PortraitScene["colors"]>;
  /** Seed of another person: skin tone, hair colour and hairline, eye and lip colours, clothing colours
   * and pattern, background layout ({@linkcode identityLook}). Absent: the committed portrait. */
  readonly identity?: number;
}

const DEFAULT_COLORS: PortraitScene["colors"] = {
  skin: [0.86, 0.66, 0.54],
  lips: [0.72, 0.3, 0.33],
  mouth: [0.3, 0.07, 0.09],
  teeth: [0.93, 0.91, 0.85],
  brows: [0.22, 0.14, 0.1],
  eyeWhite: [0.94, 0.94, 0.91],
  iris: [0.28, 0.18, 0.1],
  hair: [0.25, 0.16, 0.1],
  shirt: [0.2, 0.34, 0.6],
  stripe: [0.55, 0.68, 0.85],
  collar: [0.95, 0.95, 0.93],
};

/** The committed portrait's sweater, hairline and background. */
export const DEFAULT_CLOTHING: ClothingPattern = { kind: "stripes", period: 0.34 };
export const DEFAULT_HAIRLINE = 0.43;
export const DEFAULT_BACKGROUND: BackgroundLayout = {
  bottom: [0.57, 0.6, 0.68],
  top: [0.8, 0.85, 0.91],
  discs: [
    { x: -2.8, y: 2.6, r: 0.9, c: [0.93, 0.85, 0.68] },
    { x: 3.0, y: 1.3, r: 1.3, c: [0.68, 0.84, 0.76] },
    { x: -3.3, y: -1.7, r: 1.1, c: [0.86, 0.71, 0.8] },
    { x: 1.2, y: 3.6, r: 0.6, c: [0.95, 0.93, 0.8] },
  ],
  shelfY: -0.5,
  picture: { x0: 2.2, x1: 3.8, y0: -3.8, y1: -1.2, frame: [0.42, 0.33, 0.26], fill: [0.62, 0.58, 0.5] },
};

const lerp = (a: Rgb, b: Rgb, t: number): Rgb =>
  [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t) as unknown as Rgb;
const round3 = (c: readonly number[]): Rgb => c.map((v) => Math.round(v * 1000) / 1000) as unknown as Rgb;

/** A colour of hue h (turns), saturation s and value v. */
function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return round3([f(5), f(3), f(1)]);
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng.next() * items.length)];

/**
 * The look of person `seed`: skin tone on a light-to-dark scale, hair colour (black, browns, blond, red,
 * grey) and hairline, iris colour, lips from the skin, a sweater of a random hue with a contrasting
 * pattern (stripes, checks or dots of a random period), and a background of another gradient with 3-5
 * discs and the picture on either side. The same seed gives the same look.
 * @param seed Any integer.
 * @returns Colours, clothing, hairline and background.
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { identityLook } from "./scene.ts";
 * assertEquals(identityLook(3), identityLook(3));
 * assertNotEquals(identityLook(3).colors.skin, identityLook(4).colors.skin);
 * ```
 */
export function identityLook(seed: number): {
  colors: PortraitScene["colors"];
  clothing: ClothingPattern;
  hairline: number;
  background: BackgroundLayout;
} {
  if (!Number.isInteger(seed)) throw new Error(`scene.ts: identity must be an integer: got ${seed}`);
  const rng = createRng((seed ^ 0x1d872b41) >>> 0);
  const skin = round3(lerp([0.93, 0.76, 0.65], [0.38, 0.24, 0.17], rng.next()));
  const hair = round3(
    pick(rng, [
      [0.06, 0.05, 0.05],
      [0.25, 0.16, 0.1],
      [0.4, 0.27, 0.16],
      [0.75, 0.6, 0.35],
      [0.55, 0.22, 0.1],
      [0.6, 0.6, 0.6],
    ] as Rgb[]).map((v) => v * (0.85 + 0.3 * rng.next())),
  );
  const iris = pick(
    rng,
    [[0.28, 0.18, 0.1], [0.2, 0.35, 0.55], [0.25, 0.4, 0.25], [0.1, 0.07, 0.05]] as Rgb[],
  );
  const hue = rng.next();
  const shirt = hsv(hue, 0.35 + 0.45 * rng.next(), 0.3 + 0.45 * rng.next());
  const stripe = hsv((hue + 0.1 + 0.3 * rng.next()) % 1, 0.2 + 0.4 * rng.next(), 0.75 + 0.2 * rng.next());
  const bgHue = rng.next();
  const discs = Array.from({ length: 3 + Math.floor(rng.next() * 3) }, () => {
    const side = rng.next() < 0.5 ? -1 : 1;
    return {
      x: Math.round(side * (2 + 1.8 * rng.next()) * 100) / 100,
      y: Math.round((-3 + 7 * rng.next()) * 100) / 100,
      r: Math.round((0.5 + 0.9 * rng.next()) * 100) / 100,
      c: hsv(rng.next(), 0.15 + 0.25 * rng.next(), 0.75 + 0.2 * rng.next()),
    };
  });
  const px = rng.next() < 0.5 ? -1 : 1;
  const x0 = Math.round(px * (2 + 0.6 * rng.next()) * 100) / 100, w = 1.2 + 0.8 * rng.next();
  const y1 = Math.round((-0.9 - 0.6 * rng.next()) * 100) / 100;
  return {
    colors: {
      skin,
      lips: round3([skin[0] * 0.85, skin[1] * 0.45, skin[2] * 0.55]),
      mouth: [0.3, 0.07, 0.09],
      teeth: [0.93, 0.91, 0.85],
      brows: round3(hair.map((v) => v * 0.8)),
      eyeWhite: [0.94, 0.94, 0.91],
      iris,
      hair,
      shirt,
      stripe,
      collar: rng.next() < 0.6 ? [0.95, 0.95, 0.93] : round3(shirt.map((v) => v * 0.5)),
    },
    clothing: {
      kind: pick(rng, ["stripes", "checks", "dots"] as const),
      period: Math.round((0.22 + 0.25 * rng.next()) * 1000) / 1000,
    },
    hairline: Math.round((0.36 + 0.14 * rng.next()) * 1000) / 1000,
    background: {
      bottom: hsv(bgHue, 0.1 + 0.2 * rng.next(), 0.5 + 0.2 * rng.next()),
      top: hsv((bgHue + 0.05) % 1, 0.05 + 0.15 * rng.next(), 0.8 + 0.15 * rng.next()),
      discs,
      shelfY: Math.round((-1 + 1.4 * rng.next()) * 100) / 100,
      picture: {
        x0: px < 0 ? Math.round((x0 - w) * 100) / 100 : x0,
        x1: px < 0 ? x0 : Math.round((x0 + w) * 100) / 100,
        y0: Math.round((y1 - 1.5 - rng.next()) * 100) / 100,
        y1,
        frame: hsv(rng.next(), 0.4, 0.3 + 0.2 * rng.next()),
        fill: hsv(rng.next(), 0.2 + 0.3 * rng.next(), 0.5 + 0.3 * rng.next()),
      },
    },
  };
}

/**
 * Describes the portrait for an image size.
 * @param options Size, focal factor, colours.
 * @returns The scene (plain data; stored in `synthetic_gt.json`).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { portraitScene } from "./scene.ts";
 * const scene = portraitScene({ width: 64, height: 48 });
 * assertEquals([scene.cx, scene.cy, scene.focal], [32, 24, 115.2]);
 * ```
 */
export function portraitScene(options: PortraitSceneOptions = {}): PortraitScene {
  const width = options.width ?? 128;
  const height = options.height ?? 128;
  const focalFactor = options.focalFactor ?? 2.4;
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 8 || v > 4096) {
      throw new Error(`scene.ts: portraitScene ${name} must be an integer in [8, 4096]: got ${v}`);
    }
  }
  if (!(focalFactor > 0)) {
    throw new Error(`scene.ts: portraitScene focalFactor must be > 0: got ${focalFactor}`);
  }
  const look = options.identity === undefined ? undefined : identityLook(options.identity);
  const l: Vec3 = [-0.35, 0.5, 0.8];
  const ln = Math.hypot(...l);
  return {
    width,
    height,
    focal: Math.round(focalFactor * height * 1e6) / 1e6,
    cx: width / 2,
    cy: height / 2,
    units: "decimetre",
    backgroundDepth: 20,
    headPivot: [...HEAD_MOTION_DEFAULTS.pivot],
    headRest: [...HEAD_MOTION_DEFAULTS.restPosition],
    torsoPivot: [...TORSO_MOTION_DEFAULTS.pivot],
    torsoRest: [...TORSO_MOTION_DEFAULTS.restPosition],
    maxLipSeparation: 0.2,
    jawShare: 0.75,
    lightDir: [l[0] / ln, l[1] / ln, l[2] / ln],
    ambient: 0.42,
    diffuse: 0.62,
    colors: { ...(look?.colors ?? DEFAULT_COLORS), ...options.colors },
    near: 8,
    far: 16,
    identity: options.identity ?? null,
    clothing: look?.clothing ?? DEFAULT_CLOTHING,
    hairline: look?.hairline ?? DEFAULT_HAIRLINE,
    background: look?.background ?? DEFAULT_BACKGROUND,
  };
}
