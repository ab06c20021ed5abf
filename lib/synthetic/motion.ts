/**
 * Smooth, seeded motion paths of the synthetic portrait: the head pose (rotating about a pivot at the
 * neck), the torso's own slower sway and shrug ({@linkcode torsoMotionPath}), and the torso that follows
 * the head ({@linkcode coupledTorsoPath}): a smooth non-linear function of the current head pose plus a
 * scaled copy of the independent sway as the residual.
 *
 * Every angle or offset of an independent path is a weighted sum of three sinusoids with seeded phases
 * and slightly seeded frequencies; the weights sum to 1, so a path never leaves [-amplitude, amplitude].
 * @module
 */
import { createRng, type Rng } from "../nn/rng.ts";
import { type RigidPose, rotate, rotationFromEuler, translationAboutPivot, type Vec3 } from "./rigid.ts";

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

/** Euler angles and pivot offsets (motion about the rest position) of an independent path. */
function swayParts(
  numFrames: number,
  fps: number,
  rng: Rng,
  freqs: readonly number[],
  amplitudeRad: readonly number[],
  translationAmplitude: readonly number[],
): TorsoPart[] {
  const rot = [0, 1, 2].map(() => channel(rng, freqs));
  const shift = [0, 1, 2].map(() => channel(rng, freqs));
  const parts: TorsoPart[] = [];
  for (let i = 0; i < numFrames; i++) {
    const t = i / fps;
    parts.push({
      euler: [0, 1, 2].map((k) => amplitudeRad[k] * rot[k](t)) as Vec3,
      offset: [0, 1, 2].map((k) => translationAmplitude[k] * shift[k](t)) as Vec3,
    });
  }
  return parts;
}

/** Poses R X + t from parts: euler = sum of the parts' angles, pivot at rest + the parts' offsets. */
function posesOf(
  parts: readonly (readonly TorsoPart[])[],
  pivot: readonly number[],
  rest: readonly number[],
): RigidPose[] {
  return parts[0].map((_, i) => {
    // rest + coupled + residual, summed in that order (legacy paths add a zero coupled part exactly)
    const euler = [0, 1, 2].map((k) => parts.reduce((s, p) => s + p[i].euler[k], 0)) as Vec3;
    const offset = [0, 1, 2].map((k) => parts.reduce((s, p) => s + p[i].offset[k], rest[k]));
    return { euler, trans: translationAboutPivot(rotationFromEuler(euler), pivot, offset) };
  });
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
  return posesOf([swayParts(numFrames, fps, rng, freqs, amplitudeRad, translationAmplitude)], pivot, rest);
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

/** A torso's motion about its rest position: Euler angles (radians) and the offset of its pivot. */
export interface TorsoPart {
  /** Rotation about the torso pivot, radians (x lean, y twist, z sway). */
  readonly euler: Vec3;
  /** Displacement of the pivot from its rest position, scene units (x shift, y shrug, z lean). */
  readonly offset: Vec3;
}

/**
 * Gains of the torso's head-following part (see {@linkcode torsoFromHead}). Angles in radians, lengths in
 * scene units.
 */
export interface TorsoCouplingGains {
  /** Twist = `yaw * yawScale * tanh(headYaw / yawScale)`: a fraction of the head's turn that saturates. */
  readonly yaw: number;
  readonly yawScale: number;
  /** Sway = `roll * headRoll`: the shoulders tilt with the head. */
  readonly roll: number;
  /** Lean = `lean * headNod`. */
  readonly lean: number;
  /** Shrug = `shrug * tanh(headNod / shrugScale) + shrugQuadratic * headNod^2 + shrugFromYaw * headYaw^2`
   * (the pivot's y offset): shrug with the nod, and lift on far turns either way. */
  readonly shrug: number;
  readonly shrugScale: number;
  readonly shrugQuadratic: number;
  readonly shrugFromYaw: number;
  /** Shift x = `shift * headDrift.x - shiftFromRoll * sin(headRoll)`; lean z = `depth * headDrift.z`. */
  readonly shift: number;
  readonly shiftFromRoll: number;
  readonly depth: number;
}

/** Default gains of the torso's head-following part. */
export const TORSO_COUPLING_GAINS: TorsoCouplingGains = {
  yaw: 0.4,
  yawScale: 20 * DEG,
  roll: 0.35,
  lean: 0.3,
  shrug: 0.06,
  shrugScale: 10 * DEG,
  shrugQuadratic: 0.5,
  shrugFromYaw: 0.4,
  shift: 0.45,
  shiftFromRoll: 0.25,
  depth: 0.4,
};

/**
 * The head-following part of the torso motion for one head pose: shoulders turn with a saturating
 * fraction of the head's yaw, tilt with a fraction of its roll, lean and shrug with the nod (a tanh and
 * a square term), lift on far turns (a square of the yaw), and shift with the head's pivot drift. A smooth non-linear
 * function of the pose alone.
 * @param euler Head Euler angles (x nod, y turn, z tilt), radians.
 * @param drift Head pivot drift from its rest position, scene units (see {@linkcode headDrift}).
 * @param gains The gains; every term scales with `scale`.
 * @param scale Multiplies the whole part (0: no coupling).
 * @returns The coupled torso part.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { TORSO_COUPLING_GAINS, torsoFromHead } from "./motion.ts";
 * const p = torsoFromHead([0, 0.1, 0], [0, 0, 0]);
 * const g = TORSO_COUPLING_GAINS;
 * assertAlmostEquals(p.euler[1], g.yaw * g.yawScale * Math.tanh(0.1 / g.yawScale), 1e-12);
 * ```
 */
export function torsoFromHead(
  euler: readonly number[],
  drift: readonly number[],
  gains: TorsoCouplingGains = TORSO_COUPLING_GAINS,
  scale = 1,
): TorsoPart {
  const g = gains;
  const [nod, yaw, roll] = euler;
  return {
    euler: [
      scale * g.lean * nod,
      scale * g.yaw * g.yawScale * Math.tanh(yaw / g.yawScale),
      scale * g.roll * roll,
    ],
    offset: [
      scale * (g.shift * drift[0] - g.shiftFromRoll * Math.sin(roll)),
      scale *
      (g.shrug * Math.tanh(nod / g.shrugScale) + g.shrugQuadratic * nod * nod + g.shrugFromYaw * yaw * yaw),
      scale * g.depth * drift[2],
    ],
  };
}

/**
 * The head's pivot drift, recovered from its pose: with t = pivot - R pivot + rest + drift (see
 * `translationAboutPivot`), drift = t - pivot + R pivot - rest. A function of the pose alone.
 * @param head Head pose.
 * @param pivot Head pivot, canonical head coordinates.
 * @param rest The pivot offset at rest (the head's rest position).
 * @returns The drift, scene units.
 */
export function headDrift(head: RigidPose, pivot: readonly number[], rest: readonly number[]): Vec3 {
  const rp = rotate(rotationFromEuler(head.euler), pivot);
  return [0, 1, 2].map((k) => head.trans[k] - pivot[k] + rp[k] - rest[k]) as Vec3;
}

/** Options of {@linkcode coupledTorsoPath}. */
export interface CoupledTorsoOptions extends TorsoMotionOptions {
  /** Scale of the head-following part (0: none, the torso moves on its own). @default {1} */
  readonly coupling?: number;
  /** Scale of the independent residual: {@linkcode torsoMotionPath}'s sway times this. @default {0.15} */
  readonly residual?: number;
  /** Delay of the head-following part behind the head, seconds (0: it follows the current pose; > 0 makes
   * the torso depend on the pose history, which no pose-conditioned model sees). @default {0} */
  readonly lagSeconds?: number;
  /** Gains of the head-following part. @default {TORSO_COUPLING_GAINS} */
  readonly gains?: Partial<TorsoCouplingGains>;
  /** The head's pivot and rest position (to recover its drift from the poses). @default {HEAD_MOTION_DEFAULTS} */
  readonly headPivot?: readonly [number, number, number];
  readonly headRest?: readonly [number, number, number];
}

/** Defaults of {@linkcode coupledTorsoPath}'s own options. */
export const COUPLED_TORSO_DEFAULTS = { coupling: 1, residual: 0.15, lagSeconds: 0 } as const;

/** A torso path and its two parts. */
export interface CoupledTorsoPath {
  /** The torso poses (Rt Y + tt). */
  readonly poses: RigidPose[];
  /** Per frame, the head-following part. */
  readonly coupled: TorsoPart[];
  /** Per frame, the independent residual. */
  readonly residual: TorsoPart[];
}

/**
 * Torso poses that partly follow the head: per frame, the head-following part
 * {@linkcode torsoFromHead} of the head pose (`lagSeconds` earlier, linearly interpolated between frames,
 * the first frame's pose before the clip starts) times `coupling`, plus the independent sway of
 * {@linkcode torsoMotionPath} (same seed, same stream) times `residual`. Angles add; the pivot sits at
 * rest + coupled offset + residual offset. `coupling: 0, residual: 1` gives exactly
 * {@linkcode torsoMotionPath}'s poses.
 * @param head The head poses (one per frame).
 * @param options Frame rate, seed, amplitudes of the residual at scale 1, coupling, residual, lag, gains.
 * @returns Poses and both parts per frame.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { coupledTorsoPath, headPosePath, torsoMotionPath } from "./motion.ts";
 * const head = headPosePath(20, { seed: 1 });
 * const legacy = coupledTorsoPath(head, { seed: 1, coupling: 0, residual: 1 });
 * assertEquals(legacy.poses, torsoMotionPath(20, { seed: 1 }));
 * ```
 */
export function coupledTorsoPath(
  head: readonly RigidPose[],
  options: CoupledTorsoOptions = {},
): CoupledTorsoPath {
  const o = withDefaults<TorsoMotionOptions & typeof TORSO_MOTION_DEFAULTS>(TORSO_MOTION_DEFAULTS, options);
  const coupling = options.coupling ?? COUPLED_TORSO_DEFAULTS.coupling;
  const residual = options.residual ?? COUPLED_TORSO_DEFAULTS.residual;
  const lag = options.lagSeconds ?? COUPLED_TORSO_DEFAULTS.lagSeconds;
  const N = head.length;
  checkFrames(N, o.fps, "coupledTorsoPath");
  for (const [name, v] of [["coupling", coupling], ["residual", residual], ["lagSeconds", lag]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new Error(`motion.ts: coupledTorsoPath ${name} must be a number >= 0: got ${v}`);
    }
  }
  if (o.amplitudeDeg.length !== 3 || !o.amplitudeDeg.every((a) => a >= 0 && a <= 45)) {
    throw new Error(
      `motion.ts: coupledTorsoPath amplitudeDeg must be 3 angles in [0, 45]: got [${o.amplitudeDeg}]`,
    );
  }
  const gains = { ...TORSO_COUPLING_GAINS, ...options.gains };
  const pivot = options.headPivot ?? HEAD_MOTION_DEFAULTS.pivot;
  const rest = options.headRest ?? HEAD_MOTION_DEFAULTS.restPosition;
  const euler = head.map((h) => h.euler);
  const drift = head.map((h) => headDrift(h, pivot, rest));
  const at = (series: readonly (readonly number[])[], x: number): number[] => {
    const i = Math.max(0, Math.min(N - 1, Math.floor(x))), j = Math.min(N - 1, i + 1);
    const w = Math.max(0, Math.min(1, x - i));
    return [0, 1, 2].map((k) => w === 0 ? series[i][k] : (1 - w) * series[i][k] + w * series[j][k]);
  };
  const coupled = head.map((_, i) => {
    const x = Math.max(0, i - lag * o.fps);
    return torsoFromHead(at(euler, x), at(drift, x), gains, coupling);
  });
  const sway = swayParts(
    N,
    o.fps,
    createRng((o.seed ^ 0x5bd1e995) >>> 0),
    TORSO_FREQS,
    o.amplitudeDeg.map((a) => a * DEG * residual),
    o.translationAmplitude.map((a) => a * residual),
  );
  return { poses: posesOf([coupled, sway], o.pivot, o.restPosition), coupled, residual: sway };
}
