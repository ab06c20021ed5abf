/**
 * Smooth, seeded motion paths of the synthetic portrait: the head pose (rotating about a pivot at the
 * neck) and the torso's own slower sway and shrug, which does not follow the head.
 *
 * Every angle or offset is a weighted sum of three sinusoids with seeded phases and slightly seeded
 * frequencies; the weights sum to 1, so a path never leaves [-amplitude, amplitude].
 * @module
 */
import { createRng, type Rng } from "../nn/rng.ts";
import { type RigidPose, rotationFromEuler, translationAboutPivot, type Vec3 } from "./rigid.ts";

const DEG = Math.PI / 180;

/** Options of {@linkcode headPosePath}. */
export interface HeadPoseOptions {
  /** Frames per second. @default {25} */
  readonly fps?: number;
  /** Seed of the phases and frequencies. @default {0} */
  readonly seed?: number;
  /** Largest rotation about x (nod), y (turn), z (tilt), degrees; one number for all three. @default {[10, 15, 8]} */
  readonly amplitudeDeg?: number | readonly [number, number, number];
  /** Largest translation along x, y, z (scene units, decimetres). @default {[0.1, 0.08, 0.25]} */
  readonly translationAmplitude?: readonly [number, number, number];
  /** Rotation centre in the head's canonical frame (the top of the neck). @default {[0, -0.85, -0.1]} */
  readonly pivot?: readonly [number, number, number];
  /** Where the canonical origin sits in the camera frame at rest. @default {[0, 0.62, -12]} */
  readonly restPosition?: readonly [number, number, number];
}

/** Options of {@linkcode torsoMotionPath}. */
export interface TorsoMotionOptions {
  /** Frames per second. @default {25} */
  readonly fps?: number;
  /** Seed (a stream separate from the head's is derived from it). @default {0} */
  readonly seed?: number;
  /** Largest rotation about x (lean), y (twist), z (sway), degrees. @default {[2, 4, 3]} */
  readonly amplitudeDeg?: readonly [number, number, number];
  /** Largest translation along x (shift), y (shrug), z (lean), scene units. @default {[0.12, 0.06, 0.08]} */
  readonly translationAmplitude?: readonly [number, number, number];
  /** Rotation centre in the torso frame (low on the spine, below the picture). @default {[0, -2.5, 0]} */
  readonly pivot?: readonly [number, number, number];
  /** Where the torso origin (the base of the neck) sits in the camera frame at rest. @default {[0, -1.2, -12.1]} */
  readonly restPosition?: readonly [number, number, number];
}

/** Default options of both paths, recorded in the ground truth. */
export const HEAD_MOTION_DEFAULTS = {
  fps: 25,
  seed: 0,
  amplitudeDeg: [10, 15, 8] as Vec3,
  translationAmplitude: [0.1, 0.08, 0.25] as Vec3,
  pivot: [0, -0.85, -0.1] as Vec3,
  restPosition: [0, 0.62, -12] as Vec3,
} as const;

/** Defaults of {@linkcode torsoMotionPath}. */
export const TORSO_MOTION_DEFAULTS = {
  fps: 25,
  seed: 0,
  amplitudeDeg: [2, 4, 3] as Vec3,
  translationAmplitude: [0.12, 0.06, 0.08] as Vec3,
  pivot: [0, -2.5, 0] as Vec3,
  restPosition: [0, -1.2, -12.1] as Vec3,
} as const;

const HEAD_FREQS = [0.11, 0.23, 0.41];
const TORSO_FREQS = [0.06, 0.15, 0.29];
const WEIGHTS = [0.55, 0.3, 0.15];

/** Defaults overridden by the options that are set (an explicit `undefined` keeps the default). */
function withDefaults<T extends object>(defaults: T, options: object): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** One smooth channel: sum_k w_k sin(2 pi f_k t + phi_k), |value| <= 1. */
function channel(rng: Rng, freqs: readonly number[]): (t: number) => number {
  const terms = freqs.map((f, k) => ({
    w: WEIGHTS[k],
    f: f * (0.8 + 0.4 * rng.next()),
    phi: 2 * Math.PI * rng.next(),
  }));
  return (t) => terms.reduce((s, { w, f, phi }) => s + w * Math.sin(2 * Math.PI * f * t + phi), 0);
}

function checkFrames(numFrames: number, fps: number, where: string): void {
  if (!Number.isInteger(numFrames) || numFrames < 0) {
    throw new Error(`motion.ts: ${where} numFrames must be an integer >= 0: got ${numFrames}`);
  }
  if (!(fps > 0)) throw new Error(`motion.ts: ${where} fps must be > 0: got ${fps}`);
}

function rigidPath(
  numFrames: number,
  fps: number,
  rng: Rng,
  freqs: readonly number[],
  amplitudeRad: readonly number[],
  translationAmplitude: readonly number[],
  pivot: readonly number[],
  rest: readonly number[],
): RigidPose[] {
  const rot = [0, 1, 2].map(() => channel(rng, freqs));
  const shift = [0, 1, 2].map(() => channel(rng, freqs));
  const path: RigidPose[] = [];
  for (let i = 0; i < numFrames; i++) {
    const t = i / fps;
    const euler: Vec3 = [0, 1, 2].map((k) => amplitudeRad[k] * rot[k](t)) as Vec3;
    const offset = [0, 1, 2].map((k) => rest[k] + translationAmplitude[k] * shift[k](t));
    path.push({ euler, trans: translationAboutPivot(rotationFromEuler(euler), pivot, offset) });
  }
  return path;
}

/**
 * Head poses of a talking person: smooth nods, turns and tilts about a pivot at the top of the neck, plus
 * a small drift. Canonical head points X (origin at the head's centre, units decimetres, face towards +z)
 * are at R X + t in the fixed camera's frame (camera at the origin looking along -z).
 * @param numFrames Frames N.
 * @param options Frame rate, seed, amplitudes, pivot, rest position.
 * @returns N poses; `euler` is within `amplitudeDeg` on each axis.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { headPosePath } from "./motion.ts";
 * const path = headPosePath(50, { seed: 3 });
 * assert(path.every((p) => Math.abs(p.euler[1]) <= (15 * Math.PI) / 180));
 * ```
 */
export function headPosePath(numFrames: number, options: HeadPoseOptions = {}): RigidPose[] {
  const o = withDefaults<HeadPoseOptions & typeof HEAD_MOTION_DEFAULTS>(HEAD_MOTION_DEFAULTS, options);
  checkFrames(numFrames, o.fps, "headPosePath");
  const amp = typeof o.amplitudeDeg === "number"
    ? [o.amplitudeDeg, o.amplitudeDeg, o.amplitudeDeg]
    : o.amplitudeDeg;
  if (amp.length !== 3 || !amp.every((a) => a >= 0 && a <= 90)) {
    throw new Error(`motion.ts: headPosePath amplitudeDeg must be 3 angles in [0, 90]: got [${amp}]`);
  }
  return rigidPath(
    numFrames,
    o.fps,
    createRng(o.seed),
    HEAD_FREQS,
    amp.map((a) => a * DEG),
    o.translationAmplitude,
    o.pivot,
    o.restPosition,
  );
}

/**
 * Torso poses: a slow sway, twist and shrug with its own phases and frequencies, so that in the head's
 * canonical space the torso moves non-rigidly (what SSP-NeRF's torso deformation module must learn).
 * Torso points Y (origin at the base of the neck) are at Rt Y + tt in the camera frame.
 * @param numFrames Frames N.
 * @param options Frame rate, seed, amplitudes, pivot, rest position.
 * @returns N poses.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { torsoMotionPath } from "./motion.ts";
 * const path = torsoMotionPath(50, { seed: 3 });
 * assert(path.every((p) => Math.abs(p.euler[1]) <= (4 * Math.PI) / 180));
 * ```
 */
export function torsoMotionPath(numFrames: number, options: TorsoMotionOptions = {}): RigidPose[] {
  const o = withDefaults<TorsoMotionOptions & typeof TORSO_MOTION_DEFAULTS>(TORSO_MOTION_DEFAULTS, options);
  checkFrames(numFrames, o.fps, "torsoMotionPath");
  if (o.amplitudeDeg.length !== 3 || !o.amplitudeDeg.every((a) => a >= 0 && a <= 45)) {
    throw new Error(
      `motion.ts: torsoMotionPath amplitudeDeg must be 3 angles in [0, 45]: got [${o.amplitudeDeg}]`,
    );
  }
  // A different stream than the head's, so equal seeds do not give equal phases.
  return rigidPath(
    numFrames,
    o.fps,
    createRng((o.seed ^ 0x5bd1e995) >>> 0),
    TORSO_FREQS,
    o.amplitudeDeg.map((a) => a * DEG),
    o.translationAmplitude,
    o.pivot,
    o.restPosition,
  );
}
