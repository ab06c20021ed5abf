/**
 * The SSP-NeRF training loss, once for a whole step (the trainer's one-thread path) and once as the loss
 * module of the data-parallel engine (lib/train/data_parallel.ts), so a step's batch can be split into
 * contiguous shares over threads. Both call {@linkcode sspLoss}: model outputs (`renderModel`) -> the loss
 * terms of the config's `loss` section (each a mean over the rays it is given) -> their weighted sum.
 *
 * A share ({@linkcode SspShare}) carries everything the loss depends on besides the parameters, drawn by
 * the caller: its rays, targets, labels, coarse depths (already jittered), the frame's audio windows and
 * camera pose, whether audio smoothing is on, and a seed for the fine samples' jitter. The audio encoder
 * and the pose encoder run in every share, so their gradients are the weighted sum of the shares'.
 * Extras: each loss term by name (a mean over the share: `mergeExtras` with weights rays / step rays gives
 * the whole step's mean) and `rayErrors`, the squared colour error per ray (concatenated in share order).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfModel } from "../model/ssp_model.ts";
import type { RayBatch } from "../render/render_rays.ts";
import { renderModel } from "../render/render_model.ts";
import { type FrameRenderSetup, modelForSetup, passOptionsFor } from "../render/scene_setup.ts";
import { createRng, type Rng } from "../nn/rng.ts";
import type { Replica, ShareLoss } from "./data_parallel.ts";
import { lossTerms } from "./losses.ts";

/** What the loss of a set of rays depends on, besides the model's parameters. */
export interface SspLossInputs {
  readonly rays: RayBatch;
  /** Pixel centres in [-1, 1]^2, [n, 2]. */
  readonly uv: Float32Array;
  /** Coarse sample depths, [n, numCoarse]. */
  readonly tCoarse: Float32Array;
  /** Target colours, [n, 3]. */
  readonly target: Float32Array;
  /** Target classes, when the step trains the parsing branch. */
  readonly labels?: Int32Array;
  /** The frame's audio feature windows, [S, 16, D]. */
  readonly windows: tf.Tensor3D;
  /** Whether audio smoothing is on at this step. */
  readonly smooth: boolean;
  /** The frame's eye openness (read when the model has eye control; default 1 = open). */
  readonly eye?: number;
  /** Camera-to-world of the frame (the pose encoder's input). */
  readonly c2w: Float32Array;
  /** Image id of the training frame (its learned pose code, `pose.frameCode`). */
  readonly imgId?: number;
  /** Jitter of the fine samples; null = none. */
  readonly rng: Rng | null;
}

/** What {@linkcode sspLoss} returns. */
export interface SspLossResult {
  /** sum_k weight_k term_k. */
  readonly loss: tf.Scalar;
  /** Each term's value by name. */
  readonly terms: Record<string, number>;
  /** Squared colour error per ray (main pass), [n]. */
  readonly rayErrors: Float32Array;
}

/** {@linkcode sspLossTensors}' result: tensors, nothing read back yet. */
export interface SspLossTensors {
  /** sum_k weight_k term_k. */
  readonly loss: tf.Scalar;
  /** Each term by name. */
  readonly terms: Record<string, tf.Scalar>;
  /** Squared colour error per ray (main pass), [n]. */
  readonly rayErrors: tf.Tensor1D;
}

/**
 * The weighted loss of a set of rays as tensors, with no read back to the CPU (so a GPU backend can read
 * them asynchronously after the update). Call inside a gradient tape (`tf.variableGrads`); the tensors it
 * makes belong to that scope (`tf.keep` the terms and errors to read them after it).
 * @param model The model (its parameters are differentiated).
 * @param setup Classes and scene radius of the rendering (`Scene.setup`).
 * @param inputs Rays, targets and the step's randomness and codes.
 * @returns The loss, its terms by name and the per-ray errors.
 */
export function sspLossTensors(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  inputs: SspLossInputs,
): SspLossTensors {
  const cfg = model.config;
  const n = inputs.rays.n;
  const aud = model.frameCode(inputs.windows, inputs.smooth, inputs.eye);
  const targetT = tf.tensor2d(inputs.target, [n, 3]);
  const out = renderModel(model, {
    batch: inputs.rays,
    uv: inputs.uv,
    tCoarse: inputs.tCoarse,
    aud,
    pose: model.poseEncoder.encode(inputs.c2w, inputs.imgId),
    rng: inputs.rng,
    pass: passOptionsFor(cfg, setup.sceneRadius),
    classes: setup.classes,
  });
  const main = out.fine ?? out.coarse;
  const list = lossTerms(cfg.loss, out, targetT, inputs.labels);
  const rayErrors = tf.sum(tf.squaredDifference(main.rgb, targetT), 1) as tf.Tensor1D;
  const terms: Record<string, tf.Scalar> = {};
  let sum = tf.scalar(0);
  for (const [name, value, weight] of list) {
    terms[name] = value;
    sum = tf.add(sum, tf.mul(value, weight));
  }
  return { loss: sum as tf.Scalar, terms, rayErrors };
}

/**
 * The weighted loss of a set of rays, its terms and per-ray errors read back synchronously (CPU backends;
 * the data-parallel workers). Call inside a gradient tape (`tf.variableGrads`).
 * @param model The model (its parameters are differentiated).
 * @param setup Classes and scene radius of the rendering (`Scene.setup`).
 * @param inputs Rays, targets and the step's randomness and codes.
 * @returns The loss, its terms by name and the per-ray errors.
 */
export function sspLoss(model: SspNerfModel, setup: FrameRenderSetup, inputs: SspLossInputs): SspLossResult {
  const t = sspLossTensors(model, setup, inputs);
  const rayErrors = t.rayErrors.dataSync() as Float32Array;
  const terms: Record<string, number> = {};
  for (const [name, value] of Object.entries(t.terms)) terms[name] = value.dataSync()[0];
  return { loss: t.loss, terms, rayErrors };
}

/**
 * Per-ray values summed per class on the device, for feedback that needs one number per class rather than
 * one per ray (the semantic dynamic sampler's, on a GPU backend): a one-hot matMul, whose summation order
 * is fixed (atomic segment sums on a GPU add in any order, so their last bits vary from run to run). The
 * counts come from the classes, which are CPU data already.
 * @param values Per-ray values, [n] (e.g. squared colour errors).
 * @param classes Class id of each ray, n integers >= 0.
 * @returns The sums per class id, [top] with top = the highest class + 1 (the caller disposes them), and
 *   the rays per class id.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { classSums } from "./ssp_share_loss.ts";
 * const values = tf.tensor1d([0.5, 1, 2, 4]);
 * const { sums, counts } = classSums(values, Int32Array.of(2, 0, 2, 0));
 * assertEquals(Array.from(await sums.data()), [5, 0, 2.5]);
 * assertEquals(Array.from(counts), [2, 0, 2]);
 * tf.dispose([values, sums]);
 * ```
 */
export function classSums(
  values: tf.Tensor1D,
  classes: Int32Array,
): { sums: tf.Tensor1D; counts: Int32Array } {
  if (values.shape[0] !== classes.length) {
    throw new Error(`classSums: ${values.shape[0]} values but ${classes.length} classes`);
  }
  let top = 0;
  for (const k of classes) {
    if (!Number.isInteger(k) || k < 0) {
      throw new Error(`classSums: class ids must be integers >= 0: got ${k}`);
    }
    if (k + 1 > top) top = k + 1;
  }
  const counts = new Int32Array(top);
  for (const k of classes) counts[k]++;
  const sums = tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(classes, "int32"), top);
    return tf.reshape(tf.matMul(tf.reshape(values, [1, -1]), oneHot), [top]) as tf.Tensor1D;
  });
  return { sums, counts };
}

/** One thread's share of a step: contiguous rays of the step's batch and the step's codes and seed. */
export interface SspShare {
  /** Rays in the share. */
  readonly n: number;
  /** [n, 3] each. */
  readonly origins: Float32Array;
  readonly dirs: Float32Array;
  readonly background: Float32Array;
  readonly target: Float32Array;
  /** [n, 2]. */
  readonly uv: Float32Array;
  /** [n, numCoarse]. */
  readonly tCoarse: Float32Array;
  readonly labels?: Int32Array;
  /** The frame's audio windows, flat, and their shape [S, 16, D]. */
  readonly windows: Float32Array;
  readonly windowsShape: readonly [number, number, number];
  readonly smooth: boolean;
  /** The frame's eye openness, when the dataset has one. */
  readonly eye?: number;
  readonly c2w: Float32Array;
  /** Image id of the frame (its learned pose code, `pose.frameCode`). */
  readonly imgId?: number;
  /** Seed of the fine samples' jitter (drawn by the caller); null = no jitter. */
  readonly seed: number | null;
}

/** A model replica with what its loss needs. */
export interface SspReplica extends Replica {
  readonly model: SspNerfModel;
  readonly setup: FrameRenderSetup;
}

/**
 * A replica of an existing model (the trainer's): disposing it leaves the model alone.
 * @param model The model.
 * @param setup Its scene's setup.
 */
export function replicaOf(model: SspNerfModel, setup: FrameRenderSetup): SspReplica {
  return { params: model.params, model, setup, dispose: () => {} };
}

/**
 * Loss-module export: a fresh model of the setup's configuration (its values are replaced by the
 * caller's before the first step).
 * @param setup A scene's setup (`Scene.setup`, plain data).
 */
export function createReplica(setup: FrameRenderSetup): SspReplica {
  const model = modelForSetup(setup);
  return { params: model.params, model, setup, dispose: () => model.dispose() };
}

/**
 * Loss-module export: the loss of one share, with its terms and per-ray errors as extras.
 * @param replica This thread's replica.
 * @param share The share.
 */
export function shareLoss(replica: SspReplica, share: SspShare): ShareLoss {
  const windows = tf.tensor3d(share.windows, [...share.windowsShape]);
  const r = sspLoss(replica.model, replica.setup, {
    rays: { n: share.n, origins: share.origins, dirs: share.dirs, background: share.background },
    uv: share.uv,
    tCoarse: share.tCoarse,
    target: share.target,
    labels: share.labels,
    windows,
    smooth: share.smooth,
    eye: share.eye,
    c2w: share.c2w,
    imgId: share.imgId,
    rng: share.seed === null ? null : createRng(share.seed),
  });
  return { loss: r.loss, extras: { ...r.terms, rayErrors: r.rayErrors } };
}

/**
 * Splits a step's rays into shares of the given ray ranges (copies, so each share can be sent alone).
 * @param all The whole step as one share.
 * @param ranges `[start, count]` per share (e.g. from `shareRanges`).
 * @param seeds The fine-jitter seed of each share (null: no jitter).
 * @returns One share per range.
 */
export function splitShare(
  all: SspShare,
  ranges: readonly (readonly [number, number, ...unknown[]])[],
  seeds: readonly (number | null)[],
): SspShare[] {
  const kc = all.tCoarse.length / all.n;
  return ranges.map(([start, count], i) => {
    const rows = <T extends Float32Array | Int32Array>(a: T, width: number) =>
      a.slice(start * width, (start + count) * width) as T;
    return {
      ...all,
      n: count,
      origins: rows(all.origins, 3),
      dirs: rows(all.dirs, 3),
      background: rows(all.background, 3),
      target: rows(all.target, 3),
      uv: rows(all.uv, 2),
      tCoarse: rows(all.tCoarse, kc),
      labels: all.labels && rows(all.labels, 1),
      seed: seeds[i],
    };
  });
}
