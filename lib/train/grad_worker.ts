/**
 * Worker entry of {@linkcode DataParallel} (lib/train/data_parallel.ts): its own tfjs wasm instance, the
 * loss module imported by URL, and a replica built by the module's `createReplica`. Each step it loads
 * the caller's parameters from shared memory (when their version changed), computes its share's loss and
 * gradients, writes the gradients into its shared slot and reports the loss and extras. Not meant to be
 * imported.
 *
 * Messages in: `init` (module URL, `createReplica`'s argument, parameter layout, shared buffers), `step`
 * (step number, parameter version, the share), `update` (a range of the step's gradient sum and Adam
 * update, in shared memory), `load` (the parameters of a version, ahead of its step). Out: `ready`,
 * `done`, `updated`, `error` (message and stack).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/mod.ts";
import {
  checkLossModule,
  type LossModule,
  type Replica,
  type ShareExtra,
  shareGradients,
} from "./loss_module.ts";
import type { FlatAdamStep } from "./adam.ts";
import {
  checkLayout,
  control,
  type ParamSlot,
  readParams,
  type SharedBuffers,
  sumAndUpdateRange,
  UPDATE_CHUNK,
} from "./shared_params.ts";

/** A message to the worker. */
export type ToGradWorker =
  | {
    readonly type: "init";
    /** This worker's index among the workers (share index - 1). */
    readonly index: number;
    readonly module: string;
    readonly init: unknown;
    readonly slots: readonly ParamSlot[];
    readonly shared: SharedBuffers;
  }
  | { readonly type: "step"; readonly step: number; readonly version: number; readonly share: unknown }
  /** The elements [lo, hi) of the step's weighted gradient sum (the caller's share, then those of the
   * first `weights.length - 1` workers) and its Adam update, in shared memory (`sumAndUpdateRange`). */
  | {
    readonly type: "update";
    readonly step: number;
    readonly lo: number;
    readonly hi: number;
    readonly adam: FlatAdamStep;
    readonly weights: readonly number[];
  }
  /** Load the parameters of this version now (ahead of the next step, while the caller runs its own
   * between-step work); skipped when the buffer holds another version by then. No reply. */
  | { readonly type: "load"; readonly version: number };

/** A message from the worker. */
export type FromGradWorker =
  | { readonly type: "ready" }
  | {
    readonly type: "done";
    readonly step: number;
    readonly loss: number;
    readonly extras: Readonly<Record<string, ShareExtra>>;
    readonly loadMs: number;
    readonly computeMs: number;
    /** When the step began here and when its report was sent (`performance.timeOrigin + now()`, ms):
     * the caller's clock on the same scale gives the message delays. */
    readonly startedAt: number;
    readonly sentAt: number;
    /** `tf.memory().numTensors` of the worker after the step (flat across steps unless the loss leaks). */
    readonly tensors: number;
  }
  | { readonly type: "updated"; readonly step: number; readonly updateMs: number }
  | { readonly type: "error"; readonly message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToGradWorker>) => void) | null;
  postMessage(message: FromGradWorker): void;
}

const scope = globalThis as unknown as WorkerScope;
let state:
  | {
    index: number;
    mod: LossModule<unknown, unknown, Replica>;
    replica: Replica;
    slots: readonly ParamSlot[];
    shared: SharedBuffers;
    loaded: number;
    scratch: Float32Array;
  }
  | undefined;

async function handle(msg: ToGradWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      await initBackend({ log: null });
      const mod = checkLossModule<Replica, unknown>(await import(msg.module), msg.module);
      const replica = await mod.createReplica(msg.init);
      checkLayout(replica.params, msg.slots, `data-parallel worker ${msg.index + 1}`);
      state = {
        index: msg.index,
        mod,
        replica,
        slots: msg.slots,
        shared: msg.shared,
        loaded: -1,
        scratch: new Float32Array(UPDATE_CHUNK),
      };
      scope.postMessage({ type: "ready" });
      return;
    }
    case "load": {
      if (!state) throw new Error("grad worker: load before init");
      if (
        state.loaded !== msg.version && Atomics.load(state.shared.control, control.version) === msg.version
      ) {
        readParams(state.shared, state.slots, state.replica.params);
        state.loaded = msg.version;
      }
      return;
    }
    case "step": {
      if (!state) throw new Error("grad worker: step before init");
      const s = state;
      const t0 = performance.now();
      const startedAt = performance.timeOrigin + t0;
      const version = Atomics.load(s.shared.control, control.version);
      if (version !== msg.version) {
        throw new Error(`grad worker: parameters are at version ${version}, the step expects ${msg.version}`);
      }
      if (s.loaded !== version) {
        readParams(s.shared, s.slots, s.replica.params);
        s.loaded = version;
      }
      const t1 = performance.now();
      const { loss, grads, extras } = shareGradients(s.mod, s.replica, msg.share);
      const slotGrads = s.shared.grads[s.index], reached = s.shared.reached[s.index];
      try {
        s.slots.forEach((slot, k) => {
          const g = grads.get(slot.name);
          reached[k] = g ? 1 : 0;
          if (g) slotGrads.set(g.dataSync() as Float32Array, slot.offset);
        });
      } finally {
        tf.dispose([...grads.values()]);
      }
      // Orders the plain writes above before the caller's Atomics.load of this entry.
      Atomics.store(s.shared.control, control.grads(s.index), msg.step);
      scope.postMessage({
        type: "done",
        step: msg.step,
        loss,
        extras,
        loadMs: t1 - t0,
        computeMs: performance.now() - t1,
        tensors: tf.memory().numTensors,
        startedAt,
        sentAt: performance.timeOrigin + performance.now(),
      });
      return;
    }
    case "update": {
      if (!state) throw new Error("grad worker: update before init");
      const s = state, sh = s.shared, workers = sh.grads.length, n = msg.weights.length;
      const t0 = performance.now();
      const ready = [control.ownGrads(workers), ...Array.from({ length: n - 1 }, (_, w) => control.grads(w))];
      for (const at of ready) {
        if (Atomics.load(sh.control, at) !== msg.step) {
          throw new Error(`grad worker: the gradients of step ${msg.step} are missing (control entry ${at})`);
        }
      }
      sumAndUpdateRange(
        s.slots,
        {
          grads: [sh.ownGrads, ...sh.grads.slice(0, n - 1)],
          reached: [sh.ownReached, ...sh.reached.slice(0, n - 1)],
          weights: msg.weights,
        },
        msg.adam,
        sh.m,
        sh.v,
        sh.params,
        msg.lo,
        msg.hi,
        s.scratch,
      );
      // Orders the writes above before the caller's Atomics.load of this entry.
      Atomics.store(sh.control, control.updated(workers, s.index), msg.step);
      scope.postMessage({ type: "updated", step: msg.step, updateMs: performance.now() - t0 });
      return;
    }
  }
}

let chain: Promise<void> = Promise.resolve();
scope.onmessage = (e: MessageEvent<ToGradWorker>) => {
  chain = chain.then(() => handle(e.data)).catch((err) => {
    scope.postMessage({
      type: "error",
      message: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err),
    });
  });
};
