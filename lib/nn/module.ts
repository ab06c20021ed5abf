/**
 * What every object holding trainable weights looks like, and helpers over it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Anything that owns trainable variables. `params` keys are the checkpoint keys (e.g. "field.l0.w");
 * the tf variable names may carry a suffix to stay unique in the tfjs engine.
 */
export interface Module {
  /** Trainable variables by checkpoint key, in a stable order. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Frees every variable; the module must not be used afterwards. */
  dispose(): void;
}

/**
 * Creates a trainable variable whose tfjs name is `key`, or `key#n` when `key` is already registered
 * (tfjs throws on duplicate variable names, e.g. when a test builds the same model twice).
 * @param key Checkpoint key, e.g. "field.l0.w".
 * @param initial Initial value; it is copied, the caller keeps ownership.
 * @returns A new trainable variable.
 */
export function namedVariable(key: string, initial: tf.Tensor): tf.Variable {
  const registered = tf.engine().registeredVariables;
  let name = key;
  for (let n = 1; registered[name] !== undefined; n++) name = `${key}#${n}`;
  return tf.variable(initial, true, name);
}

/**
 * Merges the parameters of several modules into one map (for an optimizer or a checkpoint).
 * @param modules Modules whose keys must not collide.
 * @returns A new map, in the modules' order.
 * @throws When two modules share a key.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { collectParams } from "./module.ts";
 * import { Linear } from "./linear.ts";
 * const a = new Linear("a", 2, 3), b = new Linear("b", 3, 1, { bias: false });
 * assertEquals([...collectParams(a, b).keys()], ["a.w", "a.b", "b.w"]);
 * a.dispose(), b.dispose();
 * ```
 */
export function collectParams(...modules: Module[]): Map<string, tf.Variable> {
  const all = new Map<string, tf.Variable>();
  for (const m of modules) {
    for (const [key, v] of m.params) {
      if (all.has(key)) throw new Error(`module.ts: parameter name ${key} appears in more than one module`);
      all.set(key, v);
    }
  }
  return all;
}

/**
 * Number of scalar weights in a module (or any parameter map).
 * @param module A module or its params.
 * @returns Sum of the variables' sizes.
 */
export function countParams(module: Module | ReadonlyMap<string, tf.Variable>): number {
  const params = module instanceof Map ? module : (module as Module).params;
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

/**
 * Disposes every variable of a parameter map (the body of most modules' `dispose`).
 * @param params The variables to free.
 */
export function disposeParams(params: ReadonlyMap<string, tf.Variable>): void {
  for (const v of params.values()) v.dispose();
}
