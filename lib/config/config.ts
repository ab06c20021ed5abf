/**
 * The one typed, readonly configuration tree of an SSP-NeRF run.
 *
 * Every choice the paper leaves open is a field here, so an ablation is a
 * small override of a base config (see `experiments/ablations.ts`). Components receive their own slice
 * of this tree; nothing reads globals, `Deno.args` or the environment.
 * @module
 */
import type { PixelSamplerConfig } from "../sampling/create.ts";
import type { TorsoConfig } from "../torso/config.ts";
import type { PoseEncoderConfig } from "../torso/pose_encoder.ts";
import type { EyeConfig } from "../model/eye_code.ts";

/** The radiance field's backbone and sizes: one of the backbone kinds. */
export type FieldConfig = MlpFieldConfig | TriplaneFieldConfig;

/** Options every backbone has. */
export interface CommonFieldConfig {
  /** Positional-encoding frequencies for the view direction (AD-NeRF: 4); unused with `viewDirs` false. */
  readonly dirFreqs: number;
  /** Whether colour depends on the view direction. */
  readonly viewDirs: boolean;
  /** Width of the colour branch (AD-NeRF: width / 2). */
  readonly colorWidth: number;
  /** A second, separate field for the fine pass, as NeRF/AD-NeRF; false shares one field. */
  readonly separateFine: boolean;
}

/**
 * ER-NeRF-style tri-plane backbone: three axis-aligned 2-D feature planes (xy, yz, xz) at several
 * resolutions, bilinearly interpolated, concatenated, and read by small MLP heads. Positions are in the
 * normalised scene box [-1, 1]^3.
 */
export interface TriplaneFieldConfig extends CommonFieldConfig {
  readonly kind: "triplane";
  /** Number of resolution levels per plane. */
  readonly levels: number;
  /** Grid resolution (cells per side) of the coarsest level. */
  readonly baseResolution: number;
  /** Grid resolution of the finest level (levels are spaced geometrically in between). */
  readonly maxResolution: number;
  /** Features stored per grid vertex and level. */
  readonly featuresPerLevel: number;
  /** log2 of the hash-table size per level and plane; levels with more vertices than that are hashed
   * (instant-ngp's spatial hash), smaller ones are dense. 0 = always dense. */
  readonly log2HashSize: number;
  /** Width of the hidden layers of the density head (which also reads the audio code). */
  readonly hiddenWidth: number;
  /** Hidden layers of the density head. */
  readonly hiddenLayers: number;
  /** Learning-rate multiplier of the grid features relative to train.lr (grids like larger steps). */
  readonly gridLrScale: number;
  /**
   * ER-NeRF's region attention (Li et al. 2023, "region attention module"): the per-frame code (audio, and
   * the eye code when on) is multiplied channel-wise by sigmoid(features W + b) of each point before the
   * density head reads it, so the code can act where it matters (the mouth, the eyelids) and be ignored
   * elsewhere. Off (or absent): the code is one broadcast bias row, as before. @default {false}
   */
  readonly codeAttention?: boolean;
  /**
   * [ours] The colour head also reads the frame's pose code (a zero-initialised linear layer into its hidden
   * layer, like the view direction's): in a head's or torso's own frame, light that is fixed in the scene
   * shades a surface differently as it turns, which a colour of the canonical point alone cannot follow
   * (AD-NeRF's torso field reads the pose for the same reason). Density does not see it. @default {false}
   */
  readonly poseColor?: boolean;
}

/** AD-NeRF's coordinate MLP. */
export interface MlpFieldConfig extends CommonFieldConfig {
  /** Backbone kind. "mlp" is AD-NeRF's coordinate MLP. */
  readonly kind: "mlp";
  /** Number of hidden layers of the trunk (AD-NeRF: 8). */
  readonly depth: number;
  /** Width of the trunk (AD-NeRF: 256). */
  readonly width: number;
  /** Trunk layers (0-based) whose input also receives the encoded position and audio code (AD-NeRF: [4]). */
  readonly skips: readonly number[];
  /** Positional-encoding frequencies for xyz (AD-NeRF: 10). */
  readonly posFreqs: number;
}

/** The audio encoder (AD-NeRF's AudioNet + AudioAttNet). */
export interface AudioConfig {
  /** Size of the per-frame audio code (AD-NeRF: 64). */
  readonly dimAud: number;
  /** Conv channels of AudioNet (AD-NeRF: [32, 32, 64, 64]). */
  readonly convChannels: readonly number[];
  /** Attention smoothing over consecutive frame codes (AD-NeRF's AudioAttNet). */
  readonly smoothing: {
    readonly enabled: boolean;
    /** Frames in the smoothing window (AD-NeRF: 8). */
    readonly seqLen: number;
    /** Training step from which smoothing is used (AD-NeRF: 300k of 400k). */
    readonly startStep: number;
  };
}

/** Points along each ray. */
export interface PointSamplingConfig {
  /** Stratified samples per ray (AD-NeRF: 64). */
  readonly numCoarse: number;
  /** Importance samples per ray from the coarse weights (AD-NeRF: 128); 0 = coarse pass only. */
  readonly numFine: number;
  /** Jitter stratified samples during training. */
  readonly perturb: boolean;
  /** Radius of the scene ball around the canonical origin, as a fraction of the mean camera distance;
   * near/far enclose it for every camera and positions are divided by it before the field. */
  readonly boundsMargin: number;
  /** Empty-space skipping with an occupancy grid (instant-ngp / RAD-NeRF): rays sample only the occupied
   * part of [near, far]; rays through empty space skip the field and show the background. */
  readonly occupancy: {
    readonly enabled: boolean;
    /** Cells per side of the grid over the normalised scene box. */
    readonly resolution: number;
    /** Steps between grid updates (density at jittered cell centres, EMA-max with decay 0.95). */
    readonly updateEvery: number;
    /** Density above which a cell is occupied (or the mean density when lower). */
    readonly threshold: number;
  };
}

/** Eye-blink conditioning ({ enabled, freqs }). */
export type { EyeConfig } from "../model/eye_code.ts";

/** Which pixels of a training frame become rays (uniform | faceRect | semanticDynamic). */
export type { PixelSamplerConfig } from "../sampling/create.ts";
/** How the torso, which does not follow the head, is modelled (none | deform3d | image2d). */
export type { TorsoConfig } from "../torso/config.ts";

/** The parsing (semantic) branch. */
export interface ParsingConfig {
  /** Whether the field has a parsing head (its loss weight is `loss.semantic`). */
  readonly enabled: boolean;
}

/**
 * Weights of the loss terms by name; 0 turns a term off (it is then neither computed nor logged).
 * Logged as: "rgb" ("rgb_fine" with importance samples), "rgb_coarse", "semantic", "semantic_coarse",
 * "deformation".
 */
export interface LossConfig {
  /** Photometric MSE of the main pass (the fine pass when there is one; NeRF: 1). */
  readonly rgb: number;
  /** Photometric MSE of the coarse pass when there is a fine pass (NeRF: 1). */
  readonly rgbCoarse: number;
  /** Parsing cross-entropy of the main pass (SSP-NeRF's lambda_sem); 0 keeps the head untrained. */
  readonly semantic: number;
  /** Parsing cross-entropy of the coarse pass when there is a fine pass. */
  readonly semanticCoarse: number;
  /**
   * The torso module's penalty (the 3-D deformation's mean(w |dx|^2)). 0.01 is a soft prior: an offset of
   * 0.05 scene radii costs 2.5e-5, well below a typical photometric MSE of 1e-3, so the penalty only
   * settles directions the images do not constrain.
   */
  readonly deformation: number;
}

/** How the static background enters the image. */
export interface BackgroundConfig {
  /** "lastSample": AD-NeRF's last sample of each ray takes the background colour (opaque);
   * "alpha": alpha-composite the rendered colour over the background pixel. */
  readonly mode: "lastSample" | "alpha";
}

/** Optimisation schedule. */
export interface TrainConfig {
  readonly steps: number;
  /** Rays per step, all from one training frame (AD-NeRF: 2048). */
  readonly raysPerStep: number;
  /** Adam learning rate (AD-NeRF: 5e-4). */
  readonly lr: number;
  /** Exponential decay: lr * decayRate^(step / decaySteps) (NeRF: 0.1 over 250k steps). */
  readonly lrDecayRate: number;
  readonly lrDecaySteps: number;
  /** Seed of every random choice of the run. */
  readonly seed: number;
  /** Evaluate on validation frames every this many steps (0 = only at the end). */
  readonly evalEvery: number;
  /** Validation frames used by periodic evaluation (the final evaluation uses all). */
  readonly evalFrames: number;
  /** Write a checkpoint every this many steps (0 = only at the end). */
  readonly checkpointEvery: number;
  /**
   * Threads computing each step's gradients (data-parallel: the step's rays split into contiguous
   * shares, one per thread, the calling thread included). Results are deterministic for a given count.
   * Counts differ from each other in the summation order of the gradients (float rounding, which Adam
   * amplifies where a gradient is near zero) and in the fine samples' jitter, drawn per share: a resource
   * setting, so a resumed run may change it. 1 is the plain one-thread path.
   * @default {1}
   */
  readonly threads?: number;
  /**
   * Share of the steps drawn from the training frames with the eyes closing or shut (eye openness < 0.5,
   * `FrameMeta.eye`) **[ours]**: blinks are rare (about 5 % of the fixture's frames), so with uniform frame
   * draws the eye code sees few shut frames. Absent: every frame equally likely (no extra random draw).
   * A dataset without such frames draws uniformly. In [0, 1].
   */
  readonly closedEyeShare?: number;
}

/**
 * Empty-space skipping and early ray termination when rendering whole frames (instant-ngp's inference
 * marching, Müller et al. 2022), for models trained without `points.occupancy`: an occupancy grid is
 * built from the trained field once per training step rendered, and each ray evaluates only the samples
 * of the plain render that fall in its occupied interval, front to back in rounds, stopping when its
 * transmittance drops below `minTransmittance`. The image equals the plain render up to the light of the
 * skipped samples (density under `threshold` per cell, light under `minTransmittance` per ray). Configs
 * with importance samples (`points.numFine` > 0) always render every sample: the fine samples are drawn
 * from the whole ray's coarse weights.
 */
export interface EmptySpaceConfig {
  readonly enabled: boolean;
  /** Cells per side of the grid over the scene box. */
  readonly resolution: number;
  /** Density (per scene unit) above which a cell is occupied (capped at the grid's mean density). */
  readonly threshold: number;
  /** Training frames, evenly spread, whose audio and pose codes the grid is built under (a cell is
   * occupied when any of them occupies it: the mouth opens and the torso moves with the frame). */
  readonly frames: number;
  /** A ray stops once its transmittance is below this (0: never; the samples behind are then skipped). */
  readonly minTransmittance: number;
  /** Samples each ray evaluates per round before its transmittance is checked. */
  readonly roundSamples: number;
}

/** Rendering of whole frames. */
export interface RenderConfig {
  /** Rays per chunk when rendering whole frames (bounds memory). */
  readonly chunk: number;
  readonly emptySpace: EmptySpaceConfig;
}

/** A complete run configuration. */
export interface SspNerfConfig {
  readonly name: string;
  /** "unified": one field renders head and torso (SSP-NeRF); "twoNerf": AD-NeRF's head field plus a
   * pose-conditioned torso field rendered behind it. */
  readonly architecture: "unified" | "twoNerf";
  /** Torso module of the unified field. */
  readonly torso: TorsoConfig;
  readonly field: FieldConfig;
  readonly audio: AudioConfig;
  readonly points: PointSamplingConfig;
  readonly pixelSampler: PixelSamplerConfig;
  readonly parsing: ParsingConfig;
  readonly background: BackgroundConfig;
  /** What the torso is conditioned on (see `PoseEncoderConfig`; euler when absent). */
  readonly pose: PoseEncoderConfig;
  /** Eye-blink conditioning: the frame's eye openness joins the audio code (see `EyeConfig`; off when
   * absent, as in configurations written before it existed). */
  readonly eye: EyeConfig;
  readonly loss: LossConfig;
  readonly train: TrainConfig;
  readonly render: RenderConfig;
}

/** Recursively optional: the shape of an override. */
export type DeepPartial<T> = T extends readonly (infer _U)[] ? T
  : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
  : T;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Optional fields (absent: their documented default) by the override path of their section: a patch may
 * set them on a base that lacks them (the presets leave them out, so configs written before they existed
 * stay equal to the presets).
 */
const OPTIONAL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  "config.field": ["codeAttention", "poseColor"],
  "config.pixelSampler": ["eyeRegion"],
  "config.pose": ["frameCode"],
  "config.torso": ["motion", "poseMap", "penalize", "gatePenalty", "motionFrame", "gate"],
  "config.train": ["closedEyeShare"],
};

/**
 * A copy of `base` with the fields of `patch` replacing its own, recursively (arrays are replaced
 * whole). A patch key that the base does not have is an error (except the optional fields of
 * `OPTIONAL_FIELDS`, e.g. `torso.motion`), so a typo cannot pass silently; a
 * patch holding `kind` replaces its whole object (the other fields belong to another variant).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { override, TINY } from "./mod.ts";
 * const c = override(TINY, { train: { steps: 2 } });
 * assert(c.train.steps === 2 && c.train.lr === TINY.train.lr);
 * ```
 */
export function override<T>(base: T, patch: DeepPartial<T>, path = "config"): T {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch as T;
  if ("kind" in patch && patch.kind !== base.kind) return patch as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (!(k in base) && !OPTIONAL_FIELDS[path]?.includes(k)) {
      throw new Error(`${path}.${k} is not a configuration field (known: ${Object.keys(base).join(", ")})`);
    }
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? override(base[k], v as never, `${path}.${k}`) : v;
  }
  return out as T;
}

/**
 * A short digest of a configuration (or any JSON value): FNV-1a (32 bit) over the UTF-16 code units of its
 * JSON with object keys sorted, as 8 hex digits. Two configs that differ in any value get different
 * digests (up to hash collisions), the order of keys does not matter; for folder names that must change
 * with the config (e.g. a notebook's cached runs).
 * @param value A JSON value (undefined fields are dropped, as JSON.stringify does).
 * @returns 8 lowercase hex digits.
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { configDigest } from "./config.ts";
 * assertEquals(configDigest({ a: 1, b: [2] }), configDigest({ b: [2], a: 1 }));
 * assertNotEquals(configDigest({ a: 1 }), configDigest({ a: 2 }));
 * ```
 */
export function configDigest(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === "object"
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
      : v;
  const text = JSON.stringify(sorted(value)) ?? "undefined";
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
