/**
 * Parts of the data-parallel engine (lib/train/data_parallel.ts) that need none of its state: starting
 * the gradient workers, the element ranges of a split update, and small promise helpers.
 * @module
 */
import type { FromGradWorker, ToGradWorker } from "./grad_worker.ts";
import type { ParamSlot, SharedBuffers } from "./shared_params.ts";
import type { DataParallelOptions, FlatApply, SplitAdamApply } from "./data_parallel_types.ts";

/** A worker computing gradients, and who listens to it. */
export interface WorkerHandle {
  readonly worker: Worker;
  onMessage?: (msg: FromGradWorker) => void;
  /** The first error it reported, kept when no step was listening (a crash between steps). */
  error?: string;
}

/**
 * Starts `count` gradient workers (lib/train/grad_worker.ts), each importing the loss module and building
 * its replica, and waits until every one is ready. The handles are pushed into `handles` as they are made,
 * so a caller's cleanup terminates every started worker when this throws.
 * @throws When a worker fails to start (its message included).
 */
export async function startGradWorkers(
  handles: WorkerHandle[],
  count: number,
  url: string,
  init: unknown,
  slots: readonly ParamSlot[],
  shared: SharedBuffers,
): Promise<void> {
  for (let i = 0; i < count; i++) {
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
  await Promise.all(handles.map((h, i) =>
    new Promise<void>((resolve, reject) => {
      h.onMessage = (msg) =>
        msg.type === "ready"
          ? resolve()
          : reject(new Error(`data-parallel worker ${i + 1} failed to start: ${workerText(msg)}`));
      const msg: ToGradWorker = { type: "init", index: i, module: url, init, slots, shared };
      h.worker.postMessage(msg);
    })
  ));
  for (const h of handles) h.onMessage = undefined;
}

/** This thread's part of a split update by default, relative to an even split: it also copies the new
 * parameters into its variables while the workers update theirs (the demo config's parameters, two
 * threads: 0.9, i.e. 45 % here, finished both ranges about together, measured under load). */
export const DEFAULT_OWN_UPDATE_SCALE = 0.9;

export function isSplit(apply: unknown): apply is SplitAdamApply {
  return typeof apply === "object" && apply !== null && "adam" in apply;
}

/** A split update done by this thread alone: `Adam.applyFlat`. */
export function flatOf(apply: SplitAdamApply): FlatApply {
  return { flat: (layout, g, reached, p) => apply.adam.applyFlat(layout, g, reached, p, apply.lr) };
}

/**
 * The element ranges of a split update: [0, ownScale * total / parts) for this thread (at most all of
 * them), the rest in equal parts for the `parts - 1` workers.
 * @param total Elements.
 * @param parts Threads taking part (this one included).
 * @param ownScale This thread's part relative to an even split, >= 0.
 * @returns `[lo, hi)` per thread.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { updateRanges } from "./data_parallel_parts.ts";
 * assertEquals(updateRanges(100, 2, 0.9), [[0, 45], [45, 100]]);
 * assertEquals(updateRanges(100, 3, 1), [[0, 33], [33, 67], [67, 100]]);
 * assertEquals(updateRanges(100, 1, 0.9), [[0, 100]]);
 * ```
 */
export function updateRanges(total: number, parts: number, ownScale: number): [number, number][] {
  const cut = parts === 1 ? total : Math.min(total, Math.round(ownScale * total / parts));
  const out: [number, number][] = [[0, cut]];
  for (let i = 1; i < parts; i++) {
    out.push([
      cut + Math.round((total - cut) * (i - 1) / (parts - 1)),
      cut + Math.round((total - cut) * i / (parts - 1)),
    ]);
  }
  return out;
}

/** A promise with its settle functions (a rejection nobody awaits is not reported as unhandled). */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void, reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export function workerText(msg: FromGradWorker): string {
  return msg.type === "error" ? msg.message : `unexpected message ${msg.type}`;
}

/** `p`, or a rejection after `ms` (a worker stuck in its loss). */
export async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`data-parallel: the workers did not finish within stepTimeoutMs = ${ms}`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The checked options of `DataParallel.create`: thread count, step timeout, this thread's share of a split
 * update, and the loss module's URL as a string.
 * @throws When an option is out of range or the module is not an absolute URL.
 */
export function engineOptions(
  options: Pick<DataParallelOptions<unknown>, "threads" | "stepTimeoutMs" | "ownUpdateScale" | "module">,
): { threads: number; timeout: number | undefined; ownUpdateScale: number; url: string } {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`data-parallel: threads must be an integer >= 1: got ${threads}`);
  }
  const timeout = options.stepTimeoutMs;
  if (timeout !== undefined && !(timeout > 0)) {
    throw new Error(`data-parallel: stepTimeoutMs must be > 0 (or left out for no limit): got ${timeout}`);
  }
  const ownUpdateScale = options.ownUpdateScale ?? DEFAULT_OWN_UPDATE_SCALE;
  if (!(ownUpdateScale >= 0 && ownUpdateScale <= threads)) {
    throw new Error(`data-parallel: ownUpdateScale must be in [0, ${threads}]: got ${ownUpdateScale}`);
  }
  let url: string;
  try {
    url = new URL(options.module).href;
  } catch {
    throw new Error(
      `data-parallel: module must be an absolute URL (e.g. new URL("./loss.ts", import.meta.url)): got ${options.module}`,
    );
  }
  return { threads, timeout, ownUpdateScale, url };
}
