/**
 * Rendering a batch of rays with the whole model, whatever its configuration: the unified field (with no
 * torso module, a 3-D deformation of torso points, or a 2-D image-space torso composited behind the
 * head) or AD-NeRF's two fields (head in front of a pose-conditioned torso field). Each 3-D layer runs a
 * coarse pass and, when configured, a fine pass on importance samples from its own coarse weights.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RadianceField } from "../field/mod.ts";
import type { Rng } from "../nn/rng.ts";
import { importanceSamples, mergeSorted } from "../sampling/mod.ts";
import { deformationPenalty } from "../torso/mod.ts";
import {
  type PassDeformation,
  type PassOptions,
  type PassOutputs,
  type RayBatch,
  renderPass,
} from "./render_rays.ts";
import type { SspNerfModel } from "./ssp_model.ts";

/** Per-ray values of a composited image. */
export interface Composite {
  /** [n, 3] in [0, 1]. */
  readonly rgb: tf.Tensor2D;
  /** Class distribution, [n, K], when the model parses. */
  readonly semantics?: tf.Tensor2D;
  /** Opacity of the head/unified layer, [n]. */
  readonly accumulation: tf.Tensor1D;
  /** Expected depth of the head/unified layer, [n]. */
  readonly depth: tf.Tensor1D;
  /** Rendering weights of the head/unified layer's samples, [n, k]. */
  readonly weights: tf.Tensor2D;
}

/** Inputs of {@linkcode renderModel} besides the model. */
export interface ModelRenderInputs {
  readonly batch: RayBatch;
  /** Pixel centres in [-1, 1]^2 per ray, [n, 2] (for the 2-D torso). */
  readonly uv: Float32Array;
  /** Coarse sample depths, [n, kc]. */
  readonly tCoarse: Float32Array;
  /** Audio code of the frame, [1, A]. */
  readonly aud: tf.Tensor2D;
  /** Pose code of the frame, [1, P]. */
  readonly pose: tf.Tensor2D;
  /** Jitter for importance sampling; null = deterministic (evaluation). */
  readonly rng: Rng | null;
  /** Encoding options shared by the passes (the background mode is the config's). */
  readonly pass: PassOptions;
  /** Parsing palette's torso class and torso-like classes (neck, torso), when the data has parsing. */
  readonly classes?: { readonly torso: number; readonly torsoLike: readonly number[] };
  /** Render only the 3-D layer over nothing (background "none": premultiplied colour, class distribution
   * and depth, and its opacity), without the background or the image-space torso behind it: the front
   * part of rays whose samples are rendered in consecutive ranges (early ray termination), where
   * C = C_front + (1 - A_front) C_rest. Only for the unified field without importance samples (AD-NeRF's
   * two fields composite whole layers, and importance samples need the whole ray's weights).
   * @default {false} */
  readonly front?: boolean;
}

/** What {@linkcode renderModel} returns. */
export interface ModelRenderOutputs {
  readonly coarse: Composite;
  /** The fine passes' composite, when the config has importance samples. */
  readonly fine?: Composite;
  /** Torso deformation penalty (mean weighted |dx|^2 over the passes), when a 3-D deformation ran. */
  readonly penalty?: tf.Scalar;
}

interface LayerOutputs {
  readonly coarse: PassOutputs;
  readonly fine?: PassOutputs;
}

function renderLayer(
  coarseField: RadianceField,
  fineField: RadianceField,
  inputs: ModelRenderInputs,
  kf: number,
  cond: { code?: tf.Tensor2D; deform?: PassDeformation },
  pass: PassOptions,
): LayerOutputs {
  const { batch, tCoarse } = inputs;
  const n = batch.n, kc = tCoarse.length / n;
  const coarse = renderPass(coarseField, batch, tCoarse, kc, cond, pass);
  if (kf <= 0) return { coarse };
  const w = coarse.weights.dataSync() as Float32Array;
  const tAll = mergeSorted(tCoarse, importanceSamples(tCoarse, w, n, kf, inputs.rng), n, kc, kf);
  return { coarse, fine: renderPass(fineField, batch, tAll, kc + kf, cond, pass) };
}

function asComposite(p: PassOutputs): Composite {
  return {
    rgb: p.rgb,
    semantics: p.semantics,
    accumulation: p.accumulation,
    depth: p.depth,
    weights: p.weights,
  };
}

/** head over (something behind it): c = head + (1 - acc_head) behind, for colours and class distributions. */
function over(head: PassOutputs, behind: { rgb: tf.Tensor2D; semantics?: tf.Tensor2D }): Composite {
  const t = tf.sub(1, head.accumulation).expandDims(1);
  return {
    rgb: tf.add(head.rgb, tf.mul(t, behind.rgb)) as tf.Tensor2D,
    semantics: head.semantics && behind.semantics
      ? tf.add(head.semantics, tf.mul(t, behind.semantics)) as tf.Tensor2D
      : undefined,
    accumulation: head.accumulation,
    depth: head.depth,
    weights: head.weights,
  };
}

/**
 * Renders rays with every part of the model the config turns on. Call inside tf.tidy (or a gradient
 * tape); the outputs are ordinary tensors of that scope.
 */
export function renderModel(model: SspNerfModel, inputs: ModelRenderInputs): ModelRenderOutputs {
  const config = model.config;
  const kf = config.points.numFine;
  const n = inputs.batch.n;
  const bgMode = config.background.mode;
  const numClasses = model.coarse.dims.numClasses;
  const bgTensor = () => tf.tensor2d(inputs.batch.background, [n, 3]);
  const front = inputs.front ?? false;
  if (front && (config.architecture === "twoNerf" || kf > 0)) {
    throw new Error(
      "renderModel: front-only rendering needs the unified field without importance samples: got " +
        `architecture ${config.architecture}, points.numFine ${kf}`,
    );
  }
  const layerBg = front ? "none" : bgMode;
  if (config.architecture === "twoNerf") {
    const torsoField = model.torsoField!;
    const head = renderLayer(model.coarse, model.fineField, inputs, kf, { code: inputs.aud }, {
      ...inputs.pass,
      background: "none",
    });
    const torsoCode = tf.concat([inputs.aud, inputs.pose], 1);
    const torso = renderLayer(torsoField, torsoField, inputs, kf, { code: torsoCode }, {
      ...inputs.pass,
      background: bgMode,
    });
    return {
      coarse: over(head.coarse, torso.coarse),
      fine: head.fine && torso.fine ? over(head.fine, torso.fine) : undefined,
    };
  }
  const torso = model.torso;
  switch (torso.kind) {
    case "none": {
      const l = renderLayer(model.coarse, model.fineField, inputs, kf, { code: inputs.aud }, {
        ...inputs.pass,
        background: layerBg,
      });
      return { coarse: asComposite(l.coarse), fine: l.fine && asComposite(l.fine) };
    }
    case "deform3d": {
      const deform: PassDeformation = {
        module: torso.module,
        pose: inputs.pose,
        weighting: numClasses > 0 && inputs.classes ? torso.config.weighting : "none",
        torsoClasses: inputs.classes?.torsoLike ?? [],
      };
      const l = renderLayer(model.coarse, model.fineField, inputs, kf, { code: inputs.aud, deform }, {
        ...inputs.pass,
        background: layerBg,
      });
      const passes = [l.coarse, l.fine].filter((p): p is PassOutputs => !!p && !!p.offsets);
      const penalties = passes.map((p) => deformationPenalty(p.offsets!, p.offsetWeights));
      const penalty = penalties.length
        ? tf.div(tf.addN(penalties), penalties.length) as tf.Scalar
        : undefined;
      return { coarse: asComposite(l.coarse), fine: l.fine && asComposite(l.fine), penalty };
    }
    case "image2d": {
      const head = renderLayer(model.coarse, model.fineField, inputs, kf, { code: inputs.aud }, {
        ...inputs.pass,
        background: "none",
      });
      if (front) return { coarse: asComposite(head.coarse) };
      const t = torso.module.apply(tf.tensor2d(inputs.uv, [n, 2]), inputs.pose);
      const a = t.alpha.expandDims(1);
      const bg = bgTensor();
      const behindRgb = tf.add(tf.mul(a, t.rgb), tf.mul(tf.sub(1, a), bg)) as tf.Tensor2D;
      let behindSem: tf.Tensor2D | undefined;
      if (numClasses > 0 && inputs.classes) {
        const cls = (c: number) => tf.oneHot(tf.fill([n], c, "int32"), numClasses) as tf.Tensor2D;
        const bgClass = inputs.pass.backgroundClass ?? 0;
        behindSem = tf.add(tf.mul(a, cls(inputs.classes.torso)), tf.mul(tf.sub(1, a), cls(bgClass)));
      }
      const behind = { rgb: behindRgb, semantics: behindSem };
      return { coarse: over(head.coarse, behind), fine: head.fine && over(head.fine, behind) };
    }
  }
}
