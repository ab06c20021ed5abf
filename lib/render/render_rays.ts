/**
 * One rendering pass of one radiance field along a batch of rays: points at given depths -> (optional
 * torso deformation) -> field -> weights -> pixel values.
 *
 * The sample points are constants of the graph (no gradient flows into where we sample), so points,
 * their positional encoding and the interval lengths are computed in plain JS on typed arrays, which is
 * several times faster than tf.sin/cos on wasm (on webgpu, `positionalEncodingOf` encodes them on the
 * device). With a deformation the deformed points carry a gradient, so they are encoded with tensor ops
 * instead; so are the fine samples drawn on the device (see `ModelRenderInputs.deviceSampling`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RadianceField } from "../field/mod.ts";
import { positionalEncoding, positionalEncodingJs, positionalEncodingOf } from "../encoding/mod.ts";
import { constantOf } from "./importance_tensor.ts";
import { deltasFromT, samplePoints } from "../sampling/mod.ts";
import { compositeOverBackground, lastSampleBackground } from "./background.ts";
import { renderAccumulation, renderDepth, renderRgb, renderSemantics } from "./renderers.ts";
import { weightsFromDensity } from "./weights.ts";
import { type PointOffsets, type TorsoModule, torsoWeightFromParsing } from "../torso/mod.ts";

/** Rays of one batch, as plain arrays. */
export interface RayBatch {
  readonly n: number;
  /** Ray origins, [n, 3]. */
  readonly origins: Float32Array;
  /** Ray directions, [n, 3] (not normalised: t is depth along the optical axis). */
  readonly dirs: Float32Array;
  /** Background colour behind each ray (the static background image at the ray's pixel), [n, 3] in [0, 1]. */
  readonly background: Float32Array;
}

/** A torso module's deformation of the sample points before the field sees them. */
export interface PassDeformation {
  /** The torso module (its `deformPoints`). */
  readonly torso: Pick<TorsoModule, "deformPoints">;
  /** Pose code of the frame, [1, P]. */
  readonly pose: tf.Tensor2D;
  /** Class ids counted as torso (e.g. neck and torso); empty when the data has no parsing, so the module
   * gets no torso probability. */
  readonly torsoClasses: readonly number[];
}

/** What a pass conditions the field on: the frame's code, an optional deformation of the points, and the
 * frame's pose code for fields whose colour reads it (`field.poseColor`). */
export interface PassConditioning {
  readonly code?: tf.Tensor2D;
  readonly deform?: PassDeformation;
  readonly pose?: tf.Tensor2D;
}

/** Field inputs at sample points after an optional torso deformation. */
export interface DeformedInputs {
  /** Positions the field sees, [m, 3]. */
  readonly xyz: tf.Tensor2D;
  /** Their positional encoding (when the field reads one). */
  readonly pos?: tf.Tensor2D;
  /** The deformation's offsets, when there was one. */
  readonly offsets?: PointOffsets;
}

/**
 * The field's inputs at points of the normalised box, moved by the torso deformation when there is one:
 * x' = x + w dx, w as the module decides (the field's own torso probability at the undeformed point, as
 * a constant, when it weights by parsing). The one home of that computation, for rendering passes and
 * density probes alike. Call inside tf.tidy.
 * @param field The field (for its input sizes and the torso probability).
 * @param points Points, [m, 3] flattened (box coordinates).
 * @param m Number of points.
 * @param cond Conditioning code and optional deformation.
 * @param dir Encoded view directions, [m, D], when the field reads them.
 * @param posFreqs Positional-encoding frequencies of xyz.
 */
export function deformedInputs(
  field: RadianceField,
  points: Float32Array | tf.Tensor2D,
  m: number,
  cond: PassConditioning,
  dir: tf.Tensor2D | undefined,
  posFreqs: number,
): DeformedInputs {
  const needsPe = field.dims.posDim > 0;
  const onDevice = points instanceof tf.Tensor;
  const xyz = onDevice ? points : tf.tensor2d(points, [m, 3]);
  const deform = cond.deform;
  const moves = deform?.torso.deformPoints;
  if (!deform || !moves) {
    const pos = !needsPe
      ? undefined
      : onDevice
      ? positionalEncoding(xyz, posFreqs)
      : positionalEncodingOf(points, 3, posFreqs);
    return { xyz, pos };
  }
  const torsoProbability = deform.torsoClasses.length > 0
    ? () => {
      const undeformedPos = needsPe ? positionalEncoding(xyz, posFreqs) : undefined;
      const probe = field.apply({ xyz, pos: undeformedPos, dir, aud: cond.code, pose: cond.pose });
      if (!probe.semanticLogits) return undefined;
      const w = torsoWeightFromParsing(tf.softmax(probe.semanticLogits), deform.torsoClasses);
      // A constant of the graph: read back and rebuilt on CPU backends (no backward pass through the
      // probe); a zero-gradient copy on the GPU, where Deno cannot read a tensor synchronously.
      return tf.getBackend() === "webgpu" ? constantOf(w) : tf.tensor1d(w.dataSync() as Float32Array);
    }
    : undefined;
  const offsets = moves.call(deform.torso, points, m, deform.pose, torsoProbability);
  const moved = tf.add(xyz, offsets.applied) as tf.Tensor2D;
  return { xyz: moved, pos: needsPe ? positionalEncoding(moved, posFreqs) : undefined, offsets };
}

/** How a pass encodes its inputs and meets the background. */
export interface PassOptions {
  /** Sample positions are multiplied by this before the field sees them (1 / scene radius), so every
   * backbone works in a box of about [-1, 1]^3 whatever the tracker's units. */
  readonly positionScale: number;
  /** Positional-encoding frequencies of xyz; ignored when the field reads raw xyz only (posDim 0). */
  readonly posFreqs: number;
  readonly dirFreqs: number;
  readonly viewDirs: boolean;
  /** "lastSample" (AD-NeRF: the last sample is opaque and takes the background colour), "alpha"
   * (composite over the background), or "none" (foreground only: premultiplied colour and opacity, for a
   * layer that something else is composited behind). */
  readonly background: "lastSample" | "alpha" | "none";
  /** Index of the background class in parsing maps (0 in both known palettes). */
  readonly backgroundClass?: number;
  /** Spacing of an evenly spaced sample set of which the pass gets a subset (empty-space skipping): the
   * intervals are capped at it (see `deltasFromT`'s `maxDelta`). Unset for ordinary passes. */
  readonly maxDelta?: number;
}

/** Outputs of one pass, keyed by the shared vocabulary. */
export interface PassOutputs {
  /** [n, 3]; premultiplied foreground when the background is "none". */
  readonly rgb: tf.Tensor2D;
  /** Expected depth, [n]. */
  readonly depth: tf.Tensor1D;
  /** Accumulated opacity of the field itself (before the background), [n]. */
  readonly accumulation: tf.Tensor1D;
  /** Rendered class distribution, [n, K] (sums to 1 per ray with the background; to the accumulation
   * when the background is "none"); present when the field parses. */
  readonly semantics?: tf.Tensor2D;
  /** Rendering weights, [n, k]. */
  readonly weights: tf.Tensor2D;
  /** The deformation offsets of the sample points, [n*k, 3], when a deformation was applied. */
  readonly offsets?: tf.Tensor2D;
  /** Per-point deformation weights, [n*k], when weighting by parsing. */
  readonly offsetWeights?: tf.Tensor1D;
  /** Per-point gates of a gated rigid motion, [n*k], when the torso module penalises them. */
  readonly offsetGates?: tf.Tensor1D;
}

/** Encodes view directions (normalised), one row per ray repeated for each of its k samples. */
function encodeDirs(batch: RayBatch, k: number, numFreqs: number): Float32Array {
  const unit = new Float32Array(batch.n * 3);
  for (let r = 0; r < batch.n; r++) {
    const x = batch.dirs[3 * r], y = batch.dirs[3 * r + 1], z = batch.dirs[3 * r + 2];
    const len = Math.hypot(x, y, z) || 1;
    unit[3 * r] = x / len;
    unit[3 * r + 1] = y / len;
    unit[3 * r + 2] = z / len;
  }
  const enc = positionalEncodingJs(unit, 3, numFreqs);
  const dim = enc.length / batch.n;
  const out = new Float32Array(batch.n * k * dim);
  for (let r = 0; r < batch.n; r++) {
    const row = enc.subarray(r * dim, (r + 1) * dim);
    for (let j = 0; j < k; j++) out.set(row, (r * k + j) * dim);
  }
  return out;
}

/**
 * Renders a batch of rays at the given sample depths.
 * @param field The radiance field to query.
 * @param batch Rays and their background colours.
 * @param tVals Sorted sample depths per ray, [n, k]: plain, or a tensor computed on the device (GPU
 *   importance samples: points and intervals are then computed with tensor ops too).
 * @param k Samples per ray.
 * @param cond The field's conditioning code ([1, A] or [n*k, A]; undefined for an unconditioned field)
 *   and an optional torso deformation.
 * @param options Encoding and background options.
 */
export function renderPass(
  field: RadianceField,
  batch: RayBatch,
  tVals: Float32Array | tf.Tensor2D,
  k: number,
  cond: PassConditioning,
  options: PassOptions,
): PassOutputs {
  const n = batch.n;
  const onDevice = tVals instanceof tf.Tensor;
  const tCount = onDevice ? tVals.size : tVals.length;
  if (tCount !== n * k) throw new Error(`tVals must be [${n}, ${k}]: got ${tCount} values`);
  const dirNorms = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    dirNorms[r] = Math.hypot(batch.dirs[3 * r], batch.dirs[3 * r + 1], batch.dirs[3 * r + 2]);
  }
  // The last sample: opaque in "lastSample" mode (its length is irrelevant); otherwise as long as the one
  // before it (or the set's spacing, for a subset), so that it weighs like the others (NeRF's 1e10 would
  // make it absorb all remaining light, and a foreground layer opaque wherever its far end has any density).
  const lastDelta = options.background === "lastSample" ? 1e10 : options.maxDelta ?? "previous";
  let pts: Float32Array | undefined, deltas: Float32Array | undefined;
  if (!onDevice) {
    pts = samplePoints(batch.origins, batch.dirs, tVals, n, k);
    for (let i = 0; i < pts.length; i++) pts[i] *= options.positionScale;
    deltas = deltasFromT(tVals, n, k, { dirNorms, maxDelta: options.maxDelta, lastDelta });
  }
  const dirEnc = options.viewDirs && field.dims.dirDim > 0
    ? encodeDirs(batch, k, options.dirFreqs)
    : undefined;
  const bgClass = options.backgroundClass ?? 0;
  return tf.tidy(() => {
    const dir = dirEnc ? tf.tensor2d(dirEnc, [n * k, dirEnc.length / (n * k)]) : undefined;
    const points = pts ?? devicePoints(batch, tVals as tf.Tensor2D, k, options.positionScale);
    const { xyz, pos, offsets } = deformedInputs(field, points, n * k, cond, dir, options.posFreqs);
    const extra: Record<string, tf.Tensor> = {};
    if (offsets) {
      extra.offsets = offsets.offsets;
      if (offsets.weights) extra.offsetWeights = offsets.weights;
      if (offsets.gates) extra.offsetGates = offsets.gates;
    }
    const out = field.apply({ xyz, pos, dir, aud: cond.code, pose: cond.pose });
    const sigma = out.sigma.reshape([n, k]) as tf.Tensor2D;
    let rgbs = out.rgb.reshape([n, k, 3]) as tf.Tensor3D;
    const delta = deltas
      ? tf.tensor2d(deltas, [n, k])
      : deviceDeltas(tVals as tf.Tensor2D, dirNorms, options.maxDelta, lastDelta);
    const lastSample = options.background === "lastSample";
    const weights = weightsFromDensity(sigma, delta, { opaqueLast: lastSample });
    const bg = options.background === "none" ? undefined : tf.tensor2d(batch.background, [n, 3]);
    if (lastSample) rgbs = lastSampleBackground(rgbs, bg!);
    // (A sum over an empty axis is not reliably 0 on every backend: one opaque sample holds no field light.)
    const fieldAcc = !lastSample
      ? renderAccumulation(weights)
      : k > 1
      ? renderAccumulation(weights.slice([0, 0], [n, k - 1]))
      : tf.zeros([n]) as tf.Tensor1D;
    const fg = renderRgb(weights, rgbs);
    const rgb = options.background === "alpha" ? compositeOverBackground(fg, fieldAcc, bg!) : fg;
    const depth = renderDepth(weights, onDevice ? tVals : tf.tensor2d(tVals, [n, k]));
    const result: Record<string, tf.Tensor> = { rgb, depth, accumulation: fieldAcc, weights, ...extra };
    if (out.semanticLogits) {
      const numClasses = out.semanticLogits.shape[1];
      const probs = tf.softmax(out.semanticLogits).reshape([n, k, numClasses]) as tf.Tensor3D;
      const bgOneHot = tf.oneHot(tf.fill([n], bgClass, "int32"), numClasses) as tf.Tensor2D;
      result.semantics = lastSample
        ? renderSemantics(weights, lastSampleBackground(probs, bgOneHot))
        : options.background === "alpha"
        ? compositeOverBackground(renderSemantics(weights, probs), fieldAcc, bgOneHot)
        : renderSemantics(weights, probs);
    }
    return result;
  }) as unknown as PassOutputs;
}

/** `samplePoints` times the position scale, as tensor ops on depths that live on the device: [n*k, 3]. */
function devicePoints(batch: RayBatch, t: tf.Tensor2D, k: number, scale: number): tf.Tensor2D {
  const n = batch.n;
  const o = tf.tensor3d(batch.origins, [n, 1, 3]), d = tf.tensor3d(batch.dirs, [n, 1, 3]);
  const p = tf.add(o, tf.mul(tf.reshape(t, [n, k, 1]), d));
  return tf.reshape(tf.mul(p, scale), [n * k, 3]);
}

/** `deltasFromT` as tensor ops on depths that live on the device: [n, k]. */
function deviceDeltas(
  t: tf.Tensor2D,
  dirNorms: Float32Array,
  maxDelta: number | undefined,
  lastDelta: number | "previous",
): tf.Tensor2D {
  const [n, k] = t.shape;
  const max = maxDelta ?? Infinity;
  if (!(max > 0)) throw new Error(`maxDelta must be > 0: got ${max}`);
  let gaps: tf.Tensor2D = tf.sub(t.slice([0, 1], [n, k - 1]), t.slice([0, 0], [n, k - 1]));
  if (Number.isFinite(max)) gaps = tf.minimum(gaps, max);
  const last = lastDelta !== "previous"
    ? tf.fill([n, 1], lastDelta)
    : k > 1
    ? gaps.slice([0, k - 2], [n, 1])
    : tf.fill([n, 1], Number.isFinite(max) ? max : 1e10);
  const all = k > 1 ? tf.concat([gaps, last], 1) : last;
  return tf.mul(all, tf.tensor2d(dirNorms, [n, 1]));
}
