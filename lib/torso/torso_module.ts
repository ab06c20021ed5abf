/**
 * What the renderer needs from a torso module, whatever its kind: it may move 3-D sample points before
 * the field sees them ({@linkcode TorsoModule.deformPoints}, SSP-NeRF's deformation), put an image-space
 * layer behind the head ({@linkcode TorsoModule.layerBehind}, RAD-NeRF's 2-D torso), and add a penalty to
 * the loss ({@linkcode TorsoModule.penalty}). The renderer calls these and never asks for a kind, so a new
 * torso module is a new implementation plus a factory case.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Module } from "../nn/module.ts";
import type { TorsoConfig } from "./config.ts";

/** Offsets of sample points, as a torso module moves them. */
export interface PointOffsets {
  /** What the penalty sees, [m, 3]: the module's raw offsets dx, or the part of them it penalises. */
  readonly offsets: tf.Tensor2D;
  /** Per-point weights w applied to them, [m], when the module weights its offsets. */
  readonly weights?: tf.Tensor1D;
  /** The offsets applied, w dx (dx without weights), [m, 3]. */
  readonly applied: tf.Tensor2D;
  /** The per-point gates g of a gated rigid motion, [m], when the module penalises them. */
  readonly gates?: tf.Tensor1D;
}

/** An image-space layer: colour [n, 3] and opacity [n] per pixel. */
export interface ImageLayer {
  readonly rgb: tf.Tensor2D;
  readonly alpha: tf.Tensor1D;
}

/** A torso module as the renderer sees it. Methods it lacks are parts it does not have. */
export interface TorsoModule {
  /** The config kind that built it (for logs and tables only: the renderer never switches on it). */
  readonly kind: TorsoConfig["kind"];
  /** The learned part (null when the module has no weights). */
  readonly module: Module | null;
  /**
   * Moves sample points (in the normalised scene box) for a frame. Call inside tf.tidy.
   * @param points Points, [m, 3] flattened, or a [m, 3] tensor (points computed on the device).
   * @param m Number of points.
   * @param pose The frame's pose code, [1, P].
   * @param torsoProbability The field's probability of the torso-like classes at the undeformed points,
   *   [m], as a constant; absent when the field does not parse (a module that weights by it then moves
   *   every point).
   */
  deformPoints?(
    points: Float32Array | tf.Tensor2D,
    m: number,
    pose: tf.Tensor2D,
    torsoProbability?: () => tf.Tensor1D | undefined,
  ): PointOffsets;
  /**
   * The layer behind the head at pixels `uv` ([-1, 1]^2, [n, 2]) for the frame's pose code [1, P].
   * Call inside tf.tidy.
   */
  layerBehind?(uv: tf.Tensor2D, pose: tf.Tensor2D): ImageLayer;
  /**
   * The module's regulariser over the offsets of the passes of one step (undefined: none). Its loss
   * weight is the config's `loss.deformation`.
   */
  penalty?(passes: readonly Pick<PointOffsets, "offsets" | "weights" | "gates">[]): tf.Scalar | undefined;
}
