/**
 * Step 4 of {@linkcode preprocessVideo}: the focal length (searched or given), the person's shape, the
 * per-frame head poses and their smoothed path, written as `transforms_{train,val}.json` with the crop's
 * place in the source video.
 * @module
 */
import { basename, join } from "node:path";
import { poseToC2w } from "../camera/pose.ts";
import { frameSplit } from "../data/split.ts";
import type { FrameMeta } from "../data/types.ts";
import { writeTransforms } from "../data/write_transforms.ts";
import type { CropRect } from "../io/types.ts";
import type { VideoInfo } from "../io/video_probe.ts";
import { eyeSignalFromLandmarks } from "../landmarks/eye.ts";
import { landmarkBox } from "./crop.ts";
import { fitShapeAtFocal, RIGID_WEIGHTS_68, searchFocal } from "./focal_search.ts";
import type { PreprocessSummary, StageContext } from "./pipeline_options.ts";
import { fitPose, type PoseFit } from "./pose_fit.ts";
import { type EulerPose, smoothPoses } from "./smooth.ts";
import { writeSourceRecord } from "./source_record.ts";

/** What the pose step works on. */
export interface PoseStageInput {
  readonly videoPath: string;
  readonly info: VideoInfo;
  /** Output frame rate. */
  readonly fps: number;
  /** The crop, in source pixels. */
  readonly crop: CropRect;
  /** Landmarks in the crop, smoothed over time, per frame. */
  readonly lms: readonly Float64Array[];
  /** Landmarks in the crop before the temporal smoothing (it flattens blinks), per frame. */
  readonly cropped: readonly Float64Array[];
  /** The tracker's landmarks, null where no face was found. */
  readonly tracked: readonly (ArrayLike<number> | null)[];
}

/** What the pose step found, for the summary. */
export interface PoseStageResult {
  readonly focal: number;
  readonly focalSource: PreprocessSummary["focalSource"];
  readonly focalCurve: PreprocessSummary["focalCurve"];
  readonly focalInterval: PreprocessSummary["focalInterval"];
  /** Per-frame pose fits. */
  readonly raw: readonly PoseFit[];
  /** Their poses, before smoothing. */
  readonly rawPath: EulerPose[];
  /** The smoothed pose path. */
  readonly path: EulerPose[];
}

/**
 * Focal length, shape and poses of every frame (see {@linkcode preprocessVideo}, step 4); writes the
 * transforms and the source record into `ctx.tmp`.
 * @param ctx The shared step context.
 * @param input Landmarks, crop and video facts.
 * @returns Focal length and poses.
 */
export async function poseStage(ctx: StageContext, input: PoseStageInput): Promise<PoseStageResult> {
  const { tmp, size, options, warn, progress } = ctx;
  const { videoPath, info, fps, crop, lms, cropped, tracked } = input;
  const N = lms.length;
  const cx = size / 2, cy = size / 2;
  const withFace = lms.filter((_, k) => tracked[k]);
  let focal: number, shape: Float64Array, focalSource: PreprocessSummary["focalSource"];
  let focalCurve: PreprocessSummary["focalCurve"] = [];
  let focalInterval: PreprocessSummary["focalInterval"] = null;
  const range = options.focalRange ?? [0.8 * size, 6 * size];
  progress("pose", 0, N);
  if (options.focal !== undefined) {
    focal = options.focal, focalSource = "given";
    shape = fitShapeAtFocal(withFace, { focal, cx, cy }).shape;
  } else {
    const s = searchFocal(withFace, { cx, cy }, { range });
    focalCurve = s.curve;
    const lo = Math.min(...s.curve.map((c) => c.focal)), hi = Math.max(...s.curve.map((c) => c.focal));
    if (s.focal <= lo * 1.0001 || s.focal >= hi / 1.0001) {
      focal = Math.sqrt(range[0] * range[1]), focalSource = "fallback";
      warn(
        `the focal search's error is least at the end of the range [${range.map((v) => v.toFixed(0))}] px ` +
          `(too little head rotation to tell focal lengths apart): using ${focal.toFixed(1)} px`,
      );
      shape = fitShapeAtFocal(withFace, { focal, cx, cy }).shape;
    } else {
      focal = s.focal, focalSource = "search", focalInterval = s.interval;
      // The search's shape is nearly free (so that no prior sways f) and takes up the detector's
      // pose-dependent errors; the poses come from a shape held closer to the template.
      shape = fitShapeAtFocal(withFace, { focal, cx, cy }).shape;
      if (s.interval[0] <= lo * 1.0001 || s.interval[1] >= hi / 1.0001) {
        warn(
          `the focal length is uncertain: the landmarks fit about as well from ${
            s.interval[0].toFixed(0)
          } to ` +
            `${s.interval[1].toFixed(0)} px (search range [${range.map((v) => v.toFixed(0))}] px; ` +
            `more head rotation, or --focal, helps): using ${focal.toFixed(1)} px`,
        );
      }
    }
  }
  const cam = { focal, cx, cy };
  const raw: PoseFit[] = [];
  let prev: PoseFit | undefined;
  for (let k = 0; k < N; k++) {
    prev = fitPose(lms[k], cam, { model: shape, weights: RIGID_WEIGHTS_68, init: prev });
    raw.push(prev);
    if (k % 25 === 0) progress("pose", k + 1, N);
  }
  progress("pose", N, N);
  const rawPath: EulerPose[] = raw.map((p) => ({ euler: p.euler, trans: p.trans }));
  const pwin = options.poseSmoothWindow ?? 9;
  const path = pwin > 1 ? smoothPoses(rawPath, { window: pwin, order: 2 }) : rawPath;
  // the eye signal (FrameMeta.eye) from the landmarks before temporal smoothing, which flattens blinks
  let eyes: number[] | undefined;
  try {
    eyes = eyeSignalFromLandmarks(cropped);
  } catch (e) {
    warn(`no eye signal in the transforms: ${e instanceof Error ? e.message : String(e)}`);
  }
  const metas: FrameMeta[] = path.map((p, k) => {
    const b = landmarkBox(lms[k]);
    return {
      imgId: k,
      audId: k,
      c2w: poseToC2w(p.euler, p.trans),
      faceRect: [Math.round(b.x), Math.round(b.y), Math.round(b.w), Math.round(b.h)] as const,
      euler: p.euler,
      trans: p.trans,
      ...(eyes && { eye: eyes[k] }),
    };
  });
  const split = frameSplit(N);
  await writeTransforms(join(tmp, "transforms_train.json"), {
    focal,
    cx,
    cy,
    frames: split.train.map((k) => metas[k]),
  });
  await writeTransforms(join(tmp, "transforms_val.json"), {
    focal,
    cx,
    cy,
    frames: split.val.map((k) => metas[k]),
  });
  // Where the crop sits in the source, for pasting rendered frames back (source_record.ts).
  await writeSourceRecord(tmp, {
    video: basename(videoPath),
    width: info.width,
    height: info.height,
    nativeFps: info.fps,
    fps,
    sourceFrames: Math.max(1, Math.round(info.durationS * fps)),
    frames: N,
    crop,
    scale: size / crop.w,
  });
  return { focal, focalSource, focalCurve, focalInterval, raw, rawPath, path };
}
