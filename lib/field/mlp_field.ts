/**
 * AD-NeRF's audio-conditioned radiance field, with SSP-NeRF's parsing head.
 *
 * Trunk: `depth` dense layers of `width` (ReLU). The encoded position PE(x) and the audio code a are
 * concatenated at the input and again at every skip layer (AD-NeRF: 8 x 256, skip at 4, a in R^64).
 * Heads: density from the trunk (softplus with a -1 shift, as mip-NeRF, instead of NeRF's ReLU: it
 * never gets stuck at zero gradient on a small CPU-sized net); a feature layer that, with PE(d) when
 * `viewDirs` is on, feeds a colour layer of `colorWidth` and a sigmoid RGB head; and, when the parsing
 * branch is on, K semantic logits from the same feature (view-independent, as labels are).
 *
 * A concat [PE(x), a] @ W is computed as PE(x) @ W_x + a @ W_a. The two are equal, and when every ray of
 * a batch shares one audio code (one training frame per step, as AD-NeRF) `a` is [1, A] and its product
 * is one row broadcast over all points instead of n identical rows.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { addRows, Linear, type Module } from "../nn/mod.ts";
import type { MlpFieldConfig } from "../config/config.ts";

/** Sizes of a field's inputs and outputs that come from the data, not the config. */
export interface FieldDims {
  /** Width of the encoded position, e.g. 3 (1 + 2 * posFreqs); 0 for fields that read raw xyz only. */
  readonly posDim: number;
  /** Width of the encoded view direction (0 without view dependence). */
  readonly dirDim: number;
  /** Width of the audio code (0 for an audio-free field, e.g. a torso field conditioned on pose only). */
  readonly audDim: number;
  /** Number of parsing classes (0 = no parsing head). */
  readonly numClasses: number;
  /** Width of the pose code the colour head reads (0 or absent: none; tri-plane fields only). */
  readonly poseDim?: number;
}

/** What a field is queried with. Rows are sample points. */
export interface FieldInputs {
  /** Raw positions in the canonical space, [n, 3] (grid backbones look these up). */
  readonly xyz: tf.Tensor2D;
  /** Encoded positions, [n, posDim] (coordinate MLPs read these); absent when posDim is 0. */
  readonly pos?: tf.Tensor2D;
  /** Encoded view directions, [n, dirDim]; unused when dirDim is 0. */
  readonly dir?: tf.Tensor2D;
  /** Conditioning code, [1, audDim] (shared by all points) or [n, audDim]. */
  readonly aud?: tf.Tensor2D;
  /** The frame's pose code, [1, poseDim], when dims.poseDim > 0. */
  readonly pose?: tf.Tensor2D;
}

/** Field outputs, keyed by the vocabulary shared with the renderer and the losses. */
export interface FieldOutputs {
  /** Density >= 0, [n]. */
  readonly sigma: tf.Tensor1D;
  /** Colour in (0, 1), [n, 3]. */
  readonly rgb: tf.Tensor2D;
  /** Parsing logits, [n, K]; present when the field has a parsing head. */
  readonly semanticLogits?: tf.Tensor2D;
}

/** Anything that maps encoded points (and a code) to density, colour and optional parsing logits. */
export interface RadianceField extends Module {
  readonly dims: FieldDims;
  apply(inputs: FieldInputs): FieldOutputs;
}

/** The MLP field. Construct with {@linkcode createMlpField}. */
export class MlpField implements RadianceField {
  readonly params: Map<string, tf.Variable>;
  private readonly trunkX: (Linear | null)[] = [];
  private readonly trunkA: (Linear | null)[] = [];
  private readonly trunkH: (Linear | null)[] = [];
  private readonly sigmaHead: Linear;
  private readonly feature: Linear;
  private readonly colorF: Linear;
  private readonly colorD: Linear | null;
  private readonly rgbHead: Linear;
  private readonly semHead: Linear | null;

  constructor(
    readonly name: string,
    readonly config: MlpFieldConfig,
    readonly dims: FieldDims,
    seed: number,
  ) {
    const { depth, width, skips, colorWidth } = config;
    let s = seed;
    const lin = (n: string, i: number, o: number, bias = true, init: "he" | "glorot" = "he") =>
      new Linear(`${name}.${n}`, i, o, { bias, init, seed: s++ });
    for (let l = 0; l < depth; l++) {
      const takesInput = l === 0 || skips.includes(l);
      this.trunkH.push(l === 0 ? null : lin(`l${l}.h`, width, width));
      this.trunkX.push(takesInput ? lin(`l${l}.x`, dims.posDim, width, l === 0) : null);
      this.trunkA.push(takesInput && dims.audDim > 0 ? lin(`l${l}.aud`, dims.audDim, width, false) : null);
    }
    this.sigmaHead = lin("sigma", width, 1, true, "glorot");
    this.feature = lin("feature", width, width, true, "glorot");
    this.colorF = lin("color.f", width, colorWidth);
    this.colorD = dims.dirDim > 0 ? lin("color.dir", dims.dirDim, colorWidth, false) : null;
    this.rgbHead = lin("rgb", colorWidth, 3, true, "glorot");
    this.semHead = dims.numClasses > 0 ? lin("semantic", width, dims.numClasses, true, "glorot") : null;
    const all = [
      ...this.trunkX,
      ...this.trunkA,
      ...this.trunkH,
      this.sigmaHead,
      this.feature,
      this.colorF,
      this.colorD,
      this.rgbHead,
      this.semHead,
    ].filter((m): m is Linear => m !== null && m !== undefined);
    this.params = new Map(all.flatMap((m) => [...m.params]));
  }

  apply(inputs: FieldInputs): FieldOutputs {
    const { pos, dir, aud } = inputs;
    if (!pos || pos.shape[1] !== this.dims.posDim) {
      throw new Error(
        `${this.name}: encoded positions must be [n, ${this.dims.posDim}]: got ${
          pos ? `[${pos.shape}]` : "none"
        }`,
      );
    }
    if (this.dims.audDim > 0 && (!aud || aud.shape[1] !== this.dims.audDim)) {
      throw new Error(
        `${this.name}: audio code must be [1 or n, ${this.dims.audDim}]: got ${
          aud ? `[${aud.shape}]` : "none"
        }`,
      );
    }
    return tf.tidy(() => {
      let h: tf.Tensor2D | null = null;
      for (let l = 0; l < this.config.depth; l++) {
        let z: tf.Tensor2D | null = h ? this.trunkH[l]!.apply(h) : null;
        const lx = this.trunkX[l];
        if (lx) {
          const zx = lx.apply(pos);
          z = z ? tf.add(z, zx) : zx;
          const la = this.trunkA[l];
          if (la && aud) z = addRows(z, la.apply(aud));
        }
        h = tf.relu(z!);
      }
      const trunk = h!;
      const sigma = tf.softplus(tf.sub(this.sigmaHead.apply(trunk), 1)).reshape([-1]) as tf.Tensor1D;
      const feat = this.feature.apply(trunk);
      let c = this.colorF.apply(feat);
      if (this.colorD && dir) c = tf.add(c, this.colorD.apply(dir));
      const rgb = tf.sigmoid(this.rgbHead.apply(tf.relu(c)));
      const out: FieldOutputs = this.semHead
        ? { sigma, rgb, semanticLogits: this.semHead.apply(feat) }
        : { sigma, rgb };
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as FieldOutputs;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
