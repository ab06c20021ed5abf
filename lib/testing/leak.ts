/**
 * Tensor-leak checks for tests: a call must leave `tf.memory().numTensors` where it found it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { AssertionError } from "./assert.ts";

/**
 * Runs `fn` (after one warm-up call, so lazily created variables and caches do not count) and asserts
 * that the number of live tensors is unchanged, disposing whatever tensors `fn` returns.
 * @param fn The call under test; tensors it returns are disposed before counting.
 * @param label Names the call in the failure message.
 */
export async function assertNoLeak(fn: () => unknown | Promise<unknown>, label = "call"): Promise<void> {
  tf.dispose(await fn() as tf.TensorContainer);
  const before = tf.memory().numTensors;
  tf.dispose(await fn() as tf.TensorContainer);
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new AssertionError(`${label} leaked ${after - before} tensor(s): ${before} -> ${after}`);
  }
}
