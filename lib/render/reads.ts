/**
 * One rendering code path for both ways of reading tensors back: a computation written as a generator
 * yields the tensors it needs as plain arrays and gets their values back, and a driver reads them
 * synchronously ({@linkcode readSync}: `dataSync`, as the wasm and cpu backends allow) or asynchronously
 * ({@linkcode readAsync}: `await data()`, the only read a GPU tensor allows in Deno). Both drivers run the
 * same operations in the same order, so their results are bit-identical on a CPU backend.
 *
 * The generator owns the tensors it yields: it disposes of them after the read, in a `finally` block when a
 * read may fail (the drivers close the generator on an error).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { type Reads, readAsync, readSync } from "./reads.ts";
 * function* twice(x: number[]): Reads<number[]> {
 *   const t = tf.mul(tf.tensor1d(x), 2);
 *   const [v] = yield [t];
 *   t.dispose();
 *   return Array.from(v);
 * }
 * assertEquals(readSync(twice([1, 2])), [2, 4]);
 * assertEquals(await readAsync(twice([1, 2])), [2, 4]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A computation that reads tensors back: yields the tensors to read, receives their values. */
export type Reads<T> = Generator<tf.Tensor[], T, tf.TypedArray[]>;

/**
 * Runs a {@linkcode Reads} computation with synchronous reads (`dataSync`: CPU backends only).
 * @param g The computation.
 * @returns Its result.
 */
export function readSync<T>(g: Reads<T>): T {
  try {
    let r = g.next(undefined as unknown as tf.TypedArray[]);
    while (!r.done) r = g.next(r.value.map((t) => t.dataSync() as tf.TypedArray));
    return r.value;
  } catch (e) {
    g.return(undefined as T); // runs the generator's finally blocks (a failed read frees its tensors)
    throw e;
  }
}

/**
 * Runs a {@linkcode Reads} computation with asynchronous reads (`await data()`: every backend).
 * @param g The computation.
 * @returns Its result.
 */
export async function readAsync<T>(g: Reads<T>): Promise<T> {
  try {
    let r = g.next(undefined as unknown as tf.TypedArray[]);
    while (!r.done) {
      const values = await Promise.all(r.value.map((t) => t.data() as Promise<tf.TypedArray>));
      r = g.next(values);
    }
    return r.value;
  } catch (e) {
    g.return(undefined as T);
    throw e;
  }
}
