/**
 * Training SS-Sync (sync_net.ts) on one subject's video: contrastive, with SyncNet's negatives.
 *
 * Positives are aligned pairs (the video window and the audio window starting at the same frame);
 * negatives are the same video's audio at other positions, at least `minShift` (5) frames away, as in
 * SyncNet ("Out of time", 2016: negatives are shifted copies of the same clip's audio). Windows closer
 * than `minShift` overlap the positive and are left out of the softmax.
 *
 * Loss: InfoNCE (van den Oord et al. 2018; symmetric as in CLIP, Radford et al. 2021) rather than
 * SyncNet's contrastive loss with a margin: with s_ij = <v_i, a_j> / T on unit embeddings
 * (|v - a|^2 = 2 - 2 <v, a>, so a higher similarity is a smaller Euclidean distance),
 * L = -1/2n sum_i [log softmax_j(s_ij)_i + log softmax_j(s_ji)_i] over the allowed j. Every batch
 * compares each window with all its negatives at once, and there is no margin to tune. Negatives are
 * also limited to shifts <= `maxShift` (15, the offsets the score searches): audio from far away in the
 * clip would let the network tell windows apart by slow cues (head pose, shading) instead of lip sync.
 *
 * Augmentation, because one subject's clip is small (the fixture: 217 windows): each step draws one of
 * 4 crop geometries (scale +-4 %, drop +-0.03 inter-ocular distances) and adds Gaussian noise
 * (`inputNoise`, std 1 on standardised inputs) to both streams. Measured on the fixture (trained on
 * frames 0-171, scored on 172-243, seeds 1-4): held-out confidence 0.16-0.22 (offsets 0 and -1) without
 * the noise, 0.30-0.43 (offset 0 every time) with it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../nn/rng.ts";
import { SsSyncNet } from "./sync_net.ts";
import {
  audioWindows,
  type FrameRange,
  type SsSyncConfig,
  type SyncClip,
  type SyncWindows,
  videoWindows,
} from "./sync_windows.ts";
import { SYNC_MAX_OFFSET } from "./sync_offsets.ts";

/** Options of {@linkcode trainSsSync}. */
export interface SsSyncTrainOptions {
  /** Network and input settings, over the defaults. */
  readonly config?: Partial<SsSyncConfig>;
  /** Frames to train on (e.g. the training split); audio windows come from the same frames. @default {all} */
  readonly range?: FrameRange;
  /** Adam steps. @default {200} */
  readonly steps?: number;
  /** Adam learning rate. @default {0.001} */
  readonly learningRate?: number;
  /** Softmax temperature T. @default {0.1} */
  readonly temperature?: number;
  /** Smallest shift, in frames, of an audio window used as a negative. @default {5} */
  readonly minShift?: number;
  /** Largest shift of a negative (the offsets the score searches). @default {15} */
  readonly maxShift?: number;
  /** Windows per step (all when fewer). @default {256} */
  readonly batchSize?: number;
  /** Standard deviation of Gaussian noise added to both streams' (standardised) inputs each step.
   * @default {1} */
  readonly inputNoise?: number;
  /** L2 penalty on the weights. @default {0.0001} */
  readonly weightDecay?: number;
  /** Seed of the weights and of the batches. @default {1} */
  readonly seed?: number;
  /** Called every `logEvery` steps. */
  readonly onStep?: (step: number, loss: number) => void;
  /** @default {50} */
  readonly logEvery?: number;
}

/** A trained model and what its training did. */
export interface SsSyncTrainResult {
  readonly model: SsSyncNet;
  /** Loss of the first and last steps. */
  readonly firstLoss: number;
  readonly finalLoss: number;
  /** Aligned windows trained on. */
  readonly windows: number;
  readonly steps: number;
  /** Wall time of training, seconds. */
  readonly seconds: number;
}

/** Rows `rows` of a window set, as a tensor. */
function gatherRows(w: SyncWindows, rows: readonly number[]): tf.Tensor2D {
  const out = new Float32Array(rows.length * w.dim);
  rows.forEach((r, i) => out.set(w.data.subarray(r * w.dim, (r + 1) * w.dim), i * w.dim));
  return tf.tensor2d(out, [rows.length, w.dim]);
}

/**
 * Symmetric InfoNCE over a batch: logits s = V A^T / T plus `mask` (0 where allowed, -1e9 where the
 * pair is neither the positive nor a negative); positives on the diagonal.
 * @param v Unit video embeddings [n, d].
 * @param a Unit audio embeddings [n, d], row i aligned with row i of v.
 * @param mask [n, n] additive mask.
 * @param temperature T.
 * @returns The scalar loss.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { infoNceLoss } from "./sync_net_train.ts";
 * // Two orthogonal pairs, nothing masked: each row's softmax is [e^10, e^0] / sum, loss = log(1 + e^-10).
 * const e = tf.tensor2d([[1, 0], [0, 1]]);
 * const l = infoNceLoss(e, e, tf.zeros([2, 2]), 0.1);
 * assertAlmostEquals(l.dataSync()[0], Math.log(1 + Math.exp(-10)), 1e-6);
 * tf.dispose([e, l]);
 * ```
 */
export function infoNceLoss(
  v: tf.Tensor2D,
  a: tf.Tensor2D,
  mask: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    const s = tf.add(tf.div(tf.matMul(v, tf.transpose(a)), temperature), mask) as tf.Tensor2D;
    const n = s.shape[0];
    const eye = tf.eye(n);
    const rows = tf.sum(tf.mul(tf.logSoftmax(s, 1), eye));
    const cols = tf.sum(tf.mul(tf.logSoftmax(tf.transpose(s), 1), eye));
    return tf.div(tf.add(rows, cols), -2 * n) as tf.Scalar;
  });
}

/**
 * Trains an SS-Sync network on a clip of one subject (see the module doc for the loss and negatives).
 * Runs synchronously on the tfjs backend; no tensors are left behind except the model's weights.
 * @param clip Frames, landmarks and audio of the subject (e.g. the ground-truth training video).
 * @param options Frames to use, steps, learning rate, temperature, negatives, seed.
 * @returns The model (dispose it) and a training record.
 * @throws When fewer than 2 x minShift aligned windows are available.
 */
export function trainSsSync(clip: SyncClip, options: SsSyncTrainOptions = {}): SsSyncTrainResult {
  const t0 = performance.now();
  const seed = options.seed ?? 1;
  const model = new SsSyncNet(options.config ?? {}, { seed });
  try {
    return train(model, clip, options, seed, t0);
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function train(
  model: SsSyncNet,
  clip: SyncClip,
  options: SsSyncTrainOptions,
  seed: number,
  t0: number,
): SsSyncTrainResult {
  const c = model.config;
  const steps = options.steps ?? 200, lr = options.learningRate ?? 1e-3;
  const temperature = options.temperature ?? 0.1, minShift = options.minShift ?? 5;
  const maxShift = options.maxShift ?? SYNC_MAX_OFFSET;
  const batchSize = options.batchSize ?? 256, wd = options.weightDecay ?? 1e-4;
  const logEvery = options.logEvery ?? 50;
  const noise = options.inputNoise ?? 1;
  if (!(Number.isInteger(steps) && steps >= 1)) {
    throw new Error(`trainSsSync: steps must be an integer >= 1: got ${steps}`);
  }
  if (!(temperature > 0)) throw new Error(`trainSsSync: temperature must be > 0: got ${temperature}`);
  if (!(Number.isInteger(minShift) && minShift >= 1)) {
    throw new Error(`trainSsSync: minShift must be an integer >= 1: got ${minShift}`);
  }
  const aw = audioWindows(clip.audio, c);
  // Jittered crops: a few fixed variants of every window, drawn from at random each step.
  const variants: SyncWindows[] = [];
  const jitter = createRng(seed + 17);
  for (let k = 0; k < 4; k++) {
    const cfg = k === 0 ? c : {
      ...c,
      cropScale: c.cropScale * (1 + 0.08 * (jitter.next() - 0.5)),
      cropDrop: c.cropDrop + 0.06 * (jitter.next() - 0.5),
    };
    variants.push(videoWindows(clip, cfg, options.range));
  }
  const vStarts = variants[0].starts;
  // Keep the windows that have audio at the same start.
  const rows = vStarts.map((s, r) => [s, r]).filter(([s]) => s < aw.starts.length);
  if (rows.length < 2 * minShift) {
    throw new Error(
      `trainSsSync: ${rows.length} aligned windows with a face and audio: expected at least ${2 * minShift}`,
    );
  }
  const rng = createRng(seed + 31);
  const opt = tf.train.adam(lr);
  const vars = [...model.params.values()];
  let firstLoss = NaN, finalLoss = NaN;
  for (let step = 0; step < steps; step++) {
    // A batch: all windows when they fit, else a random subset (Fisher-Yates prefix).
    const idx = rows.map((_, i) => i);
    const n = Math.min(batchSize, idx.length);
    for (let i = 0; i < n; i++) {
      const j = i + rng.int(idx.length - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const batch = idx.slice(0, n).map((i) => rows[i]);
    const maskValues = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const d = Math.abs(batch[i][0] - batch[j][0]);
        if (i !== j && (d < minShift || d > maxShift)) maskValues[i * n + j] = -1e9;
      }
    }
    const variant = variants[rng.int(variants.length)];
    const loss = tf.tidy(() => {
      let vx = gatherRows(variant, batch.map(([, r]) => r));
      let ax = gatherRows(aw, batch.map(([s]) => s));
      if (noise > 0) {
        vx = tf.add(vx, tf.randomNormal(vx.shape, 0, noise, "float32", rng.int(2 ** 31)));
        ax = tf.add(ax, tf.randomNormal(ax.shape, 0, noise, "float32", rng.int(2 ** 31)));
      }
      const mask = tf.tensor2d(maskValues, [n, n]);
      const value = opt.minimize(
        () => {
          const l = infoNceLoss(model.embedVideo(vx), model.embedAudio(ax), mask, temperature);
          if (wd <= 0) return l;
          const penalty = tf.addN(vars.filter((v) => v.rank === 2).map((v) => tf.sum(tf.square(v))));
          return tf.add(l, tf.mul(penalty, wd)) as tf.Scalar;
        },
        true,
        vars,
      );
      return value!;
    });
    const lv = loss.dataSync()[0];
    loss.dispose();
    if (step === 0) firstLoss = lv;
    finalLoss = lv;
    if (options.onStep && (step % logEvery === 0 || step === steps - 1)) options.onStep(step, lv);
  }
  opt.dispose();
  return {
    model,
    firstLoss,
    finalLoss,
    windows: rows.length,
    steps,
    seconds: (performance.now() - t0) / 1000,
  };
}
