/**
 * Worker entry of {@linkcode DataParallel} (lib/train/data_parallel.ts): its own tfjs wasm instance, the
 * loss module imported by URL, and a replica built by the module's `createReplica`. Each step it loads
 * the caller's parameters from shared memory (when their version changed), computes its share's loss and
 * gradients, writes the gradients into its shared slot and reports the loss and extras. Not meant to be
 * imported.
 *
 * Messages in: `init` (module URL, `createReplica`'s argument, parameter layout, shared buffers), `step`
 * (step number, parameter version, the share), `load` (the parameters of a version, ahead of its step). Out: `ready`, `done`, `error` (message and stack).
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
import { checkLayout, type ParamSlot, readParams, type SharedBuffers } from "./shared_params.ts";

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
    /** `tf.memory().numTensors` of the worker after the step (flat across steps unless the loss leaks). */
    readonly tensors: number;
  }
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
  }
  | undefined;

async function handle(msg: ToGradWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      await initBackend({ log: null });
      const mod = checkLossModule<Replica, unknown>(await import(msg.module), msg.module);
      const replica = await mod.createReplica(msg.init);
      checkLayout(replica.params, msg.slots, `data-parallel worker ${msg.index + 1}`);
      state = { index: msg.index, mod, replica, slots: msg.slots, shared: msg.shared, loaded: -1 };
      scope.postMessage({ type: "ready" });
      return;
    }
    case "load": {
      if (!state) throw new Error("grad worker: load before init");
      if (state.loaded !== msg.version && Atomics.load(state.shared.control, 0) === msg.version) {
        readParams(state.shared, state.slots, state.replica.params);
        state.loaded = msg.version;
      }
      return;
    }
    case "step": {
      if (!state) throw new Error("grad worker: step before init");
      const s = state;
      const t0 = performance.now();
      const version = Atomics.load(s.shared.control, 0);
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
      Atomics.store(s.shared.control, 1 + s.index, msg.step);
      scope.postMessage({
        type: "done",
        step: msg.step,
        loss,
        extras,
        loadMs: t1 - t0,
        computeMs: performance.now() - t1,
        tensors: tf.memory().numTensors,
      });
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
