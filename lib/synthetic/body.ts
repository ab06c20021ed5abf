/**
 * The portrait's anatomy for one frame: the solids of the head (in canonical head coordinates), the torso
 * (in torso coordinates), the neck (in the camera frame, joining the two), the mouth cavity, and the
 * painted regions (eyes, brows) on the skin.
 *
 * Canonical head coordinates (scene units, decimetres): origin at the head's centre, x towards the
 * person's left (image right when facing the camera), y up, the face looking along +z.
 * Torso coordinates: origin at the base of the neck, same axes.
 * @module
 */
import { SSP11_CLASS } from "../data/palette.ts";
import type { Solid } from "./geometry.ts";
import { type RigidPose, rotate, rotationFromEuler, type Vec3 } from "./rigid.ts";
import type { PortraitScene } from "./scene.ts";

/** SSPNERF11 class ids used by the renderer. */
export const CLASS = SSP11_CLASS;

/** The time-varying state of one frame. */
export interface FrameParams {
  /** Head pose: canonical head points X are at R X + t in the camera frame (AD-NeRF `euler`, `trans`). */
  readonly head: RigidPose;
  /** Torso pose: torso points Y are at Rt Y + tt in the camera frame. */
  readonly torso: RigidPose;
  /** Mouth opening in [0, 1]; the lips separate by `mouthOpen * scene.maxLipSeparation`. */
  readonly mouthOpen: number;
  /** Eyelid closure in [0, 1] (0 open, 1 shut, see `eyeOpening`). @default {0} */
  readonly eyeClosure?: number;
}

/** The mouth cavity: two half-ellipsoids sharing a centre, above and below the lip line. */
export interface Cavity {
  readonly c: Vec3;
  /** Half-width, height above and below the lip line, depth. */
  readonly w: number;
  readonly up: number;
  readonly down: number;
  readonly depth: number;
  /** The two halves as clipped ellipsoids (upper, then lower). */
  readonly halves: readonly Solid[];
}

/** The solids of one frame, grouped by the frame they live in, and the parts' poses. */
export interface FrameBody {
  readonly head: readonly Solid[];
  readonly torso: readonly Solid[];
  /** Solids in the camera frame (the neck). */
  readonly world: readonly Solid[];
  /** The mouth cavity in head coordinates, or null when the lips touch. */
  readonly cavity: Cavity | null;
  /** Rotation (row-major) and translation of head and torso. */
  readonly headR: Float64Array;
  readonly headT: Vec3;
  readonly torsoR: Float64Array;
  readonly torsoT: Vec3;
  /** Lip line height and lip half-width (head coordinates). */
  readonly mouthY: number;
  readonly mouthW: number;
  /** Vertical lip separation, scene units. */
  readonly lipSeparation: number;
  /** Eyelid closure in [0, 1]. */
  readonly eyeClosure: number;
}

/** Lip line at rest and the mouth's half-width. */
export const MOUTH_Y = -0.47;
export const MOUTH_W = 0.23;
/** Eye centres (x, y) and the almond's half-width and half-height, head coordinates. */
export const EYES = {
  x: 0.29,
  y: 0.17,
  halfWidth: 0.135,
  halfHeight: 0.065,
  iris: 0.05,
  pupil: 0.022,
} as const;
/** Where the neck is attached: a point of the head and a point of the torso. */
export const NECK = {
  head: [0, -0.55, -0.12] as Vec3,
  torso: [0, -0.15, -0.05] as Vec3,
  radius: 0.34,
} as const;

const E = (
  c: Vec3,
  s: Vec3,
  cls: number,
  material: string,
  extra: Partial<Solid> = {},
): Solid => ({ kind: "ellipsoid", c, s, cls, material, ...extra });

const capsule = (
  c: Vec3,
  s: Vec3,
  a: Vec3,
  b: Vec3,
  cls: number,
  material: string,
): Solid => ({
  kind: "capsule",
  c,
  s,
  a: [a[0] / s[0], a[1] / s[1], a[2] / s[2]],
  b: [b[0] / s[0], b[1] / s[1], b[2] / s[2]],
  cls,
  material,
});

/**
 * Builds the solids of a frame.
 * @param scene The portrait.
 * @param frame Head pose, torso pose, mouth opening.
 * @returns The frame's body.
 */
export function frameBody(scene: PortraitScene, frame: FrameParams): FrameBody {
  if (!(frame.mouthOpen >= 0 && frame.mouthOpen <= 1)) {
    throw new Error(`body.ts: frame.mouthOpen must be in [0, 1]: got ${frame.mouthOpen}`);
  }
  const eyeClosure = frame.eyeClosure ?? 0;
  if (!(eyeClosure >= 0 && eyeClosure <= 1)) {
    throw new Error(`body.ts: frame.eyeClosure must be in [0, 1]: got ${frame.eyeClosure}`);
  }
  const g = frame.mouthOpen * scene.maxLipSeparation;
  const down = scene.jawShare * g, up = g - down;
  const y = MOUTH_Y, w = MOUTH_W;
  const { skin, nose, ears, hair, lips } = { skin: 1, nose: 5, ears: 4, hair: 10, lips: 7 };
  const hairN = Math.hypot(1, 0.6);
  const head: Solid[] = [
    E([0, 0.05, 0], [0.78, 1.02, 0.9], skin, "skin", { carve: true }),
    E([0, -0.5 - 0.8 * down, 0.1], [0.6, 0.55, 0.7], skin, "skin", { carve: true }),
    E([0, 0.05, 0.82], [0.075, 0.22, 0.12], nose, "nose"),
    E([0, -0.13, 0.88], [0.1, 0.1, 0.12], nose, "nose"),
    E([0, -0.19, 0.83], [0.17, 0.07, 0.09], nose, "nose"),
    E([-0.77, 0.02, -0.05], [0.09, 0.2, 0.13], ears, "ear"),
    E([0.77, 0.02, -0.05], [0.09, 0.2, 0.13], ears, "ear"),
    E([0, 0.08, -0.06], [0.84, 1.09, 0.99], hair, "hair", {
      clip: { n: [0, 1 / hairN, -0.6 / hairN], k: scene.hairline / hairN },
    }),
    E([0, y, 0.77], [w, 0.07 + up, 0.11], lips, "lips", { clip: { n: [0, 1, 0], k: y }, carve: true }),
    E([0, y, 0.77], [w, 0.08 + down, 0.11], lips, "lips", { clip: { n: [0, -1, 0], k: -y }, carve: true }),
  ];
  const torso: Solid[] = [
    capsule([0, 0, 0], [0.45, 0.45, 0.4], [-0.35, -0.15, 0], [-1.6, -0.55, 0], 9, "shirt"),
    capsule([0, 0, 0], [0.45, 0.45, 0.4], [0.35, -0.15, 0], [1.6, -0.55, 0], 9, "shirt"),
    capsule([0, -1.4, -0.02], [1.5, 1, 0.75], [0, -3, 0], [0, 0.55, 0], 9, "shirt"),
  ];
  const headR = rotationFromEuler(frame.head.euler);
  const torsoR = rotationFromEuler(frame.torso.euler);
  const top = add(rotate(headR, NECK.head), frame.head.trans);
  const bottom = add(rotate(torsoR, NECK.torso), frame.torso.trans);
  const r = NECK.radius;
  const world: Solid[] = [capsule([0, 0, 0], [r, r, r], top, bottom, 8, "neck")];
  const cavity = g > 1e-6 ? makeCavity([0, y, 0.72], 0.95 * w, up, down, 0.36) : null;
  return {
    head,
    torso,
    world,
    cavity,
    headR,
    headT: [...frame.head.trans],
    torsoR,
    torsoT: [...frame.torso.trans],
    mouthY: y,
    mouthW: w,
    lipSeparation: g,
    eyeClosure,
  };
}

function makeCavity(c: Vec3, w: number, up: number, down: number, depth: number): Cavity {
  const halves: Solid[] = [];
  if (up > 0) halves.push(E(c, [w, up, depth], CLASS.mouth, "mouth", { clip: { n: [0, 1, 0], k: c[1] } }));
  if (down > 0) {
    halves.push(E(c, [w, down, depth], CLASS.mouth, "mouth", { clip: { n: [0, -1, 0], k: -c[1] } }));
  }
  return { c, w, up, down, depth, halves };
}

function add(a: readonly number[], b: readonly number[]): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/** What {@linkcode paintedClass} returns for the eyelid: skin painted over the eye's almond. */
export const EYELID = -2;

/** Shares of the closing taken by the upper lid (it falls) and the lower lid (it rises). */
export const LID_SHARE = { upper: 0.8, lower: 0.2 } as const;

/**
 * The eye's opening at closure c across the almond (u = dx / halfWidth in (-1, 1)): with h the almond's
 * half-height there, the eye shows between `lower = -h + 2 c h LID_SHARE.lower` and
 * `upper = h - 2 c h LID_SHARE.upper` (offsets from the eye centre's height); the lids meet at
 * -0.6 h when c = 1.
 * @param u Position across the eye, -1 (corner) to 1 (corner).
 * @param closure Eyelid closure in [0, 1].
 * @returns Heights of the lower and upper lid edges, head units from `EYES.y`.
 */
export function eyeOpening(u: number, closure: number): { lower: number; upper: number } {
  const h = EYES.halfHeight * (1 - u * u);
  return { lower: -h + 2 * closure * h * LID_SHARE.lower, upper: h - 2 * closure * h * LID_SHARE.upper };
}

/**
 * Class painted on the skin at a head point (eyes and brows are painted, not modelled), or -1.
 * @param p Point on the head's skin, canonical coordinates.
 * @param closure Eyelid closure in [0, 1]: the lids cover the almond from above and below.
 * @returns CLASS.eyes, CLASS.brows, {@linkcode EYELID} (skin over the almond) or -1.
 */
export function paintedClass(p: ArrayLike<number>, closure = 0): number {
  if (p[2] < 0.4 || p[1] < 0 || p[1] > 0.5) return -1;
  const ax = Math.abs(p[0]);
  const dx = ax - EYES.x, dy = p[1] - EYES.y;
  if (Math.abs(dx) < EYES.halfWidth) {
    const u = dx / EYES.halfWidth;
    if (Math.abs(dy) < EYES.halfHeight * (1 - u * u)) {
      if (closure === 0) return CLASS.eyes;
      const o = eyeOpening(u, closure);
      return dy > o.lower && dy < o.upper ? CLASS.eyes : EYELID;
    }
  }
  const b = browAt(ax);
  if (b && Math.abs(p[1] - b.y) < b.half) return CLASS.brows;
  return -1;
}

/** The brow's centre line height and half thickness at |x|, or undefined outside the brow. */
export function browAt(ax: number): { y: number; half: number } | undefined {
  const u = (ax - 0.13) / 0.34;
  if (u < 0 || u > 1) return undefined;
  return { y: 0.345 + 0.055 * Math.sin(Math.PI * (0.2 + 0.8 * u)), half: 0.042 * (1 - 0.45 * u) };
}
