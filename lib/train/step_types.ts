/**
 * The vocabulary of a training step: its batch (stage 1), what its hooks see (stage 4), what it reports,
 * what a checkpoint keeps of the trainer, what the stages read of the trainer, and the learning-rate
 * schedule.
 * @module
 */
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset, FrameMeta } from "../data/mod.ts";
import type {
  OccupancyGrid,
  PixelSampleContext,
  PixelSampler,
  SemanticDynamicSampler,
} from "../sampling/mod.ts";
import type { Rng } from "../nn/rng.ts";
import type { RayBatch } from "../render/render_rays.ts";
import type { Scene } from "../render/scene.ts";
import type { Adam } from "./adam.ts";

/** What one training step reports. */
export interface StepLog {
  readonly step: number;
  readonly lr: number;
  readonly imgId: number;
  /** Every loss term by name (e.g. "rgb_fine", "rgb_coarse", "semantic", "total"). */
  readonly losses: Readonly<Record<string, number>>;
  /** PSNR of the step's rays (fine pass, or coarse without one), dB. */
  readonly psnr: number;
  /** Milliseconds the step took. */
  readonly ms: number;
  /** Fraction of the step's rays per parsing class, for the semantic dynamic sampler. */
  readonly allocation?: readonly number[];
}

/** Learning rate at a step: lr * rate^(step / decaySteps). */
export function learningRate(config: SspNerfConfig["train"], step: number): number {
  return config.lr * config.lrDecayRate ** (step / config.lrDecaySteps);
}

/** Everything a trainer needs to continue where it stopped (written into checkpoints). */
export interface TrainerState {
  readonly step: number;
  readonly rngState: number;
  /** The pixel sampler's statistics (semantic dynamic sampler), when it has any. */
  readonly sampler?: unknown;
  /** The occupancy grid, when empty-space skipping is on. */
  readonly grid?: ReturnType<OccupancyGrid["state"]>;
}

/** The rays of one training step and their targets (stage 1 of a step). */
export interface TrainBatch {
  readonly meta: FrameMeta;
  /** The frame as the pixel sampler saw it. */
  readonly frame: PixelSampleContext;
  /** Pixel ids of the rays (after empty-space skipping dropped rays through empty cells). */
  readonly ids: Int32Array;
  readonly rays: RayBatch;
  /** Coarse depths, [n, numCoarse]. */
  readonly tCoarse: Float32Array;
  /** Target colours, [n, 3]. */
  readonly target: Float32Array;
  /** Target classes, when the step trains the parsing branch. */
  readonly labels?: Int32Array;
}

/** What a step's hooks see after the update. */
export interface StepResult {
  /** Steps done after this step's update (the optimizer's step count then). */
  readonly step: number;
  readonly batch: TrainBatch;
  /** Loss terms by name, and "total". */
  readonly losses: Record<string, number>;
  readonly total: number;
  /** Squared colour error per ray (main pass), for the sampler; absent where the step read back only
   * their per-class sums (`classErrors`, webgpu). */
  readonly rayErrors?: Float32Array;
  /** The squared colour errors summed per parsing class of the rays' pixels, and the rays per class
   * (index = class id), when the step reduced them on the device (webgpu, semantic dynamic sampler). */
  readonly classErrors?: { readonly sums: Float32Array; readonly counts: Int32Array };
}

/** Work done after each update, in order. */
export type AfterStepHook = (result: StepResult) => void | Promise<void>;

/**
 * What the stages of a step (lib/train/sample_batch.ts, local_step.ts, packed_step.ts, parallel_step.ts)
 * read and advance of the trainer: taken anew at each step, since `Trainer.restore` replaces the
 * generator.
 */
export interface StepContext {
  readonly config: SspNerfConfig;
  readonly dataset: Dataset;
  /** The model and what rendering it needs. */
  readonly scene: Scene;
  readonly optimizer: Adam;
  /** The trainer's generator: the frame, the rays, the depths' jitter. */
  readonly rng: Rng;
  readonly sampler: PixelSampler;
  /** The semantic dynamic sampler, when `sampler` is one. */
  readonly semantic?: SemanticDynamicSampler;
}
