/**
 * Density probing: the density the renderer sees at points of the normalised box, for occupancy grids.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RadianceField } from "../field/mod.ts";
import { positionalEncodingJs } from "../encoding/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { deformedInputs, type PassDeformation } from "./render_rays.ts";
import type { FrameCodes, FrameRenderSetup } from "./scene_setup.ts";
import { type Reads, readSync } from "./reads.ts";

/** A field's density at `m` points (box coordinates), after the deformation `deform` when given. */
function fieldDensity(
  field: RadianceField,
  points: Float32Array,
  m: number,
  code: tf.Tensor2D,
  posFreqs: number,
  deform?: PassDeformation,
): tf.Tensor1D {
  const dirDim = field.dims.dirDim;
  // Density does not depend on the view direction; the colour branch still wants one.
  const dir = dirDim > 0
    ? tf.tile(
      tf.tensor2d(positionalEncodingJs(Float32Array.of(0, 0, -1), 3, (dirDim / 3 - 1) / 2), [1, dirDim]),
      [m, 1],
    ) as tf.Tensor2D
    : undefined;
  // Nor on the pose the colour may read (`field.poseColor`): a zero code serves.
  const poseDim = field.dims.poseDim ?? 0;
  const pose = poseDim > 0 ? tf.zeros([1, poseDim]) as tf.Tensor2D : undefined;
  const { xyz, pos } = deformedInputs(field, points, m, { code, deform, pose }, dir, posFreqs);
  return field.apply({ xyz, pos, dir, aud: code, pose }).sigma;
}

/**
 * The density the renderer sees at points of the normalised box, for `OccupancyGrid.update`: the coarse
 * field's sigma after the torso module's deformation for the frame's pose (as the renderer applies it),
 * conditioned on the frame's audio code; with AD-NeRF's two fields, the max of the head and torso fields.
 * No gradient; tensors are freed.
 * @param model The model.
 * @param setup Its render setup.
 * @param codes The frame whose codes condition the field (update with random frames so the grid keeps
 *   what any frame occupies).
 * @returns densityAt(points [m, 3]) -> sigma [m].
 */
export function densityAtFor(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
): (points: Float32Array) => Float32Array {
  const reads = densityReadsFor(model, setup, codes);
  return (points: Float32Array) => readSync(reads(points));
}

/**
 * {@linkcode densityAtFor} as {@linkcode Reads} computations (for synchronous or asynchronous reads).
 * @param model The model.
 * @param setup Its render setup.
 * @param codes The frame whose codes condition the field.
 * @returns densityReads(points [m, 3]) -> a computation of sigma [m].
 */
export function densityReadsFor(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
): (points: Float32Array) => Reads<Float32Array> {
  const f = setup.config.field;
  const posFreqs = f.kind === "mlp" ? f.posFreqs : 0;
  return function* (points: Float32Array): Reads<Float32Array> {
    const m = points.length / 3;
    const sigma = tf.tidy(() => {
      const aud = tf.tensor2d(codes.aud, [1, codes.aud.length]);
      const pose = tf.tensor2d(codes.pose, [1, codes.pose.length]);
      if (setup.config.architecture === "twoNerf" && model.torsoField) {
        const head = fieldDensity(model.coarse, points, m, aud, posFreqs);
        const body = fieldDensity(model.torsoField, points, m, tf.concat([aud, pose], 1), posFreqs);
        return tf.maximum(head, body);
      }
      const torsoClasses = setup.modelDims.numClasses > 0 && setup.classes ? setup.classes.torsoLike : [];
      const deform = model.torso.deformPoints ? { torso: model.torso, pose, torsoClasses } : undefined;
      return fieldDensity(model.coarse, points, m, aud, posFreqs, deform);
    });
    try {
      return (yield [sigma])[0] as Float32Array;
    } finally {
      sigma.dispose();
    }
  };
}
