/**
 * A loss module for {@linkcode DataParallel} used by its tests and by `experiments/bench_parallel.ts`:
 * an MLP regression (optionally on positionally encoded inputs, like a NeRF field's points), with switches
 * that make it fail in chosen places (to test that failures surface and leave nothing behind).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encodedDim, positionalEncodingJs } from "../encoding/mod.ts";
import { createRng, Mlp } from "../nn/mod.ts";
import type { Replica, ShareLoss } from "./data_parallel.ts";

/** `createReplica`'s argument. */
export interface RegressionInit {
  /** Raw input features per row. */
  readonly inputDim: number;
  /** Positional-encoding frequencies of the inputs (0: the raw inputs). */
  readonly posFreqs: number;
  /** Hidden layer widths. */
  readonly hidden: readonly number[];
  readonly outDim: number;
  /** Hidden layers after which the MLP input is concatenated again (NeRF skips). */
  readonly skips?: readonly number[];
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Makes `createReplica` throw in workers (tests). */
  readonly failInWorker?: boolean;
}

/** One share: rows of inputs and targets. */
export interface RegressionShare {
  /** Inputs, [n, inputDim] flattened. */
  readonly x: Float32Array;
  /** Targets, [n, outDim] flattened. */
  readonly y: Float32Array;
  /** Makes `shareLoss` throw (tests). */
  readonly fail?: boolean;
  /** Makes the thread crash with an uncaught error right after the share (tests). */
  readonly crash?: boolean;
  /** Makes `shareLoss` busy-wait this many milliseconds first (tests). */
  readonly stallMs?: number;
}

/** The replica: the MLP and its configuration. */
export interface RegressionReplica extends Replica {
  readonly mlp: Mlp;
  readonly init: RegressionInit;
}

function inWorker(): boolean {
  const g = globalThis as unknown as { WorkerGlobalScope?: new () => unknown };
  return g.WorkerGlobalScope !== undefined && globalThis instanceof g.WorkerGlobalScope;
}

/** Builds the MLP (weights from `init.seed`). */
export function createReplica(init: RegressionInit): RegressionReplica {
  if (init.failInWorker && inWorker()) {
    throw new Error(`deliberate failure of createReplica in a worker (thread ${workerThreadNumber()})`);
  }
  const inDim = init.posFreqs > 0 ? encodedDim(init.inputDim, init.posFreqs) : init.inputDim;
  const mlp = new Mlp("reg", [inDim, ...init.hidden, init.outDim], { skips: init.skips, seed: init.seed });
  return { mlp, init, params: mlp.params, dispose: () => mlp.dispose() };
}

/**
 * The number N of the thread running this code when it is a Deno worker thread (named "worker-N" by Deno,
 * listed in /proc on Linux), else -1: tests use it to check that the engine's workers end.
 */
export function workerThreadNumber(): number {
  try {
    const m = /^worker-(\d+)$/.exec(Deno.readTextFileSync("/proc/thread-self/comm").trim());
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function deliberateShareFailure(): never {
  throw new Error("deliberate failure in shareLoss");
}

/**
 * Mean squared error of the share; extras: per-row squared error (summed over outputs), the mean, and
 * {@linkcode workerThreadNumber}.
 */
export function shareLoss(replica: RegressionReplica, share: RegressionShare): ShareLoss {
  if (share.fail) deliberateShareFailure();
  if (share.crash) setTimeout(() => deliberateCrash(), 0);
  if (share.stallMs) stall(share.stallMs);
  const { inputDim, posFreqs, outDim } = replica.init;
  const n = share.x.length / inputDim;
  const x = posFreqs > 0 ? positionalEncodingJs(share.x, inputDim, posFreqs) : share.x;
  const pred = replica.mlp.apply(tf.tensor2d(x, [n, x.length / n]));
  const sq = tf.squaredDifference(pred, tf.tensor2d(share.y, [n, outDim]));
  const loss = tf.mean(sq) as tf.Scalar;
  return {
    loss,
    extras: {
      rowErrors: tf.sum(sq, 1).dataSync() as Float32Array,
      mse: loss.dataSync()[0],
      thread: workerThreadNumber(),
    },
  };
}

function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

function deliberateCrash(): never {
  throw new Error("deliberate crash of the test module");
}

/**
 * A seeded regression batch: inputs uniform in [-1, 1], targets a smooth function of them.
 * @param n Rows.
 * @param init The model's configuration (input and output sizes).
 * @param seed Seed.
 * @returns The whole batch as one share.
 */
export function regressionBatch(n: number, init: RegressionInit, seed: number): RegressionShare {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: n * init.inputDim }, () => 2 * rng.next() - 1);
  const y = new Float32Array(n * init.outDim);
  for (let i = 0; i < n; i++) {
    let a = 0;
    for (let j = 0; j < init.inputDim; j++) a += (j + 1) * x[i * init.inputDim + j];
    for (let k = 0; k < init.outDim; k++) y[i * init.outDim + k] = Math.sin(a + k);
  }
  return { x, y };
}

/**
 * Rows [start, start + count) of a batch.
 * @param batch The batch.
 * @param init The model's configuration.
 * @param start First row.
 * @param count Rows.
 * @returns A share (copies).
 */
export function regressionRows(
  batch: RegressionShare,
  init: RegressionInit,
  start: number,
  count: number,
): RegressionShare {
  return {
    x: batch.x.slice(start * init.inputDim, (start + count) * init.inputDim),
    y: batch.y.slice(start * init.outDim, (start + count) * init.outDim),
  };
}
