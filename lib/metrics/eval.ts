/**
 * Evaluation of a generated talking-portrait clip against its ground truth, for any method's output
 * (this toolkit's or another repository's): frames matched by index, every metric of the field that can
 * be computed here, and the ground truth's own value beside the generated one wherever a metric needs no
 * reference (sharpness, lip sync), so a reader sees what the real video scores.
 *
 * Rows: the prediction and the ground truth. Columns: PSNR (capped at 100 dB, capped frames counted),
 * SSIM (Wang 2004), both optionally on the face crop too, LMD and its all-68-point variant (face-api),
 * LPIPS (AlexNet, or "unavailable (no weights)"), CPBD, LA-Sync (always) and SS-Sync (with a model)
 * offset / confidence / min distance, and the frames where face-api found no face.
 * @module
 */
import type { Image } from "../io/types.ts";
import { resizeImage, writeFileAtomic } from "../io/mod.ts";
import { createLandmarkDetector, type FaceLandmarks, type LandmarkDetector } from "../landmarks/detector.ts";
import { lmdMetric, lmdOverFrames } from "../landmarks/lmd.ts";
import type { Crop } from "./image.ts";
import { meanPsnr, psnr } from "./psnr.ts";
import { ssim } from "./ssim.ts";
import { cpbd } from "./cpbd.ts";
import { METRIC_NAMES, type MetricResult, type MetricTable, metricTable, psnrMetric } from "./report.ts";
import { lpipsMetric, type LpipsModel, meanLpips } from "./lpips.ts";
import { laSync } from "./sync_landmark.ts";
import { LA_SYNC_NAME, SS_SYNC_NAME, syncMetrics, type SyncScore } from "./sync_offsets.ts";
import { ssSync, type SsSyncNet } from "./sync_net.ts";
import { type SsSyncTrainOptions, type SsSyncTrainResult, trainSsSync } from "./sync_net_train.ts";
import type { EvalClip } from "./eval_frames.ts";

/** Options of {@linkcode evaluateClips}. */
export interface EvalOptions {
  /** Audio (mono 16 kHz) for both clips, e.g. the driving audio; default: each clip's own track. */
  readonly audio?: Float32Array | null;
  /** Also compute PSNR and SSIM inside the ground truth's face box, per frame. @default {false} */
  readonly faceCrop?: boolean;
  /** Resize predicted frames to the ground truth's size (area / bilinear) instead of failing.
   * @default {false} */
  readonly resize?: boolean;
  /** Landmark detector to use; default: face-api's tiny detector, input size from the frame size. */
  readonly detector?: LandmarkDetector;
  /** A trained SS-Sync model (sync_net.ts); scores both clips. */
  readonly syncModel?: SsSyncNet | null;
  /** Without `syncModel`: train one on the ground-truth clip first (true, or training options). */
  readonly trainSync?: boolean | SsSyncTrainOptions;
  /** LPIPS network (lpips.ts `loadLpips`); without it LPIPS is reported as unavailable. */
  readonly lpipsModel?: LpipsModel | null;
  /** Progress messages. @default {none} */
  readonly log?: (message: string) => void;
}

/** Everything an evaluation measured: the table and the per-frame data behind it. */
export interface EvalReport {
  readonly table: MetricTable;
  /** JSON-ready details: settings, per-frame values, sync distance curves, timings. */
  readonly details: Record<string, unknown>;
  /** The SS-Sync model trained here (with `trainSync`): the caller saves and disposes it. */
  readonly trainedSync?: SsSyncTrainResult;
  /** Wall time, seconds. */
  readonly seconds: number;
}

/** Name of the column counting frames where the detector found no face. */
export const FRAMES_WITHOUT_FACE = "frames without face (face-api)";

/** face-api's tiny detector input: the frame's longer side rounded to a multiple of 32, in [128, 416]. */
function detectorInputSize(img: Image): number {
  return Math.min(416, Math.max(128, Math.round(Math.max(img.width, img.height) / 32) * 32));
}

function faceBoxCrop(face: FaceLandmarks, img: Image): Crop | null {
  const x0 = Math.max(0, Math.round(face.box.x)), y0 = Math.max(0, Math.round(face.box.y));
  const x1 = Math.min(img.width, Math.round(face.box.x + face.box.w));
  const y1 = Math.min(img.height, Math.round(face.box.y + face.box.h));
  // SSIM (Wang 2004) needs an 11x11 window inside the crop.
  return x1 - x0 >= 11 && y1 - y0 >= 11 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN;
}

function scoreOrReason(run: () => SyncScore): { score: SyncScore | null; reason?: string } {
  try {
    return { score: run() };
  } catch (e) {
    return { score: null, reason: e instanceof Error ? e.message : String(e) };
  }
}

function curve(s: SyncScore | null) {
  return s
    ? {
      offset: s.offset,
      confidence: s.confidence,
      minDistance: s.minDistance,
      offsets: s.offsets,
      distances: s.distances,
      pairs: s.pairs,
    }
    : null;
}

/**
 * Evaluates a predicted clip against the ground truth (see the module doc for the table).
 * @param pred The generated clip (frames; its own audio unless `options.audio`).
 * @param gt The ground-truth clip, same frame size unless `resize`.
 * @param options Audio, face crop, resizing, detector, SS-Sync model or training, LPIPS model.
 * @returns The table (text, Markdown, JSON) and the details behind it.
 * @throws When the frame sizes differ (without `resize`).
 */
export async function evaluateClips(
  pred: EvalClip,
  gt: EvalClip,
  options: EvalOptions = {},
): Promise<EvalReport> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const g0 = gt.frames[0], p0 = pred.frames[0];
  if (!g0 || !p0) {
    throw new Error(
      `evaluateClips: pred has ${pred.frames.length} frames, gt ${gt.frames.length}: expected at least one each`,
    );
  }
  let predFrames = pred.frames;
  if (p0.width !== g0.width || p0.height !== g0.height) {
    if (!options.resize) {
      throw new Error(
        `evaluateClips: pred frames are ${p0.width}x${p0.height}, gt frames ${g0.width}x${g0.height}: expected the ` +
          `same size (or pass resize)`,
      );
    }
    predFrames = predFrames.map((f) => resizeImage(f, g0.width, g0.height));
  }
  const n = Math.min(predFrames.length, gt.frames.length);
  const countNote = predFrames.length !== gt.frames.length
    ? `pred ${predFrames.length} frames, gt ${gt.frames.length}: the first ${n} compared by index`
    : undefined;
  const P = predFrames.slice(0, n), G = gt.frames.slice(0, n);

  const detector = options.detector ?? await createLandmarkDetector({ inputSize: detectorInputSize(g0) });
  let predFaces: (FaceLandmarks | null)[], gtFaces: (FaceLandmarks | null)[];
  try {
    log(`face-api on ${predFrames.length} + ${gt.frames.length} frames`);
    predFaces = [];
    for (const f of predFrames) predFaces.push(await detector.detect(f));
    gtFaces = [];
    for (const f of gt.frames) gtFaces.push(await detector.detect(f));
  } finally {
    if (!options.detector) detector.dispose();
  }
  const predLms = predFaces.map((f) => f?.landmarks ?? null),
    gtLms = gtFaces.map((f) => f?.landmarks ?? null);

  log("PSNR, SSIM, LMD, LPIPS, CPBD");
  const psnrSummary = meanPsnr(P, G);
  const ssimPerFrame = P.map((p, i) => ssim(p, G[i]));
  const predRow: MetricResult[] = [
    {
      ...psnrMetric(psnrSummary),
      ...(countNote ? { note: [psnrMetric(psnrSummary).note, countNote].filter(Boolean).join("; ") } : {}),
    },
    { name: METRIC_NAMES.ssimWang2004, value: mean(ssimPerFrame) },
  ];
  const details: Record<string, unknown> = {
    pred: {
      label: pred.label,
      frames: predFrames.length,
      fps: pred.fps,
      resized: predFrames !== pred.frames,
    },
    gt: { label: gt.label, frames: gt.frames.length, fps: gt.fps },
    comparedFrames: n,
    psnr: { perFrame: psnrSummary.perFrame, capped: psnrSummary.capped, cap: psnrSummary.cap },
    ssim: { variant: "wang2004", perFrame: ssimPerFrame },
  };
  if (options.faceCrop) {
    const ps: number[] = [], ss: number[] = [];
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const crop = gtFaces[i] ? faceBoxCrop(gtFaces[i]!, G[i]) : null;
      if (!crop) {
        skipped++;
        continue;
      }
      ps.push(Math.min(psnr(P[i], G[i], { crop }), psnrSummary.cap));
      ss.push(ssim(P[i], G[i], { crop }));
    }
    const note = skipped ? `${skipped} of ${n} frames without a ground-truth face box left out` : undefined;
    const capped = ps.filter((v) => v >= psnrSummary.cap).length;
    const psNote = [
      capped ? `${capped} of ${ps.length} frames capped at ${psnrSummary.cap} dB` : "",
      note ?? "",
    ]
      .filter(Boolean).join("; ");
    predRow.push(
      {
        name: "PSNR face crop (dB)",
        value: ps.length ? mean(ps) : null,
        ...(psNote ? { note: psNote } : {}),
      },
      { name: "SSIM face crop (Wang 2004)", value: ss.length ? mean(ss) : null, ...(note ? { note } : {}) },
    );
    details.faceCrop = { psnrPerFrame: ps, ssimPerFrame: ss, framesWithoutBox: skipped };
  }
  const lmdMouth = lmdOverFrames(predLms.slice(0, n), gtLms.slice(0, n), { points: "mouth" });
  const lmdFace = lmdOverFrames(predLms.slice(0, n), gtLms.slice(0, n), { points: "face" });
  const lp = meanLpips(P, G, { model: options.lpipsModel });
  predRow.push(lmdMetric(lmdMouth), lmdMetric(lmdFace), lpipsMetric(lp));
  details.lmd = { detector: "face-api", mouthPerFrame: lmdMouth.perFrame, facePerFrame: lmdFace.perFrame };
  details.lpips = lp.available
    ? { perFrame: lp.perFrame, source: options.lpipsModel?.source }
    : { reason: lp.reason };

  const cpbdOf = (frames: readonly Image[]) => frames.map((f) => cpbd(f).cpbd);
  const predCpbd = cpbdOf(predFrames), gtCpbd = cpbdOf(gt.frames);
  details.cpbd = { pred: predCpbd, gt: gtCpbd };

  log("LA-Sync");
  const audioOf = (c: EvalClip) => options.audio ?? c.audio;
  const la = (lms: (Float32Array | null)[], c: EvalClip) => {
    const audio = audioOf(c);
    if (!audio) return { score: null, reason: "no audio (pass one)" };
    return scoreOrReason(() => laSync(lms, audio, { fps: c.fps }));
  };
  const laPred = la(predLms, pred), laGt = la(gtLms, gt);

  let model = options.syncModel ?? null;
  let trained: SsSyncTrainResult | undefined;
  let ssNote: string | undefined;
  if (!model && options.trainSync) {
    const audio = audioOf(gt);
    if (audio) {
      log("training SS-Sync on the ground-truth clip");
      try {
        trained = trainSsSync(
          { frames: gt.frames, landmarks: gtLms, audio },
          options.trainSync === true ? {} : options.trainSync,
        );
        model = trained.model;
        ssNote = `trained here on the ground-truth clip (${
          trained.seconds.toFixed(1)
        } s): its gt value is in-sample`;
      } catch (e) {
        ssNote = `not trained: ${e instanceof Error ? e.message : e}`;
      }
    } else {
      ssNote = "not trained: the ground truth has no audio";
    }
  }
  const ss = (frames: readonly Image[], lms: (Float32Array | null)[], c: EvalClip) => {
    const audio = audioOf(c);
    if (!model) {
      return { score: null, reason: ssNote ?? "no model (pass one, or train one on the ground truth)" };
    }
    if (!audio) return { score: null, reason: "no audio (pass one)" };
    if (Math.abs(model.config.fps - c.fps) > 0.01) {
      return {
        score: null,
        reason: `the model was trained at ${model.config.fps} fps, the clip is ${c.fps} fps`,
      };
    }
    const m = model;
    return scoreOrReason(() => ssSync(m, { frames, landmarks: lms, audio }));
  };
  const ssPred = ss(predFrames, predLms, pred), ssGt = ss(gt.frames, gtLms, gt);
  const ssWarning = "never comparable with SyncNet (LSE-C/LSE-D) numbers" +
    (ssNote && model ? `; ${ssNote}` : "");

  const missing = (faces: (FaceLandmarks | null)[]) => faces.filter((f) => !f).length;
  const row = (
    frames: number,
    faces: (FaceLandmarks | null)[],
    cp: number[],
    l: { score: SyncScore | null; reason?: string },
    s: { score: SyncScore | null; reason?: string },
  ): MetricResult[] => [
    { name: METRIC_NAMES.cpbd, value: mean(cp) },
    ...syncMetrics(l.score, { name: LA_SYNC_NAME, note: l.reason }),
    ...syncMetrics(s.score, { name: SS_SYNC_NAME, note: [s.reason, ssWarning].filter(Boolean).join("; ") }),
    {
      name: FRAMES_WITHOUT_FACE,
      value: missing(faces),
      digits: 0,
      ...(missing(faces) ? { note: `${missing(faces)} of ${frames} frames: left out of LMD and sync` } : {}),
    },
  ];
  predRow.push(...row(predFrames.length, predFaces, predCpbd, laPred, ssPred));
  const gtRow = row(gt.frames.length, gtFaces, gtCpbd, laGt, ssGt);
  details.laSync = {
    name: LA_SYNC_NAME,
    pred: curve(laPred.score),
    gt: curve(laGt.score),
    reasons: [laPred.reason, laGt.reason],
  };
  details.ssSync = {
    name: SS_SYNC_NAME,
    warning: ssWarning,
    pred: curve(ssPred.score),
    gt: curve(ssGt.score),
    reasons: [ssPred.reason, ssGt.reason],
    ...(trained
      ? {
        training: {
          seconds: trained.seconds,
          windows: trained.windows,
          steps: trained.steps,
          finalLoss: trained.finalLoss,
        },
      }
      : {}),
  };
  details.framesWithoutFace = {
    pred: predFaces.flatMap((f, i) => (f ? [] : [i])),
    gt: gtFaces.flatMap((f, i) => (f ? [] : [i])),
  };
  const table = metricTable(
    [{ label: pred.label, metrics: predRow }, { label: `${gt.label} (ground truth)`, metrics: gtRow }],
    { title: `Evaluation of ${pred.label} against ${gt.label} (${n} frames)`, rowHeader: "clip" },
  );
  const seconds = (performance.now() - t0) / 1000;
  details.seconds = seconds;
  return { table, details, ...(trained ? { trainedSync: trained } : {}), seconds };
}

/**
 * Writes a report into `dir` (created if needed) as `metrics.txt`, `metrics.md` and `metrics.json`
 * (`{ table, details }`), each atomically (temporary file, then rename).
 * @param dir Output folder.
 * @param report From {@linkcode evaluateClips}.
 * @returns The paths written.
 */
export async function writeEvalReport(dir: string, report: EvalReport): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const json = JSON.stringify(
    { table: report.table.toJSON(), details: report.details },
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
    1,
  );
  const files: [string, string][] = [
    [`${dir}/metrics.txt`, report.table.toText() + "\n"],
    [`${dir}/metrics.md`, report.table.toMarkdown() + "\n"],
    [`${dir}/metrics.json`, json + "\n"],
  ];
  for (const [path, text] of files) await writeFileAtomic(path, text);
  return files.map(([p]) => p);
}
