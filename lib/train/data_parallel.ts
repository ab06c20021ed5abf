/**
 * Data-parallel training on several threads. tfjs' wasm backend runs one thread under Deno, so the other
 * cores are used by Web Workers, each with its own tfjs wasm instance and a replica of the model. Each
 * step the caller splits its batch into shares (one per thread, the calling thread included); every
 * thread computes the loss and gradients of its share; the gradients are combined as the weighted sum
 * sum_i w_i g_i, always in share order (so the result does not depend on which thread finished first);
 * the caller applies the update (e.g. `Adam.applyGradients`) to its own parameters, and the
 * workers load those parameters before the next step, so every replica starts every step with the
 * caller's parameters bit for bit. The optimizer belongs to the caller (with a split update its flat
 * moments sit in the engine's shared memory, and the workers update their ranges of them).
 *
 * The update is either given the summed gradients as tensors (e.g. `Adam.applyGradients`) or, as a
 * {@linkcode FlatApply} (e.g. `Adam.applyFlat`), updates the flat copy of the parameters the workers read
 * from in place: no gradient tensors, no copy of unchanged parameters. A {@linkcode SplitAdamApply} does
 * `Adam.applyFlat`'s update with the weighted sum and the update split by parameter range over the
 * step's threads (the moments in shared memory), so the serial part of a step after the gradients
 * shrinks; each element's arithmetic is the same whichever thread does it, so the result equals the
 * unsplit update bit for bit (the trainer's choice).
 *
 * A model provides a loss module (lib/train/loss_module.ts); shared memory: lib/train/shared_params.ts;
 * shares: lib/train/shares.ts; starting the workers: lib/train/data_parallel_parts.ts.
 *
 * ```ts ignore
 * const engine = await DataParallel.create({ module: new URL("./my_loss.ts", import.meta.url), init, threads: 2 });
 * try {
 *   for (let step = 0; step < steps; step++) {
 *     const { shares, weights } = makeShares(step); // e.g. the step's rays split in two halves
 *     const r = await engine.step(shares, weights, (grads) => adam.applyGradients(grads, lr));
 *   }
 * } finally {
 *   engine.dispose();
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { FromGradWorker, ToGradWorker } from "./grad_worker.ts";
import { checkLossModule, errorText, type LossModule, type Replica, shareGradients } from "./loss_module.ts";
import type { Adam } from "./adam.ts";
import {
  control,
  createSharedBuffers,
  GradientSum,
  paramLayout,
  ParamMirror,
  type ParamSlot,
  type SharedBuffers,
  sumAndUpdateRange,
  UPDATE_CHUNK,
} from "./shared_params.ts";
import {
  type DataParallelOptions,
  type FlatApply,
  type ParallelStepResult,
  singleShareResult,
  type SplitAdamApply,
} from "./data_parallel_types.ts";
import {
  deferred,
  engineOptions,
  flatOf,
  isSplit,
  startGradWorkers,
  updateRanges,
  withTimeout,
  type WorkerHandle,
} from "./data_parallel_parts.ts";

export * from "./data_parallel_types.ts";
export { updateRanges } from "./data_parallel_parts.ts";
export * from "./loss_module.ts";
export * from "./shared_params.ts";
export * from "./shares.ts";

/**
 * A data-parallel gradient engine: this thread plus `threads - 1` workers, each with a replica of the
 * model. Create with {@linkcode DataParallel.create}; `dispose()` terminates the workers (also done on
 * any error in a step, after which the engine refuses further work).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/mod.ts";
 * import { Adam } from "./adam.ts";
 * import { DataParallel, mergeExtras, shareRanges } from "./data_parallel.ts";
 * import { regressionBatch, regressionRows } from "./data_parallel_test_module.ts";
 * await initBackend({ log: null });
 * // The tests' loss module: an MLP regression; a share is { x, y } rows.
 * const module = new URL("./data_parallel_test_module.ts", import.meta.url);
 * const init = { inputDim: 3, posFreqs: 0, hidden: [8], outDim: 1, seed: 1 };
 * const engine = await DataParallel.create({ module, init, threads: 2 });
 * const adam = new Adam(engine.params);
 * try {
 *   const batch = regressionBatch(10, init, 0);
 *   const ranges = shareRanges(10, engine.threads); // rows [0, 5) here, [5, 10) on the worker
 *   const shares = ranges.map(([start, count]) => regressionRows(batch, init, start, count));
 *   const weights = ranges.map(([, , w]) => w);
 *   const r = await engine.step(shares, weights, (g) => adam.applyGradients(g, 1e-3));
 *   assertEquals(r.shareLosses.length, 2);
 *   assertEquals((mergeExtras(r.extras, weights).rowErrors as Float32Array).length, 10);
 * } finally {
 *   adam.dispose();
 *   engine.dispose();
 * }
 * ```
 */
export class DataParallel<Share = unknown> {
  private failure: Error | undefined;
  private disposed = false;
  private stepId = 0;
  private running = false;
  private version = 0;

  private constructor(
    private readonly mod: LossModule<unknown, Share, Replica>,
    /** This thread's replica. */
    readonly replica: Replica,
    private readonly ownsReplica: boolean,
    private readonly slots: readonly ParamSlot[],
    private readonly total: number,
    private readonly shared: SharedBuffers | null,
    private readonly workers: WorkerHandle[],
    private readonly stepTimeoutMs: number | undefined,
    private readonly ownUpdateScale: number,
  ) {
    this.mirror = new ParamMirror(slots, shared?.params ?? new Float32Array(total));
  }

  private readonly mirror: ParamMirror;
  /** Where this thread sums its range of a split update, a chunk at a time. */
  private readonly scratch = new Float32Array(UPDATE_CHUNK);

  /**
   * Imports the loss module, builds this thread's replica (unless given), and starts the workers (each
   * imports the module and builds its replica).
   * @param options Module URL, `createReplica`'s argument, thread count, this thread's replica.
   * @returns The engine.
   * @throws When the module lacks an export, a replica's parameters differ from this thread's, or a worker
   *   fails to start (its message and stack included); the workers started so far are terminated.
   */
  static async create<Init, Share = unknown>(
    options: DataParallelOptions<Init>,
  ): Promise<DataParallel<Share>> {
    const { threads, timeout, ownUpdateScale, url } = engineOptions(options);
    const mod = checkLossModule<Replica, Share>(await import(url), url);
    const replica = options.replica ?? await mod.createReplica(options.init);
    const owns = options.replica === undefined;
    const handles: WorkerHandle[] = [];
    try {
      const { slots, total } = paramLayout(replica.params);
      let shared: SharedBuffers | null = null;
      if (threads > 1) {
        shared = createSharedBuffers(total, slots, threads - 1);
        await startGradWorkers(handles, threads - 1, url, options.init, slots, shared);
      }
      return new DataParallel<Share>(
        mod,
        replica,
        owns,
        slots,
        total,
        shared,
        handles,
        timeout,
        ownUpdateScale,
      );
    } catch (e) {
      for (const h of handles) h.worker.terminate();
      if (owns) replica.dispose();
      throw e;
    }
  }

  /** Threads computing gradients (this one included). */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** This thread's parameters (the ones `apply` should update). */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.replica.params;
  }

  /**
   * One step: the loss and gradients of every share (share 0 in this thread, share i on worker i), their
   * weighted sum, then `apply` with it.
   * @param shares The step's shares, 1 to `threads` of them (one share: no worker takes part).
   * @param weights Weight of each share in the sum (e.g. its ray count over the step's), so that
   *   sum_i w_i loss_i is the loss of the whole batch.
   * @param apply Receives the combined gradients by parameter key (tensors freed after it returns;
   *   parameters no share's loss reached are absent) and updates `params`, e.g.
   *   `(g) => adam.applyGradients(g, lr)`; or a {@linkcode FlatApply}, e.g.
   *   `{ flat: (layout, g, reached, p) => adam.applyFlat(layout, g, reached, p, lr) }`; or a
   *   {@linkcode SplitAdamApply}, `{ adam, lr }`: `adam.applyFlat`'s update, bit for bit, done by the
   *   step's threads on ranges of the flat parameters.
   * @returns Losses, extras per share, and where the time went.
   * @throws When a share's loss fails, in this thread or a worker (with the worker's stack); the engine
   *   is then disposed.
   */
  async step(
    shares: readonly Share[],
    weights: readonly number[],
    apply: ((grads: ReadonlyMap<string, tf.Tensor>) => void) | FlatApply | SplitAdamApply,
  ): Promise<ParallelStepResult> {
    this.check();
    if (this.running) throw new Error("data-parallel: a step is already running (await each step)");
    if (shares.length < 1 || shares.length > this.threads) {
      throw new Error(`data-parallel: a step takes 1 to ${this.threads} shares: got ${shares.length}`);
    }
    if (weights.length !== shares.length || !weights.every((w) => Number.isFinite(w))) {
      throw new Error(
        `data-parallel: weights must be ${shares.length} finite numbers (one per share): got [${weights}]`,
      );
    }
    this.running = true;
    try {
      return shares.length === 1 ? this.stepAlone(shares[0], weights[0], apply) : await this.stepShared(
        shares,
        weights,
        apply,
      );
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.dispose();
      throw this.failure;
    } finally {
      this.running = false;
    }
  }

  private stepAlone(
    share: Share,
    weight: number,
    apply: ((g: ReadonlyMap<string, tf.Tensor>) => void) | FlatApply | SplitAdamApply,
  ): ParallelStepResult {
    const t0 = performance.now();
    const own = shareGradients(this.mod, this.replica, share);
    const t1 = performance.now();
    let grads = own.grads;
    try {
      if (typeof apply !== "function") {
        const sum = new GradientSum(this.slots, this.total);
        sum.addTensors(own.grads, weight);
        this.mirror.sync(this.replica.params);
        const t2 = performance.now();
        this.flatUpdate(isSplit(apply) ? flatOf(apply) : apply, sum);
        return singleShareResult(own, weight, t0, t1, t2, performance.now());
      }
      if (weight !== 1) {
        grads = new Map([...own.grads].map(([k, g]) => [k, tf.mul(g, weight)]));
        tf.dispose([...own.grads.values()]);
      }
      const t2 = performance.now();
      apply(grads);
      return singleShareResult(own, weight, t0, t1, t2, performance.now());
    } finally {
      tf.dispose([...grads.values()]);
    }
  }

  private async stepShared(
    shares: readonly Share[],
    weights: readonly number[],
    apply: ((g: ReadonlyMap<string, tf.Tensor>) => void) | FlatApply | SplitAdamApply,
  ): Promise<ParallelStepResult> {
    const shared = this.shared!;
    this.workers.forEach((h, i) => {
      if (h.error) throw new Error(`data-parallel worker ${i + 1} failed after the last step: ${h.error}`);
    });
    const step = ++this.stepId;
    const t0 = performance.now();
    if (this.mirror.sync(this.replica.params)) Atomics.store(shared.control, control.version, ++this.version);
    const version = this.version;
    const n = shares.length, workers = this.workers.slice(0, n - 1);
    const split = isSplit(apply) ? apply : undefined;
    const done = workers.map(() => deferred<FromGradWorker & { type: "done" }>());
    const updated = workers.map(() => deferred<FromGradWorker & { type: "updated" }>());
    const receivedAt: number[] = [];
    workers.forEach((h, i) => {
      h.onMessage = (msg) => {
        if (msg.type === "done" && msg.step === step) {
          receivedAt[i] = performance.timeOrigin + performance.now();
          done[i].resolve(msg);
        } else if (msg.type === "updated" && msg.step === step) {
          updated[i].resolve(msg);
        } else if (msg.type === "error") {
          const e = new Error(`data-parallel worker ${i + 1} (share ${i + 1}) failed: ${msg.message}`);
          done[i].reject(e), updated[i].reject(e);
        }
      };
    });
    for (let i = 1; i < n; i++) {
      const msg: ToGradWorker = { type: "step", step, version, share: shares[i] };
      this.workers[i - 1].worker.postMessage(msg);
    }
    const t1 = performance.now();
    // This thread's share, read out right away (its tensors are freed before the wait): into the sum, or
    // with a split update into shared memory, where every thread sums its range.
    const sum = split ? undefined : new GradientSum(this.slots, this.total);
    let own: ReturnType<typeof shareGradients>;
    try {
      own = shareGradients(this.mod, this.replica, shares[0]);
    } catch (e) {
      throw new Error(`data-parallel: share 0 (this thread) failed: ${errorText(e)}`);
    }
    try {
      if (sum) sum.addTensors(own.grads, weights[0]);
      else {
        this.slots.forEach((slot, k) => {
          const g = own.grads.get(slot.name);
          shared.ownReached[k] = g ? 1 : 0;
          if (g) shared.ownGrads.set(g.dataSync() as Float32Array, slot.offset);
        });
        // Orders the writes above before a worker's Atomics.load of this entry.
        Atomics.store(shared.control, control.ownGrads(this.workers.length), step);
      }
    } finally {
      tf.dispose([...own.grads.values()]);
    }
    const t2 = performance.now();
    let update: ReturnType<Adam["flatStep"]> | undefined;
    let ranges: [number, number][] = [];
    const postUpdates = () =>
      workers.forEach((h, i) => {
        const [lo, hi] = ranges[i + 1];
        const msg: ToGradWorker = { type: "update", step, lo, hi, adam: update!.step, weights: [...weights] };
        h.worker.postMessage(msg);
      });
    if (split) {
      update = split.adam.flatStep(this.slots, split.lr, { m: shared.m, v: shared.v });
      ranges = updateRanges(this.total, n, this.ownUpdateScale);
      // With one worker its range needs only this thread's gradients and its own: it starts as soon as
      // its share is done. With more, every worker's gradients must be in first.
      if (n === 2) postUpdates();
    }
    const all = Promise.all(done.map((d) => d.promise));
    const results = await (this.stepTimeoutMs === undefined ? all : withTimeout(all, this.stepTimeoutMs));
    const t3 = performance.now();
    // Shares 1..n-1 in order: the same sum whichever worker finished first.
    for (let i = 1; i < n; i++) {
      if (Atomics.load(shared.control, control.grads(i - 1)) !== step) {
        throw new Error(`data-parallel worker ${i}: reported step ${step} but its gradients are missing`);
      }
      sum?.addShared(shared.grads[i - 1], shared.reached[i - 1], weights[i]);
    }
    const flat = typeof apply !== "function";
    const grads = flat ? new Map<string, tf.Tensor>() : sum!.tensors();
    try {
      let t4 = performance.now(), updateWaitMs: number | undefined, workerUpdates: number[] = [];
      if (split) {
        if (n > 2) postUpdates();
        const gradients = {
          grads: [shared.ownGrads, ...shared.grads.slice(0, n - 1)],
          reached: [shared.ownReached, ...shared.reached.slice(0, n - 1)],
          weights,
        };
        const [lo, hi] = ranges[0];
        const { m, v } = update!;
        sumAndUpdateRange(this.slots, gradients, update!.step, m, v, shared.params, lo, hi, this.scratch);
        t4 = performance.now();
        // The parameters wholly in this thread's range go into the variables while the workers finish
        // theirs, the others after.
        const touched = new Uint8Array(this.slots.length), mine = new Uint8Array(this.slots.length);
        this.slots.forEach((s, k) => {
          touched[k] = gradients.reached.some((r) => r[k]) ? 1 : 0;
          mine[k] = touched[k] && s.offset + s.size <= hi ? 1 : 0;
          touched[k] &= 1 - mine[k];
        });
        this.mirror.upload(this.replica.params, mine);
        const tw = performance.now();
        const allUpdated = Promise.all(updated.map((d) => d.promise));
        const reports =
          await (this.stepTimeoutMs === undefined ? allUpdated : withTimeout(allUpdated, this.stepTimeoutMs));
        updateWaitMs = performance.now() - tw;
        workerUpdates = reports.map((r) => r.updateMs);
        for (let w = 0; w < n - 1; w++) {
          if (Atomics.load(shared.control, control.updated(this.workers.length, w)) !== step) {
            throw new Error(
              `data-parallel worker ${w + 1}: reported its update of step ${step} but it is missing`,
            );
          }
        }
        this.loadAhead(shared);
        this.mirror.upload(this.replica.params, touched);
      } else if (flat) {
        this.flatUpdate(apply as FlatApply, sum!);
        this.loadAhead(shared);
      } else {
        apply(grads);
      }
      const t5 = performance.now();
      const shareLosses = [own.loss, ...results.map((r) => r.loss)];
      return {
        loss: shareLosses.reduce((sum, l, i) => sum + weights[i] * l, 0),
        shareLosses,
        extras: [own.extras, ...results.map((r) => r.extras)],
        timing: {
          broadcastMs: t1 - t0,
          ownMs: t2 - t1,
          waitMs: t3 - t2,
          reduceMs: t4 - t3,
          applyMs: t5 - t4,
          ...(updateWaitMs !== undefined && { updateWaitMs }),
          workers: results.map((r, i) => ({
            loadMs: r.loadMs,
            computeMs: r.computeMs,
            tensors: r.tensors,
            startLagMs: r.startedAt - (performance.timeOrigin + t1),
            reportLagMs: receivedAt[i] - r.sentAt,
            ...(split && { updateMs: workerUpdates[i] }),
          })),
        },
      };
    } finally {
      tf.dispose([...grads.values()]);
      for (const h of this.workers) h.onMessage = undefined;
    }
  }

  /** After the shared parameters were updated in place: a new version, which the workers load now, while
   * this thread finishes the step and draws the next batch, instead of at the start of the next step (the
   * buffer is not written until then). */
  private loadAhead(shared: SharedBuffers): void {
    Atomics.store(shared.control, control.version, ++this.version);
    for (const h of this.workers) {
      h.worker.postMessage({ type: "load", version: this.version } as ToGradWorker);
    }
  }

  /** A flat update of the parameter copy, then the updated parameters assigned to the variables. */
  private flatUpdate(apply: FlatApply, sum: GradientSum): void {
    apply.flat(this.slots, sum.acc, sum.touched, this.mirror.buffer);
    this.mirror.upload(this.replica.params, sum.touched);
  }

  /** Terminates the workers and frees the replica the engine created (not one passed in). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.workers) {
      h.onMessage = undefined;
      h.worker.terminate();
    }
    if (this.ownsReplica) this.replica.dispose();
  }

  private check(): void {
    if (this.failure) throw new Error(`the data-parallel engine failed earlier: ${this.failure.message}`);
    if (this.disposed) throw new Error("the data-parallel engine was disposed");
  }
}
