/**
 * What the data-parallel engine (lib/train/data_parallel.ts) takes and reports: its options, a flat
 * update, the result and the timing of a step.
 * @module
 */
import type { Adam } from "./adam.ts";
import type { ParamSlot } from "./shared_params.ts";
import type { Replica, ShareExtra } from "./loss_module.ts";

/** Options of `DataParallel.create`. */
export interface DataParallelOptions<Init> {
  /** Absolute URL of the loss module, e.g. `new URL("./my_loss.ts", import.meta.url)`. */
  readonly module: string | URL;
  /** Argument of `createReplica` in the workers (and in this thread when `replica` is not given). */
  readonly init: Init;
  /** Threads computing gradients: this one plus `threads - 1` workers.
   * @default {1} */
  readonly threads?: number;
  /** This thread's replica (e.g. the trainer's model); the engine does not dispose it.
   * @default {a replica from `createReplica(init)`, disposed with the engine} */
  readonly replica?: Replica;
  /** How long to wait for the workers once this thread's share is done before failing the step (and
   * disposing the engine). A worker that throws or crashes fails the step at once without it; this is for
   * a worker stuck in its loss. Deno's `terminate()` (2.9.6, measured) takes effect only when the worker's
   * JavaScript returns, so a worker in an endless loop keeps its thread busy until the process exits:
   * the caller is freed, the core is not. Leave generous room for load from other processes.
   * @default {no limit} */
  readonly stepTimeoutMs?: number;
  /** With a {@linkcode SplitAdamApply}: the part of the parameters this thread sums and updates,
   * relative to an even split over the step's threads, in [0, threads] (the workers share the rest
   * evenly). Below 1, because this thread also copies the new parameters into its variables. Results do
   * not depend on it (each element's update is the same whichever thread does it).
   * @default {0.9} */
  readonly ownUpdateScale?: number;
}

/**
 * An update of the flat parameter buffer in place (e.g. `Adam.applyFlat`), instead of one by tensors:
 * no gradient tensors are made, and only the updated parameters are copied back into the variables.
 */
export interface FlatApply {
  readonly flat: (
    layout: readonly ParamSlot[],
    grads: Float32Array,
    reached: Uint8Array,
    params: Float32Array,
  ) => void;
}

/**
 * Adam on the flat parameter buffer with its work split by element range over the threads of the step:
 * each thread sums the shares' gradients and updates the moments and parameters of its range, in shared
 * memory (lib/train/shared_params.ts `sumAndUpdateRange`), so the serial part of a step after the
 * gradients shrinks. The result equals `Adam.applyFlat` on the summed gradients bit for bit, whatever the
 * split; the optimizer's flat moments live in the engine's shared memory from then on (read by its
 * `state()` as usual).
 */
export interface SplitAdamApply {
  readonly adam: Adam;
  /** Learning rate of this step. */
  readonly lr: number;
}

/** Milliseconds spent in the parts of one step (this thread's clock). */
export interface StepTiming {
  /** Copying this thread's changed parameters into shared memory for the workers. */
  readonly broadcastMs: number;
  /** This thread's share: forward, backward, gradients read out. */
  readonly ownMs: number;
  /** Waiting for the workers after this thread's share was done. */
  readonly waitMs: number;
  /** Weighted sum of the gradients and their tensors (with a {@linkcode SplitAdamApply}: this thread's
   * range of the sum and the update). */
  readonly reduceMs: number;
  /** The caller's `apply` (with a {@linkcode SplitAdamApply}: copying the new parameters into this
   * thread's variables, and waiting for the workers' ranges, `updateWaitMs` of it). */
  readonly applyMs: number;
  /** With a {@linkcode SplitAdamApply}: waiting for the workers' ranges of the update. */
  readonly updateWaitMs?: number;
  /** Per worker: loading the parameters, its share (forward, backward, gradients written), and its
   * tensor count after the step (flat across steps unless the loss module leaks). */
  readonly workers: readonly {
    readonly loadMs: number;
    readonly computeMs: number;
    readonly tensors: number;
    /** From this thread's posting of the step to the worker's start of it (message delay, and the
     * worker finishing earlier work such as loading the parameters). */
    readonly startLagMs: number;
    /** From the worker's report to this thread's receipt of it (including this thread's own work, when
     * the worker finished first). */
    readonly reportLagMs: number;
    /** With a {@linkcode SplitAdamApply}: its range of the sum and the update. */
    readonly updateMs?: number;
  }[];
}

/** What `DataParallel.step` returns. */
export interface ParallelStepResult {
  /** sum_i w_i loss_i, in share order. */
  readonly loss: number;
  /** Each share's loss. */
  readonly shareLosses: readonly number[];
  /** Each share's extras, in share order. */
  readonly extras: readonly Readonly<Record<string, ShareExtra>>[];
  readonly timing: StepTiming;
}

/** The result of a step with one share (no worker took part), from its clock readings. */
export function singleShareResult(
  own: { loss: number; extras: Readonly<Record<string, ShareExtra>> },
  weight: number,
  t0: number,
  t1: number,
  t2: number,
  t3: number,
): ParallelStepResult {
  return {
    loss: weight * own.loss,
    shareLosses: [own.loss],
    extras: [own.extras],
    timing: { broadcastMs: 0, ownMs: t1 - t0, waitMs: 0, reduceMs: t2 - t1, applyMs: t3 - t2, workers: [] },
  };
}
