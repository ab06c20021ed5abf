/**
 * SSP-NeRF's torso deformation module, as reconstructed here (our reading of the paper's "Torso deformation"):
 * the head pose is modelled as a camera motion around a fixed canonical head, so the torso, which does
 * not follow the head rigidly, appears to move; a pose-conditioned field moves sample points back into
 * the canonical space before the shared radiance field is queried.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encodedDim, positionalEncoding } from "../encoding/positional_encoding.ts";
import { positionalEncodingJs } from "../encoding/positional_encoding.ts";
import type { Module } from "../nn/module.ts";
import { ConditionedMlp } from "./conditioned_mlp.ts";
import type { Deform3dTorsoConfig } from "./config.ts";
import { deformationPenalty } from "./deformation_penalty.ts";
import type { PointOffsets, TorsoModule } from "./torso_module.ts";

/** Options of {@linkcode DeformationField3d}. */
export interface DeformationField3dOptions {
  /** Width of the hidden layers. @default {64} */
  readonly width?: number;
  /** Number of hidden layers. @default {3} */
  readonly depth?: number;
  /** Positional-encoding frequencies of the point x. @default {6} */
  readonly posFreqs?: number;
  /** Positional-encoding frequencies of the pose code p. @default {4} */
  readonly poseFreqs?: number;
  /** Seed of the initial weights. @default {a hash of each layer's name} */
  readonly seed?: number;
}

/**
 * dx = D(PE(x), PE(p)): a ReLU MLP from the encoded sample point and the encoded pose code of the frame
 * to a 3-D offset. Its output layer starts at zero, so at initialisation dx = 0 exactly (the identity
 * deformation) and the deformation grows only as far as the photometric loss asks for it.
 * The caller forms the deformed point x + w dx (w: a per-point torso weight, see
 * `torsoWeightFromParsing`, or 1) and adds `deformationPenalty(dx, w)` to the loss.
 * Parameters: `${name}.l0f`, `${name}.l0c` (pose part of the first layer), `${name}.l1`, ..., `${name}.out`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { DeformationField3d } from "./deformation_field.ts";
 * await initBackend({ log: null });
 * const field = new DeformationField3d("torso", 6, { width: 16, depth: 2 });
 * const dx = field.apply(tf.randomUniform([10, 3], -1, 1) as tf.Tensor2D, tf.zeros([1, 6]));
 * assertEquals(dx.shape, [10, 3]);
 * assertEquals(Math.max(...dx.abs().dataSync()), 0); // identity at initialisation
 * tf.dispose(dx);
 * field.dispose();
 * ```
 */
export class DeformationField3d implements Module {
  readonly name: string;
  readonly poseDim: number;
  readonly posFreqs: number;
  readonly poseFreqs: number;
  readonly mlp: ConditionedMlp;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * @param name Prefix of the parameter keys, e.g. "torso".
   * @param poseDim Length P of the pose code (6 for `poseCode`).
   * @param options Width, depth, frequencies, seed.
   */
  constructor(name: string, poseDim: number, options: DeformationField3dOptions = {}) {
    this.name = name;
    this.poseDim = poseDim;
    this.posFreqs = options.posFreqs ?? 6;
    this.poseFreqs = options.poseFreqs ?? 4;
    this.mlp = new ConditionedMlp(name, {
      inDim: encodedDim(3, this.posFreqs),
      condDim: encodedDim(poseDim, this.poseFreqs),
      outDim: 3,
    }, { width: options.width ?? 64, depth: options.depth ?? 3, zeroLast: true, seed: options.seed });
    this.params = this.mlp.params;
  }

  /**
   * The offset of each sample point.
   * @param xyz Sample points, [n, 3], in the normalised scene box (about [-1, 1]^3); may carry gradient.
   * @param pose Pose code of the frame, [1, P] (or one per point, [n, P]).
   * @returns dx, [n, 3].
   */
  apply(xyz: tf.Tensor2D, pose: tf.Tensor2D): tf.Tensor2D {
    if (xyz.rank !== 2 || xyz.shape[1] !== 3) {
      throw new Error(`${this.name}: xyz must be [n, 3]: got [${xyz.shape}]`);
    }
    if (pose.rank !== 2 || pose.shape[1] !== this.poseDim) {
      throw new Error(`${this.name}: pose must be [1, ${this.poseDim}]: got [${pose.shape}]`);
    }
    return tf.tidy(() =>
      this.mlp.apply(positionalEncoding(xyz, this.posFreqs), positionalEncoding(pose, this.poseFreqs))
    );
  }

  /**
   * The same as {@linkcode apply} for points whose encoding the caller already has: sample points are
   * constants of the graph, so their encoding can be computed in plain JS (`positionalEncodingJs`, several
   * times faster than tf.sin/cos on wasm) and no gradient is lost.
   * @param encodedXyz PE(x) with this field's `posFreqs`, [n, encodedDim(3, posFreqs)].
   * @param pose Pose code of the frame, [1, P].
   */
  applyEncoded(encodedXyz: tf.Tensor2D, pose: tf.Tensor2D): tf.Tensor2D {
    const want = encodedDim(3, this.posFreqs);
    if (encodedXyz.rank !== 2 || encodedXyz.shape[1] !== want) {
      throw new Error(`${this.name}: encoded xyz must be [n, ${want}]: got [${encodedXyz.shape}]`);
    }
    return tf.tidy(() => this.mlp.apply(encodedXyz, positionalEncoding(pose, this.poseFreqs)));
  }

  dispose(): void {
    this.mlp.dispose();
  }
}

/**
 * SSP-NeRF's torso module: a {@linkcode DeformationField3d} moving the sample points, x' = x + w dx, with
 * w the field's torso probability ("parsing") or 1 ("none"), and the penalty mean(w |dx|^2) averaged over
 * the step's passes.
 */
export class Deform3dTorso implements TorsoModule {
  readonly kind = "deform3d";

  /**
   * @param module The deformation field.
   * @param config Its configuration (the weighting).
   */
  constructor(readonly module: DeformationField3d, readonly config: Deform3dTorsoConfig) {}

  deformPoints(
    points: Float32Array | tf.Tensor2D,
    m: number,
    pose: tf.Tensor2D,
    torsoProbability?: () => tf.Tensor1D | undefined,
  ): PointOffsets {
    const pf = this.module.posFreqs;
    // Points computed on the device (GPU importance samples) are encoded there: no readback.
    const offsets = this.module.applyEncoded(
      points instanceof tf.Tensor
        ? positionalEncoding(points, pf)
        : tf.tensor2d(positionalEncodingJs(points, 3, pf), [m, encodedDim(3, pf)]),
      pose,
    );
    const weights = this.config.weighting === "parsing" ? torsoProbability?.() : undefined;
    return { offsets, weights, applied: weights ? tf.mul(offsets, weights.reshape([m, 1])) : offsets };
  }

  penalty(passes: readonly Pick<PointOffsets, "offsets" | "weights">[]): tf.Scalar | undefined {
    if (passes.length === 0) return undefined;
    const penalties = passes.map((p) => deformationPenalty(p.offsets, p.weights));
    return tf.div(tf.addN(penalties), penalties.length) as tf.Scalar;
  }
}
