/**
 * The SSP-NeRF model as one object: the audio encoder (AudioNet, optional AudioAttNet smoothing) and the
 * coarse and fine radiance fields, with every parameter under one name map (the checkpoint keys).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SspNerfConfig } from "../config/config.ts";
import { createField, type RadianceField } from "../field/mod.ts";
import { encodedDim } from "../encoding/mod.ts";
import { collectParams, type Module } from "../nn/mod.ts";
import { AudioAttNet, AudioNet } from "../audio/mod.ts";
import {
  createPoseEncoder,
  createTorso,
  EULER_POSE,
  type PoseEncoder,
  type PoseEncoderContext,
  type Torso,
} from "../torso/mod.ts";
import { encodeEye, EYE_OFF, eyeCodeDim } from "./eye_code.ts";

/** Sizes the model takes from the dataset. */
export interface ModelDims {
  /** Width D of the audio features [N, 16, D]. */
  readonly audioFeatureDim: number;
  /** Parsing classes of the dataset (0 when it has no parsing maps). */
  readonly numClasses: number;
}

/**
 * Audio encoder, coarse field, optional separate fine field, pose encoder, torso module, and AD-NeRF's
 * torso field.
 */
export class SspNerfModel implements Module {
  readonly audioNet: AudioNet;
  readonly audioAtt: AudioAttNet | null;
  readonly coarse: RadianceField;
  readonly fine: RadianceField | null;
  /** The torso module of the unified field ("none" for the two-NeRF architecture). */
  readonly torso: Torso;
  /** What the torso (or AD-NeRF's torso field) is conditioned on: the frame's pose code. */
  readonly poseEncoder: PoseEncoder;
  /** AD-NeRF's separate torso field (two-NeRF architecture only), conditioned on [audio code, pose code]. */
  readonly torsoField: RadianceField | null;
  /** Width of the eye code appended to the audio code (0 without eye conditioning). */
  readonly eyeDim: number;
  /** Width of the code the fields read: dimAud + eyeDim. */
  readonly codeDim: number;
  readonly params: Map<string, tf.Variable>;

  /**
   * @param config The configuration.
   * @param dims Sizes taken from the dataset.
   * @param scene What the pose encoder takes from the scene (see `PoseEncoderContext`).
   */
  constructor(readonly config: SspNerfConfig, readonly dims: ModelDims, scene: PoseEncoderContext = {}) {
    const seed = config.train.seed * 1000;
    const a = config.audio;
    this.audioNet = new AudioNet("audionet", dims.audioFeatureDim, {
      dimAud: a.dimAud,
      convChannels: a.convChannels,
      seed: seed + 1,
    });
    this.audioAtt = a.smoothing.enabled
      ? new AudioAttNet("audioatt", a.dimAud, { seqLen: a.smoothing.seqLen, seed: seed + 2 })
      : null;
    const f = config.field;
    this.eyeDim = eyeCodeDim(config.eye);
    this.codeDim = a.dimAud + this.eyeDim;
    this.poseEncoder = createPoseEncoder(config.pose ?? EULER_POSE, scene, { seed: seed + 500 });
    const poseDim = this.poseEncoder.dim;
    const fieldDims = {
      posDim: f.kind === "mlp" ? encodedDim(3, f.posFreqs) : 0,
      dirDim: f.viewDirs ? encodedDim(3, f.dirFreqs) : 0,
      audDim: this.codeDim,
      numClasses: config.parsing.enabled ? dims.numClasses : 0,
      ...(f.kind === "triplane" && f.poseColor && { poseDim }),
    };
    this.coarse = createField("coarse", f, fieldDims, seed + 100);
    this.fine = f.separateFine && config.points.numFine > 0
      ? createField("fine", f, fieldDims, seed + 200)
      : null;
    const twoNerf = config.architecture === "twoNerf";
    // The Euler code's translation t / s in box units (t / radius): x s / radius.
    const transToBox = scene.poseNorm && scene.sceneRadius
      ? scene.poseNorm.transScale / scene.sceneRadius
      : undefined;
    this.torso = createTorso(twoNerf ? { kind: "none" } : config.torso, poseDim, {
      seed: seed + 300,
      transToBox,
    });
    this.torsoField = twoNerf
      ? createField("torso", f, { ...fieldDims, audDim: this.codeDim + poseDim, poseDim: 0 }, seed + 400)
      : null;
    const modules: Module[] = [this.audioNet, this.coarse];
    if (this.audioAtt) modules.push(this.audioAtt);
    if (this.fine) modules.push(this.fine);
    if (this.torso.module) modules.push(this.torso.module);
    if (this.torsoField) modules.push(this.torsoField);
    if (this.poseEncoder.module) modules.push(this.poseEncoder.module);
    this.params = collectParams(...modules);
  }

  /** Learning-rate multipliers of grid parameters (triplane tables learn at gridLrScale x lr). */
  lrScales(): Map<string, number> {
    const f = this.config.field;
    const out = new Map<string, number>();
    if (f.kind !== "triplane") return out;
    for (const field of [this.coarse, this.fine, this.torsoField]) {
      const grid = field && (field as { gridParams?: () => readonly string[] }).gridParams;
      if (grid) { for (const name of grid.call(field)) out.set(name, f.gridLrScale); }
    }
    return out;
  }

  /** The field of the fine pass (the coarse one when fields are shared). */
  get fineField(): RadianceField {
    return this.fine ?? this.coarse;
  }

  /**
   * Audio code of one frame, [1, dimAud].
   * @param windows Feature windows [S, 16, D]: S = 1 (the frame) or seqLen (its neighbours, centred)
   *   when smoothing is on.
   * @param smooth Whether to apply the attention smoothing over the S codes.
   */
  encodeAudio(windows: tf.Tensor3D, smooth: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const codes = this.audioNet.apply(windows) as tf.Tensor2D; // [S, A]
      if (!smooth || !this.audioAtt) {
        const mid = Math.floor(codes.shape[0] / 2);
        return codes.slice([mid, 0], [1, codes.shape[1]]);
      }
      return this.audioAtt.apply(codes).reshape([1, codes.shape[1]]) as tf.Tensor2D;
    });
  }

  /**
   * The code the fields read for one frame, [1, codeDim]: the audio code (`encodeAudio`), followed, with
   * eye conditioning (`config.eye.enabled`), by the eye code of the frame's eye openness (`encodeEye`).
   * Without eye conditioning it is `encodeAudio(windows, smooth)` and `eye` is ignored.
   * @param windows Feature windows [S, 16, D] (see `encodeAudio`).
   * @param smooth Whether to apply the attention smoothing.
   * @param eye The frame's eye openness in [0, 1] (`FrameMeta.eye`); required with eye conditioning.
   * @throws With eye conditioning, when `eye` is missing or outside [0, 1].
   */
  frameCode(windows: tf.Tensor3D, smooth: boolean, eye: number | undefined): tf.Tensor2D {
    const e = this.config.eye ?? EYE_OFF;
    if (!e.enabled) return this.encodeAudio(windows, smooth);
    if (eye === undefined) {
      throw new Error(
        `model "${this.config.name}" is conditioned on the eye openness (eye.enabled): the frame has none`,
      );
    }
    const code = encodeEye(e, eye, `model "${this.config.name}"`);
    return tf.tidy(() =>
      tf.concat([this.encodeAudio(windows, smooth), tf.tensor2d(code, [1, code.length])], 1) as tf.Tensor2D
    );
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
