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
import { type Layer, over, premultiply } from "./composite.ts";
import { importanceSamplesTensor, mergeSortedTensor, withoutGradient } from "./importance_tensor.ts";
import {
  type PassConditioning,
  type PassDeformation,
  type PassOptions,
  type PassOutputs,
  type RayBatch,
  renderPass,
} from "./render_rays.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";

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
  /** Draw the fine depths with tensor ops on the device (`importanceSamplesTensor`) instead of reading
   * the coarse weights back for the JS sampler: needed on a GPU backend, where Deno cannot read a tensor
   * synchronously; equal to float precision. @default {true on the webgpu backend} */
  readonly deviceSampling?: boolean;
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
  cond: PassConditioning,
  pass: PassOptions,
): LayerOutputs {
  const { batch, tCoarse } = inputs;
  const n = batch.n, kc = tCoarse.length / n;
  const coarse = renderPass(coarseField, batch, tCoarse, kc, cond, pass);
  if (kf <= 0) return { coarse };
  if (inputs.deviceSampling ?? tf.getBackend() === "webgpu") {
    // The coarse weights stay on the device: a GPU backend cannot read them synchronously.
    // The depths carry no gradient (as the JS path's fresh arrays): computed off the tape, since the
    // merge's topk has no gradient in tfjs.
    const tc = tf.tensor2d(tCoarse, [n, kc]);
    const tAll = withoutGradient(
      () => mergeSortedTensor(tc, importanceSamplesTensor(tc, coarse.weights, kf, inputs.rng)),
      coarse.weights,
    );
    return { coarse, fine: renderPass(fineField, batch, tAll, kc + kf, cond, pass) };
  }
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

/** The head layer (a pass with background "none") over what lies behind it (`over`). */
function headOver(head: PassOutputs, behind: Layer): Composite {
  const c = over({ rgb: head.rgb, semantics: head.semantics, alpha: head.accumulation }, behind);
  return {
    rgb: c.rgb,
    semantics: c.semantics,
    accumulation: head.accumulation,
    depth: head.depth,
    weights: head.weights,
  };
}

/**
 * Renders rays with every part of the model the config turns on. Call inside tf.tidy (or a gradient
 * tape); the outputs are ordinary tensors of that scope. The torso module is called through its
 * interface: its point deformation in the passes, its image layer behind the head, its penalty.
 */
export function renderModel(model: SspNerfModel, inputs: ModelRenderInputs): ModelRenderOutputs {
  const config = model.config;
  const kf = config.points.numFine;
  const n = inputs.batch.n;
  const bgMode = config.background.mode;
  const numClasses = model.coarse.dims.numClasses;
  const front = inputs.front ?? false;
  if (front && (config.architecture === "twoNerf" || kf > 0)) {
    throw new Error(
      "renderModel: front-only rendering needs the unified field without importance samples: got " +
        `architecture ${config.architecture}, points.numFine ${kf}`,
    );
  }
  if (config.architecture === "twoNerf") {
    const torsoField = model.torsoField!;
    const head = renderLayer(model.coarse, model.fineField, inputs, kf, {
      code: inputs.aud,
      pose: inputs.pose,
    }, {
      ...inputs.pass,
      background: "none",
    });
    const torsoCode = tf.concat([inputs.aud, inputs.pose], 1);
    const torso = renderLayer(torsoField, torsoField, inputs, kf, { code: torsoCode }, {
      ...inputs.pass,
      background: bgMode,
    });
    return {
      coarse: headOver(head.coarse, torso.coarse),
      fine: head.fine && torso.fine ? headOver(head.fine, torso.fine) : undefined,
    };
  }
  const torso = model.torso;
  const deform: PassDeformation | undefined = torso.deformPoints
    ? {
      torso,
      pose: inputs.pose,
      torsoClasses: numClasses > 0 && inputs.classes ? inputs.classes.torsoLike : [],
    }
    : undefined;
  // A layer behind the head (image-space torso) takes the background's place behind the 3-D layer.
  const hasLayerBehind = torso.layerBehind !== undefined;
  const l = renderLayer(model.coarse, model.fineField, inputs, kf, {
    code: inputs.aud,
    deform,
    pose: inputs.pose,
  }, {
    ...inputs.pass,
    background: front || hasLayerBehind ? "none" : bgMode,
  });
  const passes = [l.coarse, l.fine].filter((p): p is PassOutputs => !!p && !!p.offsets);
  const penalty = torso.penalty?.(
    passes.map((p) => ({ offsets: p.offsets!, weights: p.offsetWeights, gates: p.offsetGates })),
  );
  if (!hasLayerBehind || front) {
    return { coarse: asComposite(l.coarse), fine: l.fine && asComposite(l.fine), penalty };
  }
  const behind = layerBehind(model, inputs.uv, inputs.pose, tf.tensor2d(inputs.batch.background, [n, 3]), {
    numClasses: inputs.classes ? numClasses : 0,
    torsoClass: inputs.classes?.torso,
    backgroundClass: inputs.pass.backgroundClass ?? 0,
  })!;
  return { coarse: headOver(l.coarse, behind), fine: l.fine && headOver(l.fine, behind), penalty };
}

/**
 * What lies behind the head at pixels `uv`: the torso module's image layer over the background (colours,
 * and the class distribution torso-over-background when `numClasses` > 0), or undefined when the module
 * has no image layer. Call inside tf.tidy.
 * @param model The model (its torso module).
 * @param uv Pixel centres in [-1, 1]^2, [n, 2].
 * @param pose The frame's pose code, [1, P].
 * @param background Background colours, [n, 3].
 * @param classes Number of classes, the torso's and the background's class ids.
 */
export function layerBehind(
  model: SspNerfModel,
  uv: Float32Array,
  pose: tf.Tensor2D,
  background: tf.Tensor2D,
  classes: { readonly numClasses: number; readonly torsoClass?: number; readonly backgroundClass: number },
): Layer | undefined {
  const torso = model.torso;
  if (!torso.layerBehind) return undefined;
  const n = uv.length / 2;
  const t = torso.layerBehind(tf.tensor2d(uv, [n, 2]), pose);
  const { numClasses, torsoClass, backgroundClass } = classes;
  const cls = (c: number) => tf.oneHot(tf.fill([n], c, "int32"), numClasses) as tf.Tensor2D;
  const semantics = numClasses > 0 && torsoClass !== undefined;
  return over(premultiply(t.rgb, t.alpha, semantics ? cls(torsoClass) : undefined), {
    rgb: background,
    semantics: semantics ? cls(backgroundClass) : undefined,
  });
}
