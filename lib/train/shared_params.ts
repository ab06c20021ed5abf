/**
 * The shared-memory transport of the data-parallel engine (lib/train/data_parallel.ts): the layout of a
 * replica's parameters in flat float32 buffers, the buffers one engine shares with its workers, the
 * caller's copy of its parameters there (written when they changed), a worker's load of them, and the
 * weighted sum of the gradients in share order.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { adamSegment, adamSumSegment, type FlatAdamStep } from "./adam.ts";

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
  /** The caller's parameters, written at the start of every multi-share step (or updated in place). */
  readonly params: Float32Array;
  /** Step numbers and the parameter version, at the indices of {@linkcode control}. */
  readonly control: Int32Array;
  /** Per worker: its share's gradients, in the layout of the slots. */
  readonly grads: readonly Float32Array[];
  /** Per worker: 1 where its loss reached the parameter (else its gradient slot is stale). */
  readonly reached: readonly Uint8Array[];
  /** The caller's share's gradients (share 0), for an update split over threads. */
  readonly ownGrads: Float32Array;
  /** 1 where the caller's loss reached the parameter. */
  readonly ownReached: Uint8Array;
  /** Adam's flat moments, for an update split over threads (`Adam.flatStep`). */
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/** Indices into `SharedBuffers.control` (each entry written with `Atomics.store` after the data it
 * announces, read with `Atomics.load` before it). */
export const control = {
  /** The parameter version (bumped after each write of `params`). */
  version: 0,
  /** The last step whose gradients worker w wrote. */
  grads: (w: number) => 1 + w,
  /** The last step whose gradients the caller wrote into `ownGrads`. */
  ownGrads: (workers: number) => 1 + workers,
  /** The last step whose update range worker w finished. */
  updated: (workers: number, w: number) => 2 + workers + w,
  /** Entries for an engine with `workers` workers. */
  size: (workers: number) => 2 + 2 * workers,
} as const;
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
 * Allocates the shared buffers of an engine.
 * @param total Parameter elements (from {@linkcode paramLayout}).
 * @param slots The layout.
 * @param workers Worker threads.
 */
export function createSharedBuffers(
  total: number,
  slots: readonly ParamSlot[],
  workers: number,
): SharedBuffers {
  const floats = (n: number) => new Float32Array(new SharedArrayBuffer(4 * n));
  return {
    params: floats(total),
    control: new Int32Array(new SharedArrayBuffer(4 * control.size(workers))),
    grads: Array.from({ length: workers }, () => floats(total)),
    reached: Array.from({ length: workers }, () => new Uint8Array(new SharedArrayBuffer(slots.length))),
    ownGrads: floats(total),
    ownReached: new Uint8Array(new SharedArrayBuffer(slots.length)),
    m: floats(total),
    v: floats(total),
  };
}

/**
 * The caller's copy of its parameters in a flat buffer (the shared one, for the workers), kept in step
 * with its variables: tfjs gives a variable a new `dataId` on every `assign`, so a slot is written again
 * only when its variable changed since it was last written or uploaded (after an update by tensors every
 * slot is; after an update of the flat buffer itself, see {@linkcode ParamMirror.upload}, none is).
 */
export class ParamMirror {
  private readonly ids: unknown[];

  /**
   * @param slots The layout.
   * @param buffer The flat buffer (e.g. `SharedBuffers.params`).
   */
  constructor(private readonly slots: readonly ParamSlot[], readonly buffer: Float32Array) {
    this.ids = slots.map(() => undefined);
  }

  /**
   * Writes the slots whose variable changed into the buffer.
   * @param params The caller's parameters.
   * @returns Whether anything was written.
   */
  sync(params: ReadonlyMap<string, tf.Variable>): boolean {
    let changed = false;
    this.slots.forEach((s, k) => {
      const v = params.get(s.name)!;
      if (v.dataId === this.ids[k]) return;
      this.buffer.set(v.dataSync() as Float32Array, s.offset);
      this.ids[k] = v.dataId;
      changed = true;
    });
    return changed;
  }

  /**
   * Assigns the buffer's values to the variables of the given slots (after the buffer was updated in
   * place, e.g. by `Adam.applyFlat`); they then count as in step.
   * @param params The caller's parameters.
   * @param which 1 per slot to upload.
   */
  upload(params: ReadonlyMap<string, tf.Variable>, which: Uint8Array): void {
    this.slots.forEach((s, k) => {
      if (!which[k]) return;
      const v = params.get(s.name)!;
      tf.tidy(() => v.assign(tf.tensor(this.buffer.slice(s.offset, s.offset + s.size), [...s.shape])));
      this.ids[k] = v.dataId;
    });
  }
}

/**
 * A worker's load of the caller's parameters into its replica.
 * @param shared The engine's buffers.
 * @param slots The layout.
 * @param params The worker's replica's parameters.
 */
export function readParams(
  shared: SharedBuffers,
  slots: readonly ParamSlot[],
  params: ReadonlyMap<string, tf.Variable>,
): void {
  for (const slot of slots) {
    const v = params.get(slot.name)!;
    // slice: a private copy (tfjs' cpu backend would keep a view of the shared buffer).
    const values = shared.params.slice(slot.offset, slot.offset + slot.size);
    tf.tidy(() => v.assign(tf.tensor(values, [...slot.shape], "float32")));
  }
}

/**
 * The weighted gradient sum sum_i w_i g_i in share order, in a flat buffer: share 0's gradients (this
 * thread's tensors) first, then each worker's from shared memory.
 */
export class GradientSum {
  readonly acc: Float32Array;
  /** 1 where some share's loss reached the parameter. */
  readonly touched: Uint8Array;

  constructor(private readonly slots: readonly ParamSlot[], total: number) {
    this.acc = new Float32Array(total);
    this.touched = new Uint8Array(slots.length);
  }

  /**
   * Adds w * g for gradients by key (tensors, read with dataSync).
   * @param grads Gradients by parameter key.
   * @param weight The share's weight.
   */
  addTensors(grads: ReadonlyMap<string, tf.Tensor>, weight: number): void {
    const w = Math.fround(weight);
    this.slots.forEach((s, k) => {
      const g = grads.get(s.name);
      if (g) this.addSlot(k, g.dataSync() as Float32Array, 0, w);
    });
  }

  /**
   * Adds w * g for a worker's gradients in shared memory.
   * @param grads The worker's gradient buffer.
   * @param reached Its flags of the parameters its loss reached.
   * @param weight The share's weight.
   */
  addShared(grads: Float32Array, reached: Uint8Array, weight: number): void {
    const w = Math.fround(weight);
    this.slots.forEach((s, k) => {
      if (reached[k]) this.addSlot(k, grads, s.offset, w);
    });
  }

  /** The sums as tensors by key (parameters no share reached are absent); the caller disposes them. */
  tensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    this.slots.forEach((s, k) => {
      if (this.touched[k]) {
        out.set(s.name, tf.tensor(this.acc.subarray(s.offset, s.offset + s.size), [...s.shape]));
      }
    });
    return out;
  }

  private addSlot(k: number, data: Float32Array, from: number, w: number): void {
    const s = this.slots[k], acc = this.acc, at = s.offset - from;
    const end = from + s.size;
    if (this.touched[k]) {
      for (let j = from; j < end; j++) acc[at + j] += w * data[j];
    } else {
      for (let j = from; j < end; j++) acc[at + j] = w * data[j];
      this.touched[k] = 1;
    }
  }
}

/** The gradients of a step's shares, in share order, with their weights. */
export interface ShareGradients {
  /** Per share: its gradients in the layout of the slots. */
  readonly grads: readonly Float32Array[];
  /** Per share: 1 per slot its loss reached. */
  readonly reached: readonly Uint8Array[];
  readonly weights: readonly number[];
}

/** Elements summed at a time into the scratch buffer of {@linkcode sumAndUpdateRange}. */
export const UPDATE_CHUNK = 4096;

/**
 * The weighted gradient sum and the Adam update of the elements [lo, hi) of the flat arrays: the part of
 * a step's update one thread does when the update is split by element range over threads. Per element
 * the same operations as {@linkcode GradientSum} followed by `Adam.applyFlat` (the sum rounded to float32
 * share by share, in share order; then `adamSegment`), so any split gives their result bit for bit. Slots
 * no share reached are left alone. With one or two shares reaching a slot the sum is computed in the
 * update's pass (`adamSumSegment`); with more it goes through a small scratch buffer, a chunk at a time.
 * @param slots The layout.
 * @param shares The shares' gradients.
 * @param step The Adam step's constants (`Adam.flatStep`).
 * @param m First moments, flat, updated in [lo, hi).
 * @param v Second moments, flat, updated in [lo, hi).
 * @param params Parameters, flat, updated in [lo, hi).
 * @param lo First element.
 * @param hi End (exclusive).
 * @param scratch At least one element; {@linkcode UPDATE_CHUNK} is a good size.
 */
export function sumAndUpdateRange(
  slots: readonly ParamSlot[],
  shares: ShareGradients,
  step: FlatAdamStep,
  m: Float32Array,
  v: Float32Array,
  params: Float32Array,
  lo: number,
  hi: number,
  scratch: Float32Array,
): void {
  const weights = shares.weights.map((w) => Math.fround(w));
  slots.forEach((s, k) => {
    const a = Math.max(lo, s.offset), b = Math.min(hi, s.offset + s.size);
    if (a >= b) return;
    const from: Float32Array[] = [], ws: number[] = [];
    shares.grads.forEach((g, i) => {
      if (shares.reached[i][k]) from.push(g), ws.push(weights[i]);
    });
    if (from.length === 0) return;
    if (from.length <= 2) {
      // One or two shares (every step on two threads): summed in the update's own pass.
      adamSumSegment(step, k, m, v, params, a, b, from[0], ws[0], from[1] ?? null, ws[1] ?? 0);
      return;
    }
    for (let c = a; c < b; c += scratch.length) {
      const end = Math.min(b, c + scratch.length), n = end - c;
      const g0 = from[0], w0 = ws[0];
      for (let i = 0; i < n; i++) scratch[i] = w0 * g0[c + i];
      for (let t = 1; t < from.length; t++) {
        const g = from[t], w = ws[t];
        for (let i = 0; i < n; i++) scratch[i] += w * g[c + i];
      }
      adamSegment(step, k, m, v, params, c, end, scratch, 0);
    }
  });
}
