/**
 * Adam (Kingma & Ba 2015) over named parameters, with a learning rate set per step and a state that
 * serialises under the same names as the parameters, so a checkpoint is readable and resumable.
 *
 * tfjs has `tf.train.adam`, but its moment buffers are matched to variables by position and named after
 * process-specific variable names, and its learning rate is fixed at construction; a run that resumes
 * or decays its learning rate is clearer with this one.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The part of tfjs' engine state that {@linkcode variableGradsFreeing} cleans up (tfjs-core 4.22). */
interface TapeState {
  state: { activeTape: { saved?: tf.Tensor[] }[] | null; gradientDepth: number };
}

/**
 * `tf.variableGrads`, except that when `f` throws, the tensors the gradient tape kept for the backward
 * pass are freed: tfjs keeps every op's saved inputs out of all tidy scopes until the backward pass
 * disposes them, and leaves them behind for good when the forward pass throws (e.g. NaN rendering weights
 * of a diverged model reaching the importance sampler).
 * @param f Returns a scalar.
 * @param vars The variables to differentiate.
 * @returns tf.variableGrads' value and gradients.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { variableGradsFreeing } from "./adam.ts";
 * const v = tf.variable(tf.ones([3]));
 * const before = tf.memory().numTensors;
 * assertThrows(() => variableGradsFreeing(() => {
 *   tf.sum(tf.mul(tf.relu(v), 2));
 *   throw new Error("boom");
 * }, [v]));
 * assertEquals(tf.memory().numTensors, before);
 * v.dispose();
 * ```
 */
export function variableGradsFreeing(
  f: () => tf.Scalar,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  try {
    return tf.variableGrads(f, vars);
  } catch (e) {
    const engine = tf.engine() as unknown as TapeState;
    if (engine.state.gradientDepth === 0 && engine.state.activeTape) {
      for (const node of engine.state.activeTape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
    throw e;
  }
}

/** Options of {@linkcode Adam}. */
export interface AdamOptions {
  /** @default {0.9} */
  readonly beta1?: number;
  /** @default {0.999} */
  readonly beta2?: number;
  /** @default {1e-8} (NeRF uses 1e-7; the difference does not matter at these scales) */
  readonly epsilon?: number;
  /** Learning-rate multipliers by parameter name (e.g. grid tables learn faster than MLP weights);
   * parameters not listed use 1. */
  readonly lrScale?: ReadonlyMap<string, number>;
}

/** A parameter's place in flat arrays (e.g. a data-parallel `ParamSlot`). */
export interface FlatEntry {
  readonly name: string;
  /** First element. */
  readonly offset: number;
  readonly size: number;
}

/** The constants of one flat Adam update ({@linkcode Adam.flatStep}), the same for every element range. */
export interface FlatAdamStep {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Per layout entry: the step size alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t), times its lrScale. */
  readonly sizes: readonly number[];
}

/**
 * The Adam update of the elements [from, to) of layout entry `k`, in place: the elementwise work of
 * {@linkcode Adam.applyFlat} (which calls it), so that ranges updated apart, on any threads, give its
 * result bit for bit.
 * @param s The step's constants.
 * @param k The layout entry the elements belong to (its step size).
 * @param m First moments, flat.
 * @param v Second moments, flat.
 * @param params Parameters, flat.
 * @param from First element (index into m, v, params).
 * @param to End of the range (exclusive).
 * @param grads Gradients of the range, element j at `grads[j - from + gFrom]`.
 * @param gFrom Where element `from`'s gradient is in `grads`.
 */
export function adamSegment(
  s: FlatAdamStep,
  k: number,
  m: Float32Array,
  v: Float32Array,
  params: Float32Array,
  from: number,
  to: number,
  grads: Float32Array,
  gFrom: number,
): void {
  const b1 = s.beta1, b2 = s.beta2, c1 = 1 - b1, c2 = 1 - b2, eps = s.epsilon, step = s.sizes[k];
  for (let j = from, i = gFrom; j < to; j++, i++) {
    const g = grads[i];
    // The assignments' values are the float64 results, before their rounding into the arrays.
    const mj = m[j] = b1 * m[j] + c1 * g;
    const vj = v[j] = b2 * v[j] + c2 * g * g;
    params[j] -= step * mj / (Math.sqrt(vj) + eps);
  }
}

/**
 * {@linkcode adamSegment} on the weighted sum of one or two gradient arrays, computed in the same pass:
 * g_j = fround(w0 a_j), or fround(fround(w0 a_j) + w1 b_j), the float32 roundings of a weighted sum
 * accumulated share by share in a Float32Array (lib/train/shared_params.ts `GradientSum`). The same
 * arithmetic as summing first and calling `adamSegment`, bit for bit (tested), without the pass over a
 * summed array (about a fifth faster: the update is bound by memory traffic).
 * @param s The step's constants.
 * @param k The layout entry the elements belong to.
 * @param m First moments, flat.
 * @param v Second moments, flat.
 * @param params Parameters, flat.
 * @param from First element (the same index in the gradient arrays).
 * @param to End of the range (exclusive).
 * @param a The first share's gradients.
 * @param w0 Its weight (a float32 value).
 * @param b The second share's gradients, or null for one share.
 * @param w1 Its weight (a float32 value).
 */
export function adamSumSegment(
  s: FlatAdamStep,
  k: number,
  m: Float32Array,
  v: Float32Array,
  params: Float32Array,
  from: number,
  to: number,
  a: Float32Array,
  w0: number,
  b: Float32Array | null,
  w1: number,
): void {
  const b1 = s.beta1, b2 = s.beta2, c1 = 1 - b1, c2 = 1 - b2, eps = s.epsilon, step = s.sizes[k];
  if (b === null) {
    for (let j = from; j < to; j++) {
      const g = Math.fround(w0 * a[j]);
      const mj = m[j] = b1 * m[j] + c1 * g;
      const vj = v[j] = b2 * v[j] + c2 * g * g;
      params[j] -= step * mj / (Math.sqrt(vj) + eps);
    }
    return;
  }
  for (let j = from; j < to; j++) {
    const g = Math.fround(Math.fround(w0 * a[j]) + w1 * b[j]);
    const mj = m[j] = b1 * m[j] + c1 * g;
    const vj = v[j] = b2 * v[j] + c2 * g * g;
    params[j] -= step * mj / (Math.sqrt(vj) + eps);
  }
}

/** Adam over a fixed map of named variables. */
export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly lrScale: ReadonlyMap<string, number>;
  /** Number of updates applied so far. */
  step = 0;
  /** Optimizers constructed so far in this thread (lets a test show that a code path builds none). */
  static constructed = 0;
  /** The moments as flat arrays, for `applyFlat` (see there); `dirty` when newer than the variables. */
  private flat?: { m: Float32Array; v: Float32Array; dirty: boolean };

  constructor(readonly params: ReadonlyMap<string, tf.Variable>, options: AdamOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.lrScale = options.lrScale ?? new Map();
    Adam.constructed++;
    for (const name of this.lrScale.keys()) {
      if (!params.has(name)) throw new Error(`lrScale names ${name}, which is not a parameter`);
    }
    for (const [name, p] of params) {
      // tidy frees the zeros the variables are made from (a variable holds its own reference).
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false)));
    }
  }

  /**
   * Computes `loss()` and its gradients w.r.t. every parameter and applies one Adam update.
   * Parameters the loss does not reach are skipped (values and moments unchanged), so a module that is
   * off for a step (e.g. audio smoothing before its start step) is not dragged by decaying moments.
   * Uses the paper's efficient form: alpha_t = lr sqrt(1 - b2^t) / (1 - b1^t), p -= alpha_t m / (sqrt(v) + eps).
   * @param loss Returns a scalar.
   * @param lr Learning rate of this step.
   * @returns The loss value.
   */
  minimize(loss: () => tf.Scalar, lr: number): number {
    const value = this.minimizeTensor(loss, lr);
    const v = value.dataSync()[0];
    value.dispose();
    return v;
  }

  /**
   * {@linkcode Adam.minimize} returning the loss as a scalar tensor (the caller disposes it), so a GPU
   * backend can read it asynchronously (`await value.data()`) instead of stalling on a synchronous read.
   * @param loss Returns a scalar.
   * @param lr Learning rate of this step.
   * @returns The loss value, a scalar tensor.
   */
  minimizeTensor(loss: () => tf.Scalar, lr: number): tf.Scalar {
    const names = [...this.params.keys()];
    const vars = names.map((n) => this.params.get(n)!);
    const byTfName = new Map(vars.map((v, i) => [v.name, names[i]]));
    return tf.tidy(() => {
      const { value, grads } = variableGradsFreeing(loss, vars);
      this.update(Object.entries(grads).map(([tfName, g]) => [byTfName.get(tfName)!, g]), lr);
      return value;
    });
  }

  /**
   * One Adam update with gradients computed elsewhere (e.g. summed over data-parallel threads): the same
   * update, bit for bit, as `minimize` on the loss that produced them. Parameters without a gradient are
   * skipped, as `minimize` skips parameters its loss does not reach.
   * @param grads Gradients by parameter name (the caller keeps ownership).
   * @param lr Learning rate of this step.
   * @throws When a name is not a parameter or a shape differs.
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import { assertEquals } from "@std/assert";
   * import { Adam } from "./adam.ts";
   * const a = tf.variable(tf.tensor1d([1, 2])), b = tf.variable(tf.tensor1d([1, 2]));
   * const optA = new Adam(new Map([["p", a]])), optB = new Adam(new Map([["p", b]]));
   * const loss = (p: tf.Variable) => () => tf.sum(tf.square(tf.sub(p, 3))) as tf.Scalar;
   * optA.minimize(loss(a), 0.1);
   * const { grads } = tf.variableGrads(loss(b), [b]);
   * optB.applyGradients(new Map([["p", grads[b.name]]]), 0.1);
   * assertEquals(Array.from(b.dataSync()), Array.from(a.dataSync())); // bit for bit
   * tf.dispose([a, b, grads[b.name]]);
   * optA.dispose(), optB.dispose();
   * ```
   */
  applyGradients(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    for (const [name, g] of grads) {
      const p = this.params.get(name);
      if (!p) throw new Error(`Adam.applyGradients: gradient for ${name}, which is not a parameter`);
      if (p.shape.join(",") !== g.shape.join(",")) {
        throw new Error(
          `Adam.applyGradients: gradient of ${name} has shape [${g.shape}], the parameter [${p.shape}]`,
        );
      }
    }
    tf.tidy(() => this.update([...grads], lr));
  }

  /** The update of one step (call inside tf.tidy), in the order of `grads`. */
  private update(grads: readonly (readonly [string, tf.Tensor])[], lr: number): void {
    this.flush();
    this.flat = undefined;
    this.step++;
    const t = this.step;
    const b1 = this.beta1, b2 = this.beta2;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (const [name, g] of grads) {
      const p = this.params.get(name)!, m = this.m.get(name)!, v = this.v.get(name)!;
      const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
      const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
      m.assign(m1);
      v.assign(v1);
      const step = alpha * (this.lrScale.get(name) ?? 1);
      p.assign(tf.sub(p, tf.mul(step, tf.div(m1, tf.add(tf.sqrt(v1), this.epsilon)))));
    }
  }

  /**
   * One Adam update of parameters held as flat float32 arrays (e.g. the shared memory of the data-parallel
   * engine), in one pass per element in JavaScript instead of a dozen tfjs kernels per parameter: the same
   * formula as `minimize`, rounded differently (intermediates in float64), and deterministic. The moments
   * are kept as flat arrays between calls and written back into the moment variables when `state()` is
   * read or a tensor update follows; the caller writes the new parameter values into the variables.
   * @param layout Each parameter's name, first element and size in the flat arrays (all parameters).
   * @param grads Gradients, flat; only parameters with `reached[k]` are updated (as `minimize` skips
   *   parameters its loss does not reach).
   * @param reached 1 per layout entry whose gradient is present.
   * @param params Current parameter values, flat, updated in place.
   * @param lr Learning rate of this step.
   */
  applyFlat(
    layout: readonly FlatEntry[],
    grads: Float32Array,
    reached: Uint8Array,
    params: Float32Array,
    lr: number,
  ): void {
    const { step, m, v } = this.flatStep(layout, lr);
    layout.forEach((e, k) => {
      if (reached[k]) adamSegment(step, k, m, v, params, e.offset, e.offset + e.size, grads, e.offset);
    });
  }

  /**
   * Starts one flat Adam update whose elementwise work the caller does, possibly split by element range
   * over threads ({@linkcode adamSegment} on each range: the same result as `applyFlat` bit for bit, for
   * any split): advances the step count and returns the step's constants and the flat moments.
   * @param layout Each parameter's name, first element and size in the flat arrays (all parameters).
   * @param lr Learning rate of this step.
   * @param moments Arrays to keep the flat moments in from now on (e.g. shared memory the workers update
   *   in), each of the layout's total size; their contents are replaced by the current moments unless
   *   they already hold them. @default {the arrays of the last flat update, or new ones}
   * @returns The step's constants and the moments to update (with the parameters) in place.
   */
  flatStep(
    layout: readonly FlatEntry[],
    lr: number,
    moments?: { readonly m: Float32Array; readonly v: Float32Array },
  ): { step: FlatAdamStep; m: Float32Array; v: Float32Array } {
    const total = layout.reduce((s, e) => s + e.size, 0);
    if (moments && (moments.m.length !== total || moments.v.length !== total)) {
      throw new Error(
        `Adam.flatStep: moments must hold ${total} values: got ${moments.m.length}, ${moments.v.length}`,
      );
    }
    if (!this.flat || (moments && this.flat.m !== moments.m)) {
      const m = moments?.m ?? new Float32Array(total), v = moments?.v ?? new Float32Array(total);
      if (this.flat) {
        // Newer than the variables (the last flat update wrote them): carried over as they are.
        m.set(this.flat.m), v.set(this.flat.v);
      } else {
        for (const e of layout) {
          m.set(this.m.get(e.name)!.dataSync() as Float32Array, e.offset);
          v.set(this.v.get(e.name)!.dataSync() as Float32Array, e.offset);
        }
      }
      this.flat = { m, v, dirty: this.flat?.dirty ?? false };
    }
    this.step++;
    const t = this.step;
    const b1 = this.beta1, b2 = this.beta2;
    const alpha = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    this.flat.dirty = true;
    this.flatLayout = layout;
    return {
      step: {
        beta1: b1,
        beta2: b2,
        epsilon: this.epsilon,
        sizes: layout.map((e) => alpha * (this.lrScale.get(e.name) ?? 1)),
      },
      m: this.flat.m,
      v: this.flat.v,
    };
  }

  private flatLayout?: readonly FlatEntry[];

  /** Writes flat moments newer than the variables into them. */
  private flush(): void {
    if (!this.flat?.dirty || !this.flatLayout) return;
    const { m, v } = this.flat;
    for (const e of this.flatLayout) {
      const shape = this.params.get(e.name)!.shape;
      tf.tidy(() => {
        this.m.get(e.name)!.assign(tf.tensor(m.slice(e.offset, e.offset + e.size), shape));
        this.v.get(e.name)!.assign(tf.tensor(v.slice(e.offset, e.offset + e.size), shape));
      });
    }
    this.flat.dirty = false;
  }

  /** Moment buffers by name: `m/<param>` and `v/<param>` (for checkpoints; they may be written). */
  state(): Map<string, tf.Variable> {
    this.flush();
    // The caller may assign new moments (a checkpoint load): read them again before the next applyFlat.
    this.flat = undefined;
    const out = new Map<string, tf.Variable>();
    for (const [n, t] of this.m) out.set(`m/${n}`, t);
    for (const [n, t] of this.v) out.set(`v/${n}`, t);
    return out;
  }

  dispose(): void {
    this.flat = undefined;
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
