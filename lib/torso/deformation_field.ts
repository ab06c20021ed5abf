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
import { Linear } from "../nn/linear.ts";
import { Mlp } from "../nn/mlp.ts";
import type { Module } from "../nn/module.ts";
import { ConditionedMlp } from "./conditioned_mlp.ts";
import { type Deform3dTorsoConfig, DEFORMATION_GATES, type DeformationGate } from "./config.ts";
import { deformationPenalty } from "./deformation_penalty.ts";
import { rigidOffsets } from "./rigid_motion.ts";
import { matMulT, selectColumns } from "../nn/matmul.ts";
import { cameraPlacement, poseProducts } from "./pose_features.ts";
import type { PointOffsets, TorsoModule } from "./torso_module.ts";

/**
 * How the 3-D deformation moves a point: "offset" = a free offset per point from the MLP; "rigid" = a
 * per-frame rigid motion from the pose code, gated per point, plus a small free residual.
 */
export type DeformationMotion = "offset" | "rigid";

/**
 * How motion "rigid" maps the pose code p to the frame's rotation vector and translation (omega, tau):
 * "mlp" = a one-hidden-layer ReLU MLP on PE(p) (session 4's form; on the fixture every hidden unit died in
 * every run we measured, so its motion was the same for all frames: kept so those runs load);
 * "linear" = A p + b; "linear+mlp" = the sum of both; "quadratic" = A p + b + Q q(p), with q(p) the
 * P (P + 1) / 2 products p_i p_j (i <= j) of the code's entries (`poseProducts`).
 */
export type RigidPoseMap = "mlp" | "linear" | "linear+mlp" | "quadratic";

/** The values of {@linkcode RigidPoseMap}. */
export const RIGID_POSE_MAPS: readonly RigidPoseMap[] = ["mlp", "linear", "linear+mlp", "quadratic"];

/**
 * Where motion "rigid" starts from: "head" = the head's canonical frame (a point that does not move
 * stays rigid with the head); "camera" = the camera's frame (a point with gate 1 and no learned motion
 * stays where it is in the image: AD-NeRF's static torso), so the learned rigid motion only has to add
 * how far the torso follows the head.
 */
export type RigidMotionFrame = "head" | "camera";

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
  /** How points move (see {@linkcode DeformationField3d}). @default {"offset"} */
  readonly motion?: DeformationMotion;
  /** How motion "rigid" gets its rotation and translation from the pose code. @default {"mlp"} */
  readonly poseMap?: RigidPoseMap;
  /** Where motion "rigid" starts from (see {@linkcode RigidMotionFrame}). @default {"head"} */
  readonly motionFrame?: RigidMotionFrame;
  /** With motionFrame "camera": the pose code's translation scale / the scene radius
   * (see {@linkcode cameraPlacement}); required then. */
  readonly transToBox?: number;
  /**
   * What motion "rigid"'s gate sees: "pointAndPose" = the per-point MLP's first output (the point and the
   * pose code); "point" = a separate MLP of the encoded point alone (`${name}.gate`, same width and depth,
   * last layer at zero), so which points follow the torso's motion cannot change with a pose it never saw;
   * "moved" = that MLP at the rigidly moved point x + (R - I) x + tau (the point in the torso's own frame),
   * so a torso point that a new pose puts where no torso was in training still reads the torso's gate.
   * @default {"pointAndPose"}
   */
  readonly gate?: DeformationGate;
}

/**
 * dx = D(PE(x), PE(p)): a ReLU MLP from the encoded sample point and the encoded pose code of the frame
 * to a 3-D offset. Its output layer starts at zero, so at initialisation dx = 0 exactly (the identity
 * deformation) and the deformation grows only as far as the photometric loss asks for it.
 * The caller forms the deformed point x + w dx (w: a per-point torso weight, see
 * `torsoWeightFromParsing`, or 1) and adds `deformationPenalty(dx, w)` to the loss.
 * Parameters: `${name}.l0f`, `${name}.l0c` (pose part of the first layer), `${name}.l1`, ..., `${name}.out`.
 *
 * With `motion: "rigid"` ([ours]: a torso that is rigid in its own frame moves rigidly relative to the
 * head, so in the head's canonical space its motion is one rigid transform per frame, which a positional
 * MLP only approximates): a pose MLP (one hidden layer of `width`, ReLU) maps PE(p) [1, P'] to 6 numbers,
 * a rotation vector omega and a translation tau, once per frame; the per-point MLP, now with 4 outputs
 * (l, e), gives a gate g = sigmoid(l) and a free residual e, and
 * dx = g ((R(omega) - I) x + tau) + e, R by Rodrigues' formula (`rigidOffsets`). The gate lets the head,
 * which must not move, opt out of the frame's motion. Both output layers start at zero: omega = tau = 0 and
 * e = 0, so dx = 0 exactly at initialisation whatever the gate, which starts at g = 1/2 (logit 0: no
 * preference between following the motion and staying; the gate's gradient is g (1 - g) (dL/ddx . r),
 * largest there). Extra parameters: `${name}.rigid.l0.{w,b}`, `${name}.rigid.out.{w,b}`; `${name}.out` has
 * 4 columns (gate logit, residual x, y, z).
 *
 * `poseMap` chooses how (omega, tau) follow the pose code. The ReLU pose MLP ("mlp") sees inputs that
 * barely change between frames (the pose code spans about +-0.2, and half of PE(p) are cosines near 1), so
 * a hidden unit is on for every frame or off for every frame; once Adam has pushed a unit off it gets no
 * gradient again. In every "mlp" run on the bundled fixture all 32 units ended off and (omega, tau) was
 * the same for every frame. "linear" adds a zero-initialised linear layer on the raw code,
 * (omega, tau) = A p + b (`${name}.rigid.lin.{w,b}`), which always has a gradient; on the fixture's
 * training frames a linear map of the pose code explains 99.8 % of the head-coupled torso motion (96 % on
 * held-out frames, against 87 % for a quadratic one), so it is also the form that generalises.
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
  readonly motion: DeformationMotion;
  /** The per-point MLP: dx ("offset"), or gate logit and residual ("rigid"). */
  readonly mlp: ConditionedMlp;
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** How "rigid" maps the pose code to its motion (see {@linkcode RigidPoseMap}). */
  readonly poseMap: RigidPoseMap;
  /** Where "rigid" starts from (see {@linkcode RigidMotionFrame}). */
  readonly motionFrame: RigidMotionFrame;
  /** Pose-code translation to box units ("camera" frame only). */
  readonly transToBox: number;
  /** What the gate of "rigid" sees (see {@linkcode DeformationField3dOptions.gate}). */
  readonly gate: DeformationGate;
  /** The gate's own MLP (gates "point" and "moved"). */
  readonly #gateMlp: Mlp | null;
  /** Hidden and output layers of the per-frame pose MLP ("rigid" with "mlp" or "linear+mlp"). */
  readonly #rigid: readonly [Linear, Linear] | null;
  /** The linear map of the pose code ("rigid" with "linear", "linear+mlp" or "quadratic"). */
  readonly #linear: Linear | null;
  /** The map of the code's products ("rigid" with "quadratic"). */
  readonly #quadratic: Linear | null;

  /**
   * @param name Prefix of the parameter keys, e.g. "torso".
   * @param poseDim Length P of the pose code (6 for `poseCode`).
   * @param options Width, depth, frequencies, seed, motion.
   */
  constructor(name: string, poseDim: number, options: DeformationField3dOptions = {}) {
    this.name = name;
    this.poseDim = poseDim;
    this.posFreqs = options.posFreqs ?? 6;
    this.poseFreqs = options.poseFreqs ?? 4;
    this.motion = options.motion ?? "offset";
    this.poseMap = options.poseMap ?? "mlp";
    this.motionFrame = options.motionFrame ?? "head";
    this.transToBox = options.transToBox ?? NaN;
    if (this.motionFrame !== "head" && this.motionFrame !== "camera") {
      throw new Error(
        `${name}: motionFrame must be "head" or "camera": got ${JSON.stringify(this.motionFrame)}`,
      );
    }
    if (this.motionFrame === "camera") {
      if (this.motion !== "rigid") throw new Error(`${name}: motionFrame "camera" needs motion "rigid"`);
      if (poseDim !== 6) {
        throw new Error(
          `${name}: motionFrame "camera" needs the Euler pose code (6 numbers): got ${poseDim}`,
        );
      }
      if (!(this.transToBox > 0 && Number.isFinite(this.transToBox))) {
        throw new Error(
          `${name}: motionFrame "camera" needs transToBox > 0 (pose scale / scene radius): got ${options.transToBox}`,
        );
      }
    }
    if (this.motion !== "offset" && this.motion !== "rigid") {
      throw new Error(`${name}: motion must be "offset" or "rigid": got ${JSON.stringify(this.motion)}`);
    }
    if (!RIGID_POSE_MAPS.includes(this.poseMap)) {
      throw new Error(
        `${name}: poseMap must be one of ${RIGID_POSE_MAPS.join(", ")}: got ${JSON.stringify(this.poseMap)}`,
      );
    }
    const rigid = this.motion === "rigid";
    this.gate = options.gate ?? "pointAndPose";
    if (!DEFORMATION_GATES.includes(this.gate)) {
      throw new Error(
        `${name}: gate must be one of ${DEFORMATION_GATES.join(", ")}: got ${JSON.stringify(this.gate)}`,
      );
    }
    if (this.gate !== "pointAndPose" && !rigid) {
      throw new Error(`${name}: gate "${this.gate}" needs motion "rigid"`);
    }
    const width = options.width ?? 64, depth = options.depth ?? 3;
    const condDim = encodedDim(poseDim, this.poseFreqs);
    const ownGate = rigid && this.gate !== "pointAndPose";
    this.mlp = new ConditionedMlp(name, {
      inDim: encodedDim(3, this.posFreqs),
      condDim,
      outDim: rigid && !ownGate ? 4 : 3,
    }, { width, depth, zeroLast: true, seed: options.seed });
    this.#gateMlp = null;
    if (ownGate) {
      const gateSeed = options.seed === undefined ? undefined : (options.seed + 15485863) >>> 0;
      const g = new Mlp(`${name}.gate`, [encodedDim(3, this.posFreqs), ...Array(depth).fill(width), 1], {
        seed: gateSeed,
      });
      // The gate's logit starts at 0 (g = 1/2), as the per-point MLP's does with "pointAndPose".
      const last = g.layers[g.layers.length - 1];
      tf.tidy(() => {
        last.w.assign(tf.zerosLike(last.w));
        if (last.b) last.b.assign(tf.zerosLike(last.b));
      });
      this.#gateMlp = g;
    }
    if (!rigid) {
      this.#rigid = null;
      this.#linear = null;
      this.#quadratic = null;
      this.params = this.mlp.params;
      return;
    }
    // Seeds apart from the per-point MLP's (seed + 7919 (i + 1) for its layers i).
    const seed = (i: number) =>
      options.seed === undefined ? undefined : (options.seed + 104729 * (i + 1)) >>> 0;
    this.#rigid = this.poseMap !== "mlp" && this.poseMap !== "linear+mlp" ? null : [
      new Linear(`${name}.rigid.l0`, condDim, width, { seed: seed(0) }),
      new Linear(`${name}.rigid.out`, width, 6, { init: "zeros", seed: seed(1) }),
    ];
    this.#linear = this.poseMap === "mlp"
      ? null
      : new Linear(`${name}.rigid.lin`, poseDim, 6, { init: "zeros", seed: seed(2) });
    this.#quadratic = this.poseMap === "quadratic"
      ? new Linear(`${name}.rigid.quad`, (poseDim * (poseDim + 1)) / 2, 6, {
        init: "zeros",
        bias: false,
        seed: seed(3),
      })
      : null;
    const params = new Map(this.mlp.params);
    if (this.#gateMlp) { for (const [k, v] of this.#gateMlp.params) params.set(k, v); }
    const layers = [...(this.#rigid ?? []), this.#linear, this.#quadratic];
    for (const layer of layers) {
      if (!layer) continue;
      for (const [k, v] of layer.params) params.set(k, v);
    }
    this.params = params;
  }

  /**
   * The frame's rigid motion ("rigid" only): omega (axis-angle, radians) and tau (translation, in the
   * normalised box), from the pose code alone.
   * @param pose Pose code, [k, P] (k = 1: one frame).
   * @returns `[omega, tau]`, each [k, 3]; both 0 at initialisation.
   */
  rigidMotion(pose: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    if (this.motion !== "rigid") {
      throw new Error(`${this.name}: rigidMotion needs motion "rigid": got "${this.motion}"`);
    }
    this.#checkPose(pose);
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.#rigid) {
        const [hidden, out] = this.#rigid;
        parts.push(out.apply(tf.relu(hidden.apply(positionalEncoding(pose, this.poseFreqs)))));
      }
      if (this.#linear) parts.push(this.#linear.apply(pose));
      if (this.#quadratic) parts.push(this.#quadratic.apply(poseProducts(pose)));
      const y = parts.length === 1 ? parts[0] : tf.addN(parts) as tf.Tensor2D;
      return tf.split(y, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    });
  }

  /**
   * The offset of each sample point.
   * @param xyz Sample points, [n, 3], in the normalised scene box (about [-1, 1]^3); may carry gradient.
   * @param pose Pose code of the frame, [1, P] (or one per point, [n, P]).
   * @returns dx, [n, 3].
   */
  apply(xyz: tf.Tensor2D, pose: tf.Tensor2D): tf.Tensor2D {
    this.#checkXyz(xyz);
    this.#checkPose(pose);
    return tf.tidy(() => this.#parts(positionalEncoding(xyz, this.posFreqs), pose, xyz).dx);
  }

  #checkXyz(xyz: tf.Tensor2D): void {
    if (xyz.rank !== 2 || xyz.shape[1] !== 3) {
      throw new Error(`${this.name}: xyz must be [n, 3]: got [${xyz.shape}]`);
    }
  }

  #checkPose(pose: tf.Tensor2D): void {
    if (pose.rank !== 2 || pose.shape[1] !== this.poseDim) {
      throw new Error(`${this.name}: pose must be [1, ${this.poseDim}]: got [${pose.shape}]`);
    }
  }

  /** dx and, for "rigid", its free residual e. Call inside tf.tidy. */
  #parts(
    encodedXyz: tf.Tensor2D,
    pose: tf.Tensor2D,
    xyz: tf.Tensor2D | undefined,
  ): { dx: tf.Tensor2D; residual?: tf.Tensor2D; gate?: tf.Tensor1D } {
    const y = this.mlp.apply(encodedXyz, positionalEncoding(pose, this.poseFreqs));
    if (this.motion !== "rigid") return { dx: y };
    if (!xyz) {
      throw new Error(`${this.name}: motion "rigid" needs the points themselves (xyz), not only PE(x)`);
    }
    this.#checkXyz(xyz);
    if (xyz.shape[0] !== encodedXyz.shape[0]) {
      throw new Error(
        `${this.name}: xyz must have one row per encoded point (${encodedXyz.shape[0]}): got [${xyz.shape}]`,
      );
    }
    const [omega, tau] = this.rigidMotion(pose);
    let rigid: tf.Tensor2D;
    if (this.motionFrame === "camera") {
      // The point where the camera sees it (head at rest), y = R_p x + k t_p, then the learned motion:
      // R y + tau - x = ((R - I) y + tau) + (y - x).
      const [rot, trans] = cameraPlacement(pose, this.transToBox);
      const n = xyz.shape[0];
      const placed = pose.shape[0] === 1
        ? tf.add(matMulT(xyz, tf.transpose(tf.reshape(rot, [3, 3])) as tf.Tensor2D), trans)
        : tf.add(tf.sum(tf.mul(rot, tf.reshape(xyz, [n, 1, 3])), 2), trans);
      rigid = tf.add(rigidOffsets(placed as tf.Tensor2D, omega, tau), tf.sub(placed, xyz)) as tf.Tensor2D;
    } else {
      rigid = rigidOffsets(xyz, omega, tau);
    }
    const [logit, residual] = !this.#gateMlp
      ? [selectColumns(y, 0, 1), selectColumns(y, 1, 3)]
      : this.gate === "moved"
      ? [this.#gateMlp.apply(positionalEncoding(tf.add(xyz, rigid) as tf.Tensor2D, this.posFreqs)), y]
      : [this.#gateMlp.apply(encodedXyz), y];
    const gate = tf.sigmoid(logit);
    const dx = tf.add(tf.mul(gate, rigid), residual) as tf.Tensor2D;
    return { dx, residual, gate: tf.reshape(gate, [-1]) as tf.Tensor1D };
  }

  /**
   * The same as {@linkcode apply} for points whose encoding the caller already has: sample points are
   * constants of the graph, so their encoding can be computed in plain JS (`positionalEncodingJs`, several
   * times faster than tf.sin/cos on wasm) and no gradient is lost.
   * @param encodedXyz PE(x) with this field's `posFreqs`, [n, encodedDim(3, posFreqs)].
   * @param pose Pose code of the frame, [1, P].
   * @param xyz The points themselves, [n, 3]: needed by motion "rigid" (the rigid offset depends on x),
   *   unused by "offset".
   */
  applyEncoded(encodedXyz: tf.Tensor2D, pose: tf.Tensor2D, xyz?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.applyEncodedParts(encodedXyz, pose, xyz).dx);
  }

  /**
   * {@linkcode applyEncoded}'s dx together with, for motion "rigid", its free residual e (the part of dx
   * that is not the gated rigid motion) and the per-point gate g. Call inside tf.tidy.
   * @returns `dx`, [n, 3], `residual`, [n, 3], and `gate`, [n] (the last two absent for "offset").
   */
  applyEncodedParts(
    encodedXyz: tf.Tensor2D,
    pose: tf.Tensor2D,
    xyz?: tf.Tensor2D,
  ): { dx: tf.Tensor2D; residual?: tf.Tensor2D; gate?: tf.Tensor1D } {
    const want = encodedDim(3, this.posFreqs);
    if (encodedXyz.rank !== 2 || encodedXyz.shape[1] !== want) {
      throw new Error(`${this.name}: encoded xyz must be [n, ${want}]: got [${encodedXyz.shape}]`);
    }
    return this.#parts(encodedXyz, pose, xyz);
  }

  dispose(): void {
    this.mlp.dispose();
    if (this.#rigid) { for (const layer of this.#rigid) layer.dispose(); }
    this.#linear?.dispose();
    this.#quadratic?.dispose();
    this.#gateMlp?.dispose();
  }
}

/**
 * SSP-NeRF's torso module: a {@linkcode DeformationField3d} moving the sample points, x' = x + w dx, with
 * w the field's torso probability ("parsing") or 1 ("none"), and the penalty mean(w |dx|^2) averaged over
 * the step's passes: on the whole dx (rigid part included), or with `penalize: "residual"` (motion
 * "rigid") on the free residual e alone, mean(w |e|^2), so the frame's rigid motion costs nothing and the
 * penalty pushes the motion out of the residual, which extrapolates to unseen poses worst, into the rigid
 * map of the pose. With `gatePenalty` k > 0 (motion "rigid"), plus k mean(g (1 - g)) over the points'
 * gates: a point should follow the frame's rigid motion fully (torso) or not at all (head), since a gate
 * between the two bends a rigid torso.
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
    const onDevice = points instanceof tf.Tensor;
    // Points computed on the device (GPU importance samples) are encoded there: no readback.
    const { dx, residual, gate } = this.module.applyEncodedParts(
      onDevice
        ? positionalEncoding(points, pf)
        : tf.tensor2d(positionalEncodingJs(points, 3, pf), [m, encodedDim(3, pf)]),
      pose,
      this.module.motion === "rigid" ? (onDevice ? points : tf.tensor2d(points, [m, 3])) : undefined,
    );
    const weights = this.config.weighting === "parsing" ? torsoProbability?.() : undefined;
    // What the penalty sees: the whole offset, or with `penalize: "residual"` its free residual only.
    const offsets = this.config.penalize === "residual" && residual ? residual : dx;
    const applied = weights ? tf.mul(dx, weights.reshape([m, 1])) as tf.Tensor2D : dx;
    return {
      offsets,
      weights,
      applied,
      ...((this.config.gatePenalty ?? 0) > 0 && gate ? { gates: gate } : {}),
    };
  }

  penalty(passes: readonly Pick<PointOffsets, "offsets" | "weights" | "gates">[]): tf.Scalar | undefined {
    if (passes.length === 0) return undefined;
    const k = this.config.gatePenalty ?? 0;
    const penalties = passes.map((p) => {
      const offset = deformationPenalty(p.offsets, p.weights);
      if (!(k > 0 && p.gates)) return offset;
      // mean g (1 - g): 0 where a point follows the frame's motion fully or not at all, 1/4 at g = 1/2.
      return tf.add(offset, tf.mul(tf.mean(tf.mul(p.gates, tf.sub(1, p.gates))), k)) as tf.Scalar;
    });
    return tf.div(tf.addN(penalties), penalties.length) as tf.Scalar;
  }
}
