/**
 * Applying gradients computed elsewhere (e.g. summed over data-parallel threads) with the project's
 * {@linkcode Adam}, without changing Adam: the update goes through `Adam.minimize` on the surrogate loss
 * S(p) = sum_k sum(p_k * g_k), whose gradient w.r.t. p_k is g_k bit for bit (tfjs' gradient of `sum` is
 * 1 * ones and that of `mul` is dy * g_k, both exact), so the step equals the one `minimize` takes on the
 * loss that produced g. Parameters without a gradient are left out of S, so Adam skips them exactly as it
 * skips parameters a loss does not reach.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "./adam.ts";

/**
 * One Adam update with given gradients.
 * @param optimizer The optimizer (its parameters are the ones updated).
 * @param grads Gradients by parameter key (the keys of `optimizer.params`); the caller keeps ownership.
 * @param lr Learning rate of this step.
 * @throws When a key is not a parameter of the optimizer or a shape differs.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { Adam } from "./adam.ts";
 * import { applyAdamGradients } from "./apply_gradients.ts";
 * const a = tf.variable(tf.tensor1d([1, 2])), b = tf.variable(tf.tensor1d([1, 2]));
 * const optA = new Adam(new Map([["p", a]])), optB = new Adam(new Map([["p", b]]));
 * const loss = (p: tf.Variable) => () => tf.sum(tf.square(tf.sub(p, 3))) as tf.Scalar;
 * optA.minimize(loss(a), 0.1);
 * const { grads } = tf.variableGrads(loss(b), [b]);
 * applyAdamGradients(optB, new Map([["p", grads[b.name]]]), 0.1);
 * assertEquals(Array.from(b.dataSync()), Array.from(a.dataSync())); // bit for bit
 * tf.dispose([a, b, grads[b.name]]);
 * optA.dispose(), optB.dispose();
 * ```
 */
export function applyAdamGradients(
  optimizer: Adam,
  grads: ReadonlyMap<string, tf.Tensor>,
  lr: number,
): void {
  for (const [name, g] of grads) {
    const p = optimizer.params.get(name);
    if (!p) {
      throw new Error(`applyAdamGradients: gradient for ${name}, which is not a parameter of the optimizer`);
    }
    if (p.shape.join(",") !== g.shape.join(",")) {
      throw new Error(
        `applyAdamGradients: gradient of ${name} has shape [${g.shape}], the parameter [${p.shape}]`,
      );
    }
  }
  if (grads.size === 0) return;
  optimizer.minimize(() => {
    let total: tf.Scalar | undefined;
    for (const [name, g] of grads) {
      const term = tf.sum(tf.mul(optimizer.params.get(name)!, g)) as tf.Scalar;
      total = total ? tf.add(total, term) : term;
    }
    return total!;
  }, lr);
}
