/**
 * The webgpu read path of a training step (one thread): the update enqueued, then the step's loss terms,
 * total and sampler feedback packed into one small tensor read with one `await`; and the pipeline of
 * `Trainer.trainSteps`, which reads step k only after step k+1 is enqueued so the GPU's queue never drains
 * while the CPU waits for a read.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { lossAndUpdate, stepInputs } from "./local_step.ts";
import { classSums, type SspLossTensors } from "./ssp_share_loss.ts";
import { type StepContext, type StepLog, type StepResult, type TrainBatch } from "./step_types.ts";

/** A step enqueued on webgpu whose packed values are not read yet ({@linkcode enqueuePackedStep}). */
export interface PendingStep {
  readonly batch: TrainBatch;
  readonly lr: number;
  /** When the step started (its sampling), for the log's ms. */
  readonly t0: number;
  /** Steps done after its update. */
  readonly step: number;
  /** The sampler's allocation of its batch. */
  readonly allocation?: number[];
  /** Its loss terms' names, in the order of the packed values. */
  readonly names: string[];
  /** [terms..., total, feedback...] (see {@linkcode enqueuePackedStep}). */
  readonly packed: tf.Tensor1D;
  /** Rays per class when the feedback is per-class sums. */
  readonly classCounts?: Int32Array;
  /** Whether the feedback is the per-ray errors. */
  readonly perRay: boolean;
}

/**
 * Stages 2 and 3 on webgpu, enqueued and not read: the update, then one tensor packing what the hooks
 * and the log need, [terms..., total, feedback...]. The feedback is, for the semantic dynamic sampler
 * (with a parsing map), the squared errors summed per class of the rays' pixels (`classSums`: one number
 * per class crosses, not one per ray; the ray counts per class are known here); for another sampler that
 * takes feedback (none today), the per-ray errors; otherwise nothing.
 * @param ctx The trainer's step context.
 * @param batch The step's batch (stage 1).
 * @param t0 When the step started (`performance.now()` before its sampling).
 * @returns The enqueued step; {@linkcode readPackedStep} reads it (and disposes its tensor).
 */
export function enqueuePackedStep(ctx: StepContext, batch: TrainBatch, t0: number): PendingStep {
  const scene = ctx.scene;
  const { ids } = batch;
  const { allocation, lr, smooth, windows, uv } = stepInputs(ctx, batch);
  let kept: SspLossTensors;
  let totalT: tf.Scalar;
  try {
    ({ kept, totalT } = lossAndUpdate(ctx, batch, uv, windows, smooth, lr));
  } finally {
    tf.dispose(windows);
  }
  const names = Object.keys(kept.terms);
  // The sampler's classes (with its eye region), not the parsing's: its EMA is kept over those.
  const classMap = ctx.semantic?.classMap(batch.frame);
  const classes = classMap ? Int32Array.from(ids, (p) => classMap[p]) : undefined;
  let classCounts: Int32Array | undefined;
  const perRay = !classes && ctx.sampler.update !== undefined;
  let packed: tf.Tensor1D;
  try {
    packed = tf.tidy(() => {
      const parts: tf.Tensor[] = names.map((n) => tf.reshape(kept.terms[n], [1]));
      parts.push(tf.reshape(totalT, [1]));
      if (classes) {
        const c = classSums(kept.rayErrors, classes);
        classCounts = c.counts;
        parts.push(c.sums);
      } else if (perRay) {
        parts.push(kept.rayErrors);
      }
      return tf.concat(parts) as tf.Tensor1D;
    });
  } finally {
    tf.dispose([totalT, kept.rayErrors, ...Object.values(kept.terms)]);
  }
  scene.step = ctx.optimizer.step;
  return { batch, lr, t0, step: ctx.optimizer.step, allocation, names, packed, classCounts, perRay };
}

/**
 * Reads a step enqueued by {@linkcode enqueuePackedStep} (one `await`; its tensor is disposed).
 * @param p The enqueued step.
 * @returns What its after-step hooks see.
 */
export async function readPackedStep(p: PendingStep): Promise<StepResult> {
  let v: Float32Array;
  try {
    v = await p.packed.data() as Float32Array;
  } finally {
    p.packed.dispose();
  }
  const losses: Record<string, number> = {};
  p.names.forEach((name, i) => losses[name] = v[i]);
  const at = p.names.length;
  const total = v[at];
  losses.total = total;
  const tail = v.slice(at + 1);
  return {
    step: p.step,
    batch: p.batch,
    losses,
    total,
    rayErrors: p.perRay ? tail : undefined,
    classErrors: p.classCounts ? { sums: tail, counts: p.classCounts } : undefined,
  };
}

/** The trainer's side of {@linkcode pipelineSteps}. */
export interface PipelineOps {
  /** Whether the after-step hooks of the step that ends with `step` steps done update the occupancy grid. */
  occupancyDue(step: number): boolean;
  /** Stage 1 of the next step. */
  sample(): Promise<TrainBatch>;
  /** Stages 2 and 3 of a step, enqueued ({@linkcode enqueuePackedStep}). */
  enqueue(batch: TrainBatch, t0: number): PendingStep;
  /** Reads an enqueued step, runs its hooks and logs it. */
  finish(p: PendingStep): Promise<StepLog>;
}

/**
 * Runs `count` steps on webgpu, each step's read after the next step is enqueued, except that a step
 * that updates the occupancy grid is read before the next is sampled (semantics in `Trainer.trainSteps`).
 * Nothing is left pending on return; on a throw, a step enqueued and not read is dropped (its tensor
 * disposed, its update kept).
 * @param count Steps to run (an integer >= 0).
 * @param ops The trainer's stages.
 * @returns Each step's log, in order.
 */
export async function pipelineSteps(count: number, ops: PipelineOps): Promise<StepLog[]> {
  const logs: StepLog[] = [];
  let pending: PendingStep | undefined;
  try {
    for (let i = 0; i < count; i++) {
      if (pending && ops.occupancyDue(pending.step)) {
        const done = pending;
        pending = undefined;
        logs.push(await ops.finish(done));
      }
      const t0 = performance.now();
      const batch = await ops.sample();
      const done = pending;
      pending = ops.enqueue(batch, t0);
      if (done) logs.push(await ops.finish(done));
    }
    if (pending) {
      const done = pending;
      pending = undefined;
      logs.push(await ops.finish(done));
    }
  } finally {
    pending?.packed.dispose();
  }
  return logs;
}
