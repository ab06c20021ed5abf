/**
 * Memory of the tri-plane lookup (grid_lookup.ts) on tfjs' backends: views of the wasm backend's own memory,
 * and the backward cache that the next recorded call reuses once its backward pass has read it.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** What the forward pass keeps for the backward pass. Entry e = (plane L + level) n + point. */
export interface LookupCache {
  /** Table rows of the four corners (i0, j0), (i0+1, j0), (i0, j0+1), (i0+1, j0+1): [entries, 4]. */
  readonly rows: Int32Array;
  /** Fractional coordinates (u - i0, v - j0) inside the cell: [entries, 2]. */
  readonly frac: Float32Array;
}

/** The two methods of tfjs' backend interface (KernelBackend) that the kernel uses. */
export interface ReadWriteBackend {
  readSync(dataId: tf.DataId): unknown;
  write(values: Float32Array, shape: number[], dtype: "float32"): tf.DataId;
}

/** What the kernel uses of tfjs' wasm backend (public members of its BackendWasm): outputs allocated in
 * its memory and views of a tensor's data there (valid until the memory grows: take them after the last
 * allocation). */
export interface HeapBackend extends ReadWriteBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * The backend as a {@linkcode HeapBackend} when it has those two members (wasm), else null (cpu keeps
 * plain arrays: the kernel reads copies there).
 * @param be The kernel's backend.
 * @returns The backend, or null.
 */
export function heapBackend(be: unknown): HeapBackend | null {
  const b = be as Partial<HeapBackend>;
  return typeof b.makeOutput === "function" && typeof b.typedArrayFromHeap === "function"
    ? be as HeapBackend
    : null;
}

/**
 * Caches whose backward pass has begun, for the next recorded call to reuse (at most two kept). A cache is
 * handed back by its call's gradient function: tfjs then calls that node's gradient thunks one after another
 * in the same synchronous backward pass, before any later forward call can take the cache again.
 */
const spareCaches: CacheArrays[] = [];

/** The arrays of a recorded call: the cache and a copy of the points. */
interface CacheArrays {
  readonly rows: Int32Array;
  readonly frac: Float32Array;
  readonly xyz: Float32Array;
}

/** A recorded call's cache: views of exactly its size, and the arrays they view. */
export type CallCache = LookupCache & { readonly xyz: Float32Array; readonly whole: CacheArrays };

/** A cache for n points and `entries` entries: views of a spare one that is large enough, or new arrays. */
export function takeCache(n: number, entries: number): CallCache {
  const i = spareCaches.findIndex((c) => c.rows.length >= 4 * entries && c.xyz.length >= 3 * n);
  const whole = i >= 0 ? spareCaches.splice(i, 1)[0] : {
    rows: new Int32Array(4 * entries),
    frac: new Float32Array(2 * entries),
    xyz: new Float32Array(3 * n),
  };
  return {
    rows: whole.rows.subarray(0, 4 * entries),
    frac: whole.frac.subarray(0, 2 * entries),
    xyz: whole.xyz.subarray(0, 3 * n),
    whole,
  };
}

/**
 * A table of a recorded call as the backward pass reads it: a tf.Variable in place on wasm (its data stays
 * alive and unchanged until the update after the backward pass), anything else as a copy (an intermediate
 * tensor may be disposed by a tidy before the backward pass).
 */
export type SavedTable = Float32Array | tf.TensorInfo;

/** Hands a cache back for reuse when the backward pass of its call begins (see `spareCaches`). */
export function returnCache(cache: CallCache): void {
  if (spareCaches.length < 2) spareCaches.push(cache.whole);
}
