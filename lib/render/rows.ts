/**
 * The rays of a chunk of pixels and what every way of rendering them shares: casting them, rendering a
 * subset of them at given depths with the whole model (plain arrays in and out), and filling in the rays
 * that an occupancy grid skipped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { raysForPixels } from "../camera/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { gatherPixels, pixelUv } from "./frame.ts";
import type { PassOptions } from "./render_rays.ts";
import { layerBehind, renderModel } from "./render_model.ts";
import type { FrameCodes, FrameRenderSetup } from "./scene_setup.ts";
import { type Reads, readSync } from "./reads.ts";

/** The rays of a chunk of pixels: what every way of rendering them starts from. */
export interface ChunkRays {
  readonly origins: Float32Array;
  readonly dirs: Float32Array;
  /** Background colour behind each ray, [n, 3]. */
  readonly background: Float32Array;
  /** Pixel centres in [-1, 1]^2, [n, 2]. */
  readonly uv: Float32Array;
}

/** The rays through pixels `ids` of the setup's camera at the frame's pose. */
export function chunkRays(setup: FrameRenderSetup, codes: FrameCodes, ids: Int32Array): ChunkRays {
  const { width, height } = setup.intrinsics;
  const { origins, dirs } = raysForPixels(codes.c2w, ids, setup.intrinsics);
  return { origins, dirs, background: gatherPixels(setup.background, ids), uv: pixelUv(ids, width, height) };
}

/** Plain outputs of {@linkcode renderRows}: per row rgb [3], depth, accumulation, class distribution [K]. */
export interface RowValues {
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly acc: Float32Array;
  readonly sem?: Float32Array;
}

/**
 * Renders the rays `rows` of a chunk at depths t ([rows, t.length / rows]) with the whole model
 * (`renderModel`, deterministic), returning plain arrays; tensors are freed.
 * @param front Render only the 3-D layer over nothing (see `ModelRenderInputs.front`).
 */
export function renderRows(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  rays: ChunkRays,
  rows: Int32Array,
  t: Float32Array,
  pass: PassOptions,
  front = false,
): RowValues {
  return readSync(renderRowsReads(model, setup, codes, rays, rows, t, pass, front));
}

/** {@linkcode renderRows} as a {@linkcode Reads} computation (for synchronous or asynchronous reads). */
export function* renderRowsReads(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  rays: ChunkRays,
  rows: Int32Array,
  t: Float32Array,
  pass: PassOptions,
  front = false,
): Reads<RowValues> {
  const out = tf.tidy(() => {
    const r = renderModel(model, {
      batch: {
        n: rows.length,
        origins: gatherPixels(rays.origins, rows, 3),
        dirs: gatherPixels(rays.dirs, rows, 3),
        background: gatherPixels(rays.background, rows, 3),
      },
      uv: gatherPixels(rays.uv, rows, 2),
      tCoarse: t,
      aud: tf.tensor2d(codes.aud, [1, codes.aud.length]),
      pose: tf.tensor2d(codes.pose, [1, codes.pose.length]),
      rng: null,
      pass,
      classes: setup.classes,
      front,
    });
    const main = r.fine ?? r.coarse;
    const o: tf.Tensor[] = [main.rgb, main.depth, main.accumulation];
    if (main.semantics) o.push(main.semantics);
    return o;
  });
  let values: Float32Array[];
  try {
    values = (yield out) as Float32Array[];
  } finally {
    tf.dispose(out);
  }
  return { rgb: values[0], depth: values[1], acc: values[2], sem: values[3] };
}

/**
 * Values of the rays the grid skipped (those not in `sel`): what lies behind the head there (the
 * background, or the torso module's image layer over it), depth = far, and the most likely class of that
 * layer (the torso's where its opacity is over 1/2, else the background's).
 */
export function fillMisses(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  sel: Int32Array,
  out: MissOutputs,
): void {
  readSync(fillMissesReads(model, setup, codes, sel, out));
}

/** The arrays {@linkcode fillMisses} reads (background, uv) and fills (rgb, depth, parsing). */
export interface MissOutputs {
  readonly background: Float32Array;
  readonly uv: Float32Array;
  readonly rgb: Float32Array;
  readonly depth: Float32Array;
  readonly parsing?: Uint8Array;
}

/** {@linkcode fillMisses} as a {@linkcode Reads} computation. */
export function* fillMissesReads(
  model: SspNerfModel,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  sel: Int32Array,
  out: MissOutputs,
): Reads<void> {
  const n = out.depth.length;
  const isHit = new Uint8Array(n);
  for (const r of sel) isHit[r] = 1;
  const miss = Int32Array.from({ length: n - sel.length });
  for (let r = 0, j = 0; r < n; r++) if (!isHit[r]) miss[j++] = r;
  let behind = gatherPixels(out.background, miss, 3);
  let classes: Int32Array | undefined;
  const torsoClass = setup.classes?.torso;
  if (setup.config.architecture === "unified" && model.torso.layerBehind) {
    // Two classes (background 0, torso) are enough for the argmax: the layer has no others.
    const [c, k] = tf.tidy(() => {
      const l = layerBehind(
        model,
        gatherPixels(out.uv, miss, 2),
        tf.tensor2d(codes.pose, [1, codes.pose.length]),
        tf.tensor2d(behind, [miss.length, 3]),
        { numClasses: torsoClass !== undefined ? torsoClass + 1 : 0, torsoClass, backgroundClass: 0 },
      )!;
      return [l.rgb, l.semantics ? tf.argMax(l.semantics, 1) : tf.zeros([miss.length], "int32")];
    });
    try {
      [behind, classes] = (yield [c, k]) as [Float32Array, Int32Array];
    } finally {
      tf.dispose([c, k]);
    }
  }
  for (let j = 0; j < miss.length; j++) {
    const r = miss[j];
    out.rgb.set(behind.subarray(3 * j, 3 * j + 3), 3 * r);
    out.depth[r] = setup.far;
    if (out.parsing) out.parsing[r] = classes ? classes[j] : 0;
  }
}
