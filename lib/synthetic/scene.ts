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
import { HEAD_MOTION_DEFAULTS, TORSO_MOTION_DEFAULTS } from "./motion.ts";
import type { Vec3 } from "./rigid.ts";

/** Linear RGB albedo in [0, 1]. */
export type Rgb = readonly [number, number, number];

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
    colors: { ...DEFAULT_COLORS, ...options.colors },
    near: 8,
    far: 16,
  };
}
