/**
 * Evaluation of a scene (a trained model) on dataset frames: render each frame with its own pose and audio,
 * compare with the ground truth over the full frame, the face crop and semantic regions (mouth, torso, the
 * head-torso junction, eyes), and under the head-only protocol (lib/metrics/protocols.ts; mean keys
 * `headOnly_*`).
 * @module
 */
import type { FrameMeta } from "../data/mod.ts";
import { psnr } from "../metrics/psnr.ts";
import { ssim } from "../metrics/ssim.ts";
import type { Crop } from "../metrics/image.ts";
import { ConfusionMatrix } from "../metrics/miou.ts";
import { HEAD_ONLY_PREFIX, type HeadOnlyMetrics, headOnlyMetrics } from "../metrics/protocols.ts";
import { junctionPsnr } from "../metrics/junction.ts";
import { renderFrameSequence } from "../render/render_video.ts";
import type { RenderedFrame } from "../render/frame.ts";
import { datasetFrameAudio, type Scene } from "../render/scene.ts";
import { eyeRegionMask } from "../landmarks/eye.ts";

// The eye box moved beside the other landmark eye measures (the pixel sampler uses it too); re-exported
// here, where evaluation defines its "eyes" region.
export { eyeRegionMask };

/** Regions of the 11-class palette used for region PSNR: mouth = lips + mouth interior; torso = torso + neck. */
export const SSP11_REGIONS: Readonly<Record<string, readonly number[]>> = { mouth: [6, 7], torso: [8, 9] };

/** Metrics of one frame. */
export interface FrameMetrics {
  readonly imgId: number;
  readonly psnr: number;
  readonly ssim: number;
  readonly psnrFace?: number;
  readonly ssimFace?: number;
  /** PSNR over pixels of each semantic region (ground-truth parsing), when available; "junction" (the
   * head-torso seam: neck plus a band around the head's boundary with neck and torso, lib/metrics/junction.ts)
   * when the frame has one (absent, not 0, for a frame without head, neck/torso or seam, so the mean
   * `psnr_junction` is over the frames that have one); and "eyes" (the landmarks' eye box,
   * `eyeRegionMask`) when the dataset has landmarks. */
  readonly regionPsnr: Readonly<Record<string, number>>;
  /** Parsing accuracy of the rendered parsing map, when the model parses. */
  readonly parsingAccuracy?: number;
  /** The head-only protocol's numbers (rendered head over the real frame), when the dataset has parsing. */
  readonly headOnly?: HeadOnlyMetrics;
}

/** Mean metrics over frames plus the per-frame rows. */
export interface EvalResult {
  readonly frames: readonly FrameMetrics[];
  readonly mean: Readonly<Record<string, number>>;
  /** Seconds per rendered frame. */
  readonly secondsPerFrame: number;
  /** Per-class IoU of the rendered parsing over all frames (null: class absent from both), when the
   * model parses. */
  readonly parsingIoU?: readonly (number | null)[];
}

function faceCrop(meta: FrameMeta, width: number, height: number): Crop | undefined {
  if (!meta.faceRect) return undefined;
  const [x, y, w, h] = meta.faceRect.map(Math.round);
  const x0 = Math.max(0, x), y0 = Math.max(0, y);
  const x1 = Math.min(width, x + w), y1 = Math.min(height, y + h);
  return x1 - x0 >= 11 && y1 - y0 >= 11 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : undefined;
}

/**
 * Renders `frames` and measures them against the dataset's images.
 * @param onFrame Called with each rendered frame (e.g. to save it).
 * @param options `workers`: worker threads rendering beside this one (frames equal bit for bit; worth it
 *   from a handful of frames on, as each worker starts its own tfjs); default 0.
 */
export async function evaluateFrames(
  scene: Scene,
  frames: readonly FrameMeta[],
  onFrame?: (meta: FrameMeta, frame: RenderedFrame) => void | Promise<void>,
  options: { readonly workers?: number } = {},
): Promise<EvalResult> {
  const ds = scene.dataset;
  const { width, height } = ds.intrinsics;
  const rows: FrameMetrics[] = [];
  const confusion = ds.has.parsing && ds.numClasses > 0 ? new ConfusionMatrix(ds.numClasses) : undefined;
  const t0 = performance.now();
  const sequence = renderFrameSequence(
    scene,
    frames.length,
    (i) => ({
      c2w: frames[i].c2w,
      audio: datasetFrameAudio(ds, frames[i]),
    }),
    options.workers ?? 0,
  );
  let index = 0;
  for await (const frame of sequence) {
    const meta = frames[index++];
    const gt = { width, height, channels: 3, data: await ds.imageFloat(meta.imgId) };
    const pred = { width, height, channels: 3, data: frame.rgb };
    const crop = faceCrop(meta, width, height);
    const regionPsnr: Record<string, number> = {};
    let parsingAccuracy: number | undefined;
    let headOnly: HeadOnlyMetrics | undefined;
    if (ds.has.parsing) {
      const labels = await ds.parsing(meta.imgId);
      if (ds.palette) {
        headOnly = headOnlyMetrics(pred, gt, labels, ds.palette.name, crop);
        const junction = junctionPsnr(pred, gt, labels, ds.palette.name);
        if (junction !== undefined) regionPsnr.junction = junction;
      }
      if (ds.numClasses === 11) {
        for (const [name, classes] of Object.entries(SSP11_REGIONS)) {
          const mask = Uint8Array.from(labels, (c) => classes.includes(c) ? 1 : 0);
          if (mask.some((m) => m > 0)) regionPsnr[name] = psnr(pred, gt, { mask });
        }
      }
      if (frame.parsing) {
        confusion?.add(frame.parsing, labels);
        let ok = 0;
        for (let i = 0; i < labels.length; i++) if (labels[i] === frame.parsing[i]) ok++;
        parsingAccuracy = ok / labels.length;
      }
    }
    if (ds.has.landmarks) {
      const mask = eyeRegionMask(await ds.landmarks(meta.imgId), width, height);
      if (mask) regionPsnr.eyes = psnr(pred, gt, { mask });
    }
    rows.push({
      imgId: meta.imgId,
      psnr: psnr(pred, gt),
      ssim: ssim(pred, gt),
      psnrFace: crop ? psnr(pred, gt, { crop }) : undefined,
      ssimFace: crop ? ssim(pred, gt, { crop }) : undefined,
      regionPsnr,
      parsingAccuracy,
      headOnly,
    });
    if (onFrame) await onFrame(meta, frame);
  }
  const secondsPerFrame = (performance.now() - t0) / 1000 / Math.max(1, frames.length);
  const mean = meanOf(rows);
  let parsingIoU: (number | null)[] | undefined;
  if (confusion && rows.some((r) => r.parsingAccuracy !== undefined)) {
    const r = confusion.iou();
    parsingIoU = r.perClass;
    mean.parsingMIoU = r.miou;
  }
  return { frames: rows, mean, secondsPerFrame, parsingIoU };
}

function meanOf(rows: readonly FrameMetrics[]): Record<string, number> {
  const sums = new Map<string, [number, number]>();
  const add = (k: string, v: number | undefined) => {
    if (v === undefined || !Number.isFinite(v)) return;
    const s = sums.get(k) ?? [0, 0];
    sums.set(k, [s[0] + v, s[1] + 1]);
  };
  for (const r of rows) {
    add("psnr", r.psnr);
    add("ssim", r.ssim);
    add("psnrFace", r.psnrFace);
    add("ssimFace", r.ssimFace);
    add("parsingAccuracy", r.parsingAccuracy);
    for (const [k, v] of Object.entries(r.regionPsnr)) add(`psnr_${k}`, v);
    for (const [k, v] of Object.entries(r.headOnly ?? {})) add(HEAD_ONLY_PREFIX + k, v);
  }
  return Object.fromEntries([...sums].map(([k, [s, n]]) => [k, s / n]));
}
