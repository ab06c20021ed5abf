/**
 * Comparing two head-pose sequences whose canonical head frames differ by a constant rotation (e.g. a
 * tracker's template and a generator's head model): align, then measure per-frame angles.
 * @module
 */
import { angleBetween, type Mat3, mul3, nearestRotation, transpose3 } from "./rotation.ts";

/** Result of {@linkcode alignedRotationErrors}. */
export interface RotationAlignment {
  /** The constant rotation Q (row-major 3x3) with estimate_i ~ reference_i Q. */
  readonly offset: Mat3;
  /** Angle of Q in degrees (how far apart the two canonical frames are). */
  readonly offsetDeg: number;
  /** Per-frame angle between estimate_i and reference_i Q, degrees. */
  readonly errorsDeg: Float64Array;
  /** Mean of `errorsDeg`. */
  readonly meanDeg: number;
  /** Largest of `errorsDeg`. */
  readonly maxDeg: number;
}

/**
 * Rotation errors between an estimated and a reference sequence of head rotations after removing the
 * constant rotation between their canonical frames. A head point X in the reference model is
 * A X + b in the estimator's model, so camera points R_ref X + t_ref = R_est (A X + b) + t_est give
 * R_est = R_ref A^T for every frame: Q = A^T is the chordal mean of R_ref_i^T R_est_i (the rotation
 * nearest to their sum), and the error of frame i is the angle between R_est_i and R_ref_i Q.
 * @param estimated Rotations (row-major 3x3) of the estimate.
 * @param reference Rotations of the reference, same count.
 * @returns The offset, per-frame errors and their mean and maximum in degrees.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { alignedRotationErrors } from "./align.ts";
 * import { expSO3, mul3 } from "./rotation.ts";
 * const ref = [expSO3([0.1, 0, 0]), expSO3([0, 0.2, 0])];
 * const offset = expSO3([0, 0, 0.5]);
 * const est = ref.map((r) => mul3(r, offset)); // same motion, other canonical frame
 * assertAlmostEquals(alignedRotationErrors(est, ref).meanDeg, 0, 1e-6);
 * ```
 */
export function alignedRotationErrors(
  estimated: readonly ArrayLike<number>[],
  reference: readonly ArrayLike<number>[],
): RotationAlignment {
  if (estimated.length !== reference.length || estimated.length === 0) {
    throw new Error(
      `align.ts: estimated and reference must be non-empty and of one length: got ${estimated.length} and ${reference.length}`,
    );
  }
  const sum = new Float64Array(9);
  estimated.forEach((e, i) => {
    const m = mul3(transpose3(reference[i]), e);
    for (let k = 0; k < 9; k++) sum[k] += m[k];
  });
  const offset = nearestRotation(sum);
  const errorsDeg = Float64Array.from(
    estimated,
    (e, i) => (angleBetween(e, mul3(reference[i], offset)) * 180) / Math.PI,
  );
  const meanDeg = errorsDeg.reduce((a, b) => a + b, 0) / errorsDeg.length;
  return {
    offset,
    offsetDeg: (angleBetween([1, 0, 0, 0, 1, 0, 0, 0, 1], offset) * 180) / Math.PI,
    errorsDeg,
    meanDeg,
    maxDeg: Math.max(...errorsDeg),
  };
}
