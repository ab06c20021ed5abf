/**
 * Data-parallel training on several threads. tfjs' wasm backend runs one thread under Deno, so the other
 * cores are used by Web Workers, each with its own tfjs wasm instance and a replica of the model. Each
 * step the caller splits its batch into shares (one per thread, the calling thread included); every
 * thread computes the loss and gradients of its share; the gradients are combined as the weighted sum
 * sum_i w_i g_i, always in share order (so the result does not depend on which thread finished first);
 * the caller applies the update (e.g. {@linkcode applyAdamGradients}) to its own parameters, and the
 * workers load those parameters at the start of the next step, so every replica starts every step with
 * the caller's parameters bit for bit and the optimizer state lives only in the caller.
 *
 * ## The loss module (what a model provides)
 * A module, imported by URL in the calling thread and in every worker, exporting:
 * ```ts ignore
 * export function createReplica(init: Init): Replica | Promise<Replica>;
 * export function shareLoss(replica: Replica, share: Share): ShareLoss;
 * ```
 * - `createReplica(init)`: builds the model from `init` (structured-cloneable, e.g. a config). It must
 *   produce the same parameter keys, shapes and order in every thread; its initial values do not matter
 *   (the workers get the caller's values before their first step). It may start the tfjs backend itself;
 *   workers start the wasm backend before importing the module.
 * - `shareLoss(replica, share)`: the loss of one share as a `tf.Scalar`, called inside
 *   `tf.variableGrads` (tensors it creates are freed afterwards). It must be a pure function of the
 *   replica's parameters and the share: randomness (stratified jitter, perturbation) and per-step state
 *   (step number, audio windows, pose, sampling bounds) come inside the share, drawn by the caller.
 *   `extras` carries per-share outputs back to the caller (per-ray errors for the semantic sampler, loss
 *   terms by name), read inside the function with `dataSync()`.
 * - A share is any structured-cloneable value (objects of typed arrays and numbers); shares of the workers
 *   are copied to them with `postMessage`.
 *
 * Loss terms must be means over the share's rays (or points) and each share's weight its ray count over
 * the step's, so that sum_i w_i loss_i is the whole batch's loss; a term that is a sum, or a mean over
 * something else, needs its own weighting inside `shareLoss`. For a NeRF trainer a share holds the rays'
 * origins, directions, background, target colours and labels, pixel uv, the coarse sample depths, the
 * frame's audio windows and pose, the step's flags (e.g. audio smoothing on) and a seed for the fine
 * samples' jitter; its extras hold per-ray errors (for the semantic sampler, concatenated in share order
 * by {@linkcode mergeExtras}) and the loss terms by name (weighted sums).
 *
 * With one share (always so with one thread) nothing is spawned or copied and the gradients are those of
 * `tf.variableGrads` on the whole batch, so `step` + `applyAdamGradients` equals `Adam.minimize` bit for
 * bit (tested).
 *
 * ```ts ignore
 * const engine = await DataParallel.create({ module: new URL("./my_loss.ts", import.meta.url), init, threads: 2 });
 * try {
 *   for (let step = 0; step < steps; step++) {
 *     const { shares, weights } = makeShares(step); // e.g. the step's rays split in two halves
 *     const r = await engine.step(shares, weights, (grads) => applyAdamGradients(adam, grads, lr));
 *   }
 * } finally {
 *   engine.dispose();
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { FromGradWorker, ToGradWorker } from "./grad_worker.ts";

export { applyAdamGradients } from "./apply_gradients.ts";

/** A model replica: its trainable parameters by key, and how to free them. */
export interface Replica {
  /** Trainable variables by key, in a stable order (e.g. `SspNerfModel.params`). */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Frees the replica's tensors. */
  dispose(): void;
}

/** A per-share output returned to the caller. */
export type ShareExtra = Float32Array | Int32Array | Uint8Array | number;

/** What `shareLoss` returns. */
export interface ShareLoss {
  /** The share's loss, a scalar (differentiated w.r.t. the replica's parameters). */
  readonly loss: tf.Scalar;
  /** Plain values for the caller (not tensors), e.g. `{ rayErrors: Float32Array, rgb: 0.01 }`. */
  readonly extras?: Readonly<Record<string, ShareExtra>>;
}

/** The exports a loss module must have (see the module documentation). */
export interface LossModule<Init = unknown, Share = unknown, R extends Replica = Replica> {
  createReplica(init: Init): R | Promise<R>;
  shareLoss(replica: R, share: Share): ShareLoss;
}

/** Options of {@linkcode DataParallel.create}. */
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
}

/** Milliseconds spent in the parts of one step (this thread's clock). */
export interface StepTiming {
  /** Copying this thread's parameters into shared memory for the workers. */
  readonly broadcastMs: number;
  /** This thread's share: forward, backward, gradients read out. */
  readonly ownMs: number;
  /** Waiting for the workers after this thread's share was done. */
  readonly waitMs: number;
  /** Weighted sum of the gradients and their tensors. */
  readonly reduceMs: number;
  /** The caller's `apply`. */
  readonly applyMs: number;
  /** Per worker: loading the parameters, its share (forward, backward, gradients written), and its
   * tensor count after the step (flat across steps unless the loss module leaks). */
  readonly workers: readonly {
    readonly loadMs: number;
    readonly computeMs: number;
    readonly tensors: number;
  }[];
}

/** What {@linkcode DataParallel.step} returns. */
export interface ParallelStepResult {
  /** sum_i w_i loss_i, in share order. */
  readonly loss: number;
  /** Each share's loss. */
  readonly shareLosses: readonly number[];
  /** Each share's extras, in share order. */
  readonly extras: readonly Readonly<Record<string, ShareExtra>>[];
  readonly timing: StepTiming;
}

/** Entry of the parameter layout shared with the workers. */
export interface ParamSlot {
  readonly name: string;
  readonly shape: readonly number[];
  /** First element in the flat buffers (in float32 elements). */
  readonly offset: number;
  readonly size: number;
}

/** Shared memory of one engine (sent to every worker at init). */
export interface SharedBuffers {
  /** The caller's parameters, written at the start of every multi-share step. */
  readonly params: Float32Array;
  /** [0]: parameter version (bumped after each write); [1 + w]: last step whose gradients worker w wrote. */
  readonly control: Int32Array;
  /** Per worker: its share's gradients, in the layout of the slots. */
  readonly grads: readonly Float32Array[];
  /** Per worker: 1 where its loss reached the parameter (else its gradient slot is stale). */
  readonly reached: readonly Uint8Array[];
}

interface WorkerHandle {
  readonly worker: Worker;
  onMessage?: (msg: FromGradWorker) => void;
  /** The first error it reported, kept when no step was listening (a crash between steps). */
  error?: string;
}

/**
 * Contiguous ranges splitting `n` items into `parts` shares as evenly as possible (the first `n % parts`
 * shares get one more), with each share's weight count / n.
 * @param n Items (e.g. rays of the step).
 * @param parts Shares (e.g. `engine.threads`); shares beyond `n` are left out.
 * @returns `[start, count, weight]` per share.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shareRanges } from "./data_parallel.ts";
 * assertEquals(shareRanges(5, 2), [[0, 3, 0.6], [3, 2, 0.4]]);
 * assertEquals(shareRanges(1, 3), [[0, 1, 1]]);
 * ```
 */
export function shareRanges(n: number, parts: number): [number, number, number][] {
  if (!Number.isInteger(n) || n < 1) throw new Error(`shareRanges: n must be an integer >= 1: got ${n}`);
  if (!Number.isInteger(parts) || parts < 1) {
    throw new Error(`shareRanges: parts must be an integer >= 1: got ${parts}`);
  }
  const k = Math.min(n, parts), base = Math.floor(n / k), extra = n % k;
  const out: [number, number, number][] = [];
  for (let i = 0, start = 0; i < k; i++) {
    const count = base + (i < extra ? 1 : 0);
    out.push([start, count, count / n]);
    start += count;
  }
  return out;
}

/**
 * Merges per-share extras: numbers become their weighted sum sum_i w_i x_i (e.g. loss terms that are
 * means over each share's rays), typed arrays are concatenated in share order (e.g. per-ray errors).
 * Keys missing from some share are left out.
 * @param extras Per-share extras (`ParallelStepResult.extras`).
 * @param weights The step's share weights.
 * @returns Merged extras.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mergeExtras } from "./data_parallel.ts";
 * const m = mergeExtras([{ mse: 2, err: Float32Array.of(1) }, { mse: 4, err: Float32Array.of(2, 3) }], [0.25, 0.75]);
 * assertEquals(m, { mse: 3.5, err: Float32Array.of(1, 2, 3) });
 * ```
 */
export function mergeExtras(
  extras: readonly Readonly<Record<string, ShareExtra>>[],
  weights: readonly number[],
): Record<string, ShareExtra> {
  const out: Record<string, ShareExtra> = {};
  if (extras.length === 0) return out;
  for (const key of Object.keys(extras[0])) {
    if (!extras.every((e) => key in e)) continue;
    const values = extras.map((e) => e[key]);
    if (values.every((v) => typeof v === "number")) {
      out[key] = values.reduce((s: number, v, i) => s + (v as number) * weights[i], 0);
    } else if (values.every((v) => v instanceof values[0].constructor && typeof v !== "number")) {
      const arrays = values as (Float32Array | Int32Array | Uint8Array)[];
      const total = arrays.reduce((s, a) => s + a.length, 0);
      const Ctor = arrays[0].constructor as new (n: number) => Float32Array | Int32Array | Uint8Array;
      const merged = new Ctor(total);
      let at = 0;
      for (const a of arrays) merged.set(a, at), at += a.length;
      out[key] = merged;
    } else {
      throw new Error(`mergeExtras: extra ${key} mixes numbers and arrays, or arrays of different types`);
    }
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
}

/**
 * Computes one share's loss and gradients in this thread.
 * @returns The loss value, gradients by parameter key (tensors the caller disposes), and the extras.
 */
export function shareGradients<R extends Replica, S>(
  mod: LossModule<unknown, S, R>,
  replica: R,
  share: S,
): { loss: number; grads: Map<string, tf.Tensor>; extras: Readonly<Record<string, ShareExtra>> } {
  const keys = [...replica.params.keys()];
  const vars = keys.map((k) => replica.params.get(k)!);
  const keyOf = new Map(vars.map((v, i) => [v.name, keys[i]]));
  let extras: Readonly<Record<string, ShareExtra>> = {};
  const { value, grads } = tf.variableGrads(() => {
    const r = mod.shareLoss(replica, share);
    if (!r || !(r.loss instanceof tf.Tensor) || r.loss.rank !== 0) {
      throw new Error("shareLoss must return { loss: tf.Scalar, extras? }");
    }
    extras = r.extras ?? {};
    return r.loss;
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  // In the replica's key order (variableGrads lists them by tf name).
  for (const v of vars) if (grads[v.name]) out.set(keyOf.get(v.name)!, grads[v.name]);
  return { loss, grads: out, extras };
}

/**
 * Checks a loaded module against the contract.
 * @param mod The module namespace.
 * @param url Its URL (named in errors).
 * @returns The module, typed.
 */
export function checkLossModule<R extends Replica, S>(mod: unknown, url: string): LossModule<unknown, S, R> {
  const m = mod as Record<string, unknown>;
  for (const name of ["createReplica", "shareLoss"]) {
    if (typeof m[name] !== "function") {
      throw new Error(`loss module ${url} must export a function ${name} (see lib/train/data_parallel.ts)`);
    }
  }
  return m as unknown as LossModule<unknown, S, R>;
}

/**
 * The parameter layout of a replica in the flat shared buffers.
 * @param params The replica's parameters (float32 only).
 * @returns Slots in map order, and the total element count.
 */
export function paramLayout(params: ReadonlyMap<string, tf.Variable>): { slots: ParamSlot[]; total: number } {
  const slots: ParamSlot[] = [];
  let offset = 0;
  for (const [name, v] of params) {
    if (v.dtype !== "float32") {
      throw new Error(`data-parallel: parameter ${name} is ${v.dtype}, expected float32`);
    }
    slots.push({ name, shape: [...v.shape], offset, size: v.size });
    offset += v.size;
  }
  return { slots, total: offset };
}

/**
 * Checks that a replica has exactly the layout's keys, shapes and order.
 * @param params The replica's parameters.
 * @param slots The caller's layout.
 * @param where Names the replica in errors.
 */
export function checkLayout(
  params: ReadonlyMap<string, tf.Variable>,
  slots: readonly ParamSlot[],
  where: string,
) {
  const keys = [...params.keys()];
  if (keys.length !== slots.length || keys.some((k, i) => k !== slots[i].name)) {
    throw new Error(
      `${where}: createReplica gave parameters [${keys.join(", ")}], the caller's replica has [${
        slots.map((s) => s.name).join(", ")
      }]`,
    );
  }
  for (const s of slots) {
    const v = params.get(s.name)!;
    if (v.shape.join(",") !== s.shape.join(",")) {
      throw new Error(`${where}: parameter ${s.name} has shape [${v.shape}], the caller's has [${s.shape}]`);
    }
  }
}

/**
 * A data-parallel gradient engine: this thread plus `threads - 1` workers, each with a replica of the
 * model. Create with {@linkcode DataParallel.create}; `dispose()` terminates the workers (also done on
 * any error in a step, after which the engine refuses further work).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/mod.ts";
 * import { Adam } from "./adam.ts";
 * import { applyAdamGradients, DataParallel, mergeExtras, shareRanges } from "./data_parallel.ts";
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
 *   const r = await engine.step(shares, weights, (g) => applyAdamGradients(adam, g, 1e-3));
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
  ) {}

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
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new Error(`data-parallel: threads must be an integer >= 1: got ${threads}`);
    }
    const timeout = options.stepTimeoutMs;
    if (timeout !== undefined && !(timeout > 0)) {
      throw new Error(`data-parallel: stepTimeoutMs must be > 0 (or left out for no limit): got ${timeout}`);
    }
    let url: string;
    try {
      url = new URL(options.module).href;
    } catch {
      throw new Error(
        `data-parallel: module must be an absolute URL (e.g. new URL("./loss.ts", import.meta.url)): got ${options.module}`,
      );
    }
    const mod = checkLossModule<Replica, Share>(await import(url), url);
    const replica = options.replica ?? await mod.createReplica(options.init);
    const owns = options.replica === undefined;
    const handles: WorkerHandle[] = [];
    try {
      const { slots, total } = paramLayout(replica.params);
      let shared: SharedBuffers | null = null;
      if (threads > 1) {
        const floats = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));
        shared = {
          params: floats(total),
          control: new Int32Array(new SharedArrayBuffer(4 * threads)),
          grads: Array.from({ length: threads - 1 }, () => floats(total)),
          reached: Array.from(
            { length: threads - 1 },
            () => new Uint8Array(new SharedArrayBuffer(slots.length)),
          ),
        };
        for (let i = 0; i < threads - 1; i++) {
          const worker = new Worker(new URL("./grad_worker.ts", import.meta.url).href, { type: "module" });
          const h: WorkerHandle = { worker };
          const report = (msg: FromGradWorker) => {
            if (msg.type === "error") h.error ??= msg.message;
            h.onMessage?.(msg);
          };
          worker.onmessage = (e: MessageEvent<FromGradWorker>) => report(e.data);
          worker.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            report({
              type: "error",
              message: `crashed: ${e.message} (${e.filename}:${e.lineno}:${e.colno})`,
            });
          };
          worker.onmessageerror = () => report({ type: "error", message: "a message could not be read" });
          handles.push(h);
        }
        const sh = shared;
        await Promise.all(handles.map((h, i) =>
          new Promise<void>((resolve, reject) => {
            h.onMessage = (msg) =>
              msg.type === "ready"
                ? resolve()
                : reject(new Error(`data-parallel worker ${i + 1} failed to start: ${workerText(msg)}`));
            const init: ToGradWorker = {
              type: "init",
              index: i,
              module: url,
              init: options.init,
              slots,
              shared: sh,
            };
            h.worker.postMessage(init);
          })
        ));
        for (const h of handles) h.onMessage = undefined;
      }
      return new DataParallel<Share>(mod, replica, owns, slots, total, shared, handles, timeout);
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
   *   `(g) => applyAdamGradients(adam, g, lr)`.
   * @returns Losses, extras per share, and where the time went.
   * @throws When a share's loss fails, in this thread or a worker (with the worker's stack); the engine
   *   is then disposed.
   */
  async step(
    shares: readonly Share[],
    weights: readonly number[],
    apply: (grads: ReadonlyMap<string, tf.Tensor>) => void,
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
    apply: (g: ReadonlyMap<string, tf.Tensor>) => void,
  ): ParallelStepResult {
    const t0 = performance.now();
    const own = shareGradients(this.mod, this.replica, share);
    const t1 = performance.now();
    let grads = own.grads;
    try {
      if (weight !== 1) {
        grads = new Map([...own.grads].map(([k, g]) => [k, tf.mul(g, weight)]));
        tf.dispose([...own.grads.values()]);
      }
      const t2 = performance.now();
      apply(grads);
      const t3 = performance.now();
      return {
        loss: weight * own.loss,
        shareLosses: [own.loss],
        extras: [own.extras],
        timing: {
          broadcastMs: 0,
          ownMs: t1 - t0,
          waitMs: 0,
          reduceMs: t2 - t1,
          applyMs: t3 - t2,
          workers: [],
        },
      };
    } finally {
      tf.dispose([...grads.values()]);
    }
  }

  private async stepShared(
    shares: readonly Share[],
    weights: readonly number[],
    apply: (g: ReadonlyMap<string, tf.Tensor>) => void,
  ): Promise<ParallelStepResult> {
    const shared = this.shared!;
    this.workers.forEach((h, i) => {
      if (h.error) throw new Error(`data-parallel worker ${i + 1} failed after the last step: ${h.error}`);
    });
    const step = ++this.stepId;
    const t0 = performance.now();
    // Broadcast this thread's parameters; the Atomics store orders the plain writes before it.
    for (const s of this.slots) shared.params.set(this.replica.params.get(s.name)!.dataSync(), s.offset);
    const version = ++this.version;
    Atomics.store(shared.control, 0, version);
    const n = shares.length;
    const results: (FromGradWorker & { type: "done" })[] = [];
    const finished = this.workers.slice(0, n - 1).map((h, i) =>
      new Promise<void>((resolve, reject) => {
        h.onMessage = (msg) => {
          if (msg.type === "done" && msg.step === step) {
            results[i] = msg;
            resolve();
          } else if (msg.type === "error") {
            reject(new Error(`data-parallel worker ${i + 1} (share ${i + 1}) failed: ${msg.message}`));
          }
        };
      })
    );
    // A rejection before this thread awaits would be reported as unhandled.
    const all = Promise.all(finished);
    all.catch(() => {});
    for (let i = 1; i < n; i++) {
      const msg: ToGradWorker = { type: "step", step, version, share: shares[i] };
      this.workers[i - 1].worker.postMessage(msg);
    }
    const t1 = performance.now();
    // This thread's share, read out into the sum right away (its tensors are freed before the wait).
    const acc = new Float32Array(this.total);
    const touched = new Uint8Array(this.slots.length);
    let own: ReturnType<typeof shareGradients>;
    try {
      own = shareGradients(this.mod, this.replica, shares[0]);
    } catch (e) {
      throw new Error(`data-parallel: share 0 (this thread) failed: ${errorText(e)}`);
    }
    try {
      const w0 = Math.fround(weights[0]);
      this.slots.forEach((s, k) => {
        const g = own.grads.get(s.name);
        if (!g) return;
        const data = g.dataSync();
        for (let j = 0; j < s.size; j++) acc[s.offset + j] = w0 * data[j];
        touched[k] = 1;
      });
    } finally {
      tf.dispose([...own.grads.values()]);
    }
    const t2 = performance.now();
    if (this.stepTimeoutMs === undefined) {
      await all;
    } else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = this.stepTimeoutMs;
      try {
        await Promise.race([
          all,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new Error(`data-parallel: the workers did not finish within stepTimeoutMs = ${limit}`),
                ),
              limit,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    }
    const t3 = performance.now();
    // Shares 1..n-1 in order: the same sum whichever worker finished first.
    for (let i = 1; i < n; i++) {
      if (Atomics.load(shared.control, i) !== step) {
        throw new Error(`data-parallel worker ${i}: reported step ${step} but its gradients are missing`);
      }
      const g = shared.grads[i - 1], reached = shared.reached[i - 1], w = Math.fround(weights[i]);
      this.slots.forEach((s, k) => {
        if (!reached[k]) return;
        const end = s.offset + s.size;
        if (touched[k]) {
          for (let j = s.offset; j < end; j++) acc[j] += w * g[j];
        } else {
          for (let j = s.offset; j < end; j++) acc[j] = w * g[j];
          touched[k] = 1;
        }
      });
    }
    const grads = new Map<string, tf.Tensor>();
    try {
      this.slots.forEach((s, k) => {
        if (touched[k]) grads.set(s.name, tf.tensor(acc.subarray(s.offset, s.offset + s.size), [...s.shape]));
      });
      const t4 = performance.now();
      apply(grads);
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
          workers: results.map((r) => ({ loadMs: r.loadMs, computeMs: r.computeMs, tensors: r.tensors })),
        },
      };
    } finally {
      tf.dispose([...grads.values()]);
      for (const h of this.workers) h.onMessage = undefined;
    }
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

function workerText(msg: FromGradWorker): string {
  return msg.type === "error" ? msg.message : `unexpected message ${msg.type}`;
}
