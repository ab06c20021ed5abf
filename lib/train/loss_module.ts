/**
 * The contract between the data-parallel engine (lib/train/data_parallel.ts) and a model: the loss
 * module, and computing one share's loss and gradients in a thread.
 *
 * # The loss module (what a model provides)
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
 * something else, needs its own weighting inside `shareLoss`. The SSP-NeRF trainer's module is
 * lib/train/ssp_share_loss.ts: a share holds the rays' origins, directions, background, target colours
 * and labels, pixel uv, the coarse sample depths, the frame's audio windows and pose, the step's flags
 * (audio smoothing on) and a seed for the fine samples' jitter; its extras hold per-ray errors (for the
 * semantic sampler, concatenated in share order by `mergeExtras`) and the loss terms by name (weighted
 * sums).
 *
 * With one share (always so with one thread) nothing is spawned or copied and the gradients are those of
 * `tf.variableGrads` on the whole batch, so `step` + `Adam.applyGradients` equals `Adam.minimize` bit for
 * bit (tested).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { variableGradsFreeing } from "./adam.ts";

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
export function errorText(e: unknown): string {
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
  const { value, grads } = variableGradsFreeing(() => {
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
      throw new Error(`loss module ${url} must export a function ${name} (see lib/train/loss_module.ts)`);
    }
  }
  return m as unknown as LossModule<unknown, S, R>;
}
