/**
 * Video of one person talking -> dataset folder in the AD-NeRF / SSP-NeRF layout, with no Python:
 * frames, landmarks, head poses and focal length, parsing maps, background, audio and its features.
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { computeAudioFeatures } from "../audio/windows.ts";
import { poseToC2w } from "../camera/pose.ts";
import { parsingToImage, SSPNERF11 } from "../data/palette.ts";
import type { Palette } from "../data/palette.ts";
import { frameSplit } from "../data/split.ts";
import type { FrameMeta } from "../data/types.ts";
import { writeTransforms } from "../data/write_transforms.ts";
import {
  decodeJpeg,
  encodeJpeg,
  encodeNpy,
  encodePng,
  encodeWav,
  extractAudio,
  probeVideo,
  readVideoFrames,
  type VideoInfo,
} from "../io/mod.ts";
import { pathExists } from "../io/atomic.ts";
import type { CropRect } from "../io/ffmpeg.ts";
import type { Image } from "../io/types.ts";
import { createLandmarkDetector } from "../landmarks/detector.ts";
import { eyeSignalFromLandmarks } from "../landmarks/eye.ts";
import { createProgress, type Progress } from "../train/progress.ts";
import { estimateBackground, personMask, personPrior } from "./background.ts";
import { writeSourceRecord } from "./source_record.ts";
import { SelfieSegmenter } from "./selfie_segmentation.ts";
import { cropFromTrack, landmarkBox, trackingBox } from "./crop.ts";
import { fitShapeAtFocal, type FocalCandidate, RIGID_WEIGHTS_68, searchFocal } from "./focal_search.ts";
import { type ExternalParsingKind, readExternalParsing } from "./parsing_dir.ts";
import { faceOutline, parsingFromLandmarks } from "./parsing_landmarks.ts";
import { fitPose, type PoseFit } from "./pose_fit.ts";
import { dilate, fillPolygon } from "./raster.ts";
import { type EulerPose, meanAngularStep, smoothPoses, smoothSeries } from "./smooth.ts";
import { type FaceDetector, fillMissing, trackFace } from "./track.ts";
import { describeImplausible, implausibleFaces } from "./plausible_face.ts";

/** Steps of {@linkcode preprocessVideo}, in order. */
export const PREPROCESS_STEPS = ["track", "crop", "audio", "pose", "background", "parsing"] as const;

/** A step name. */
export type PreprocessStep = typeof PREPROCESS_STEPS[number];

/** Options of {@linkcode preprocessVideo}. */
export interface PreprocessOptions {
  /** Side of the square output frames, pixels. @default {512} */
  readonly size?: number;
  /** Output frame rate: the video is resampled to it (ffmpeg's fps filter). @default {25} */
  readonly fps?: number;
  /** Use at most this many frames from the start. @default all */
  readonly maxFrames?: number;
  /** Folder of external parsing maps `<frame>.png` (BiSeNet CelebAMask-HQ ids, AD-NeRF 4-class or
   * SSP-NeRF 11-class colours), used instead of landmark-polygon parsing. */
  readonly parsingDir?: string;
  /** Focal lengths searched, in output pixels. @default {[0.8 * size, 6 * size]} */
  readonly focalRange?: readonly [number, number];
  /** A fixed focal length (output pixels) instead of the search. */
  readonly focal?: number;
  /** Landmark detector (injectable for tests); default: face-api's tiny detector + 68 landmarks,
   * created and disposed here. */
  readonly detector?: FaceDetector;
  /** Progress callback; default: one progress bar per step on stderr (none when `quiet`). */
  readonly onProgress?: (step: PreprocessStep, done: number, total: number) => void;
  /** Receives warnings (variable frame rate, missing faces, uncertain focal); they also go to the summary.
   * @default prints to stderr unless quiet */
  readonly onWarning?: (message: string) => void;
  /** No progress bars or warnings on the terminal. @default {false} */
  readonly quiet?: boolean;
  /** Crop side in face sizes (see cropFromTrack). @default {3} */
  readonly cropScale?: number;
  /** Largest side of the frames of the tracking pass (smaller videos are tracked as they are). @default {512} */
  readonly trackSide?: number;
  /** Fail when more than this fraction of the frames has no face (else they are interpolated). @default {0.2} */
  readonly maxMissingFraction?: number;
  /** Savitzky-Golay window (frames) of the landmark smoothing; 1 turns it off. @default {5} */
  readonly landmarkSmoothWindow?: number;
  /** Savitzky-Golay window (frames) of the pose-path smoothing; 1 turns it off. @default {9} */
  readonly poseSmoothWindow?: number;
  /** Frames held in memory for the background median (evenly spaced). @default {60} */
  readonly backgroundSamples?: number;
  /** JPEG quality of the frames and background. @default {95} */
  readonly jpegQuality?: number;
  /** Replace `outDir` if it exists (else that is an error). @default {false} */
  readonly overwrite?: boolean;
  /** How the person is told from the background (background estimate and parsing): "difference" (colour
   * difference to the estimated background, personMask) or "selfie" (MediaPipe's selfie segmentation
   * model, selfie_segmentation.ts); the face outline counts as person either way. @default {"difference"} */
  readonly personSegmentation?: "difference" | "selfie";
}

/** What {@linkcode preprocessVideo} did, also written as `preprocess_summary.json`. */
export interface PreprocessSummary {
  readonly video: string;
  readonly outDir: string;
  /** Source video facts. */
  readonly source: {
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    readonly durationS: number;
    readonly variableFrameRate: boolean;
  };
  readonly frames: number;
  readonly fps: number;
  readonly size: number;
  /** The crop, in source pixels. */
  readonly crop: CropRect;
  /** Frames where the detector / tracker found a face. */
  readonly facesFound: number;
  /** Frames without a face (filled by interpolation). */
  readonly missingFrames: readonly number[];
  readonly detectorRuns: number;
  readonly trackingLosses: number;
  /** Focal length (output pixels), how it was chosen, and the search's error curve. */
  readonly focal: number;
  readonly focalSource: "search" | "given" | "fallback";
  readonly focalCurve: readonly FocalCandidate[];
  /** The search's 95 % interval of focal lengths (searchFocal `interval`); null without a search result. */
  readonly focalInterval: readonly [number, number] | null;
  /** Mean reprojection RMSE of the per-frame pose fits (pixels, rigid points). */
  readonly reprojectionRmse: number;
  /** Mean angular change of the head per frame (degrees) before and after smoothing. */
  readonly poseSmoothness: { readonly rawDeg: number; readonly smoothedDeg: number };
  readonly parsing: {
    readonly source: "landmarks" | ExternalParsingKind;
    readonly palette: string;
    /** How the person was told from the background (options.personSegmentation). */
    readonly person: "difference" | "selfie";
    /** Mean fraction of the image per class. */
    readonly classAreas: Readonly<Record<string, number>>;
  };
  /** Fraction of the background never seen behind the person (inpainted). */
  readonly backgroundInpainted: number;
  readonly warnings: readonly string[];
  /** Seconds per step and total, and frames per second overall. */
  readonly seconds: Readonly<Record<string, number>>;
  readonly framesPerSecond: number;
}

function positive(v: number, name: string, integer = false): number {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(
      `preprocess: options.${name} must be a positive ${integer ? "integer" : "number"}: got ${v}`,
    );
  }
  return v;
}

async function* limit<T>(src: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  if (n <= 0) return;
  let k = 0;
  for await (const x of src) {
    yield x;
    if (++k >= n) return;
  }
}

const lmsText = (l: ArrayLike<number>) =>
  Array.from({ length: l.length / 2 }, (_, i) => `${l[2 * i].toFixed(4)} ${l[2 * i + 1].toFixed(4)}`).join(
    "\n",
  ) + "\n";

/**
 * Turns a video of one person talking (static camera and background) into a dataset folder that
 * `loadDataset` reads:
 * `ori_imgs/<i>.jpg` + `<i>.lms`, `parsing/<i>.png` (11 classes), `bc.jpg`, `aud.wav` (16 kHz mono),
 * `aud.npy` ([N, 16, 13] MFCC windows), `transforms_{train,val}.json` (first 10/11 train; the crop's
 * place in the source video under `"source"`, see source_record.ts) and `preprocess_summary.json`.
 *
 * Steps (each with a progress bar):
 * 1. **track**: decode at `fps` (reduced to `trackSide`), detect the face on the first frame, follow it
 *    with landmarks on the tracked box (re-detect when lost and every second); frames without a face are
 *    reported and interpolated, or the run fails past `maxMissingFraction`.
 * 2. **crop**: one square crop for the video (median face box, `cropScale` face sizes, moved down for the
 *    shoulders, clamped to the frame); a second decoding pass crops and resizes to `size` and writes the
 *    frames; landmarks are mapped into the crop (and re-placed on the crop when it is sharper than the
 *    tracking frames), then smoothed over time (Savitzky-Golay, order 2, `landmarkSmoothWindow`).
 * 3. **audio**: 16 kHz mono `aud.wav` and MFCC windows `aud.npy` (computeAudioFeatures).
 * 4. **pose**: focal length by a search shared by all frames (searchFocal: a bundle adjustment of all
 *    poses and the person's shape per candidate; a warning when its 95 % interval reaches an end of the
 *    range), the mean face adapted to the person at that focal length (fitShapeAtFocal), then per-frame
 *    robust pose fits (fitPose, rigid points), then a smoothed pose path (Savitzky-Golay,
 *    `poseSmoothWindow`); c2w = [R^T | -R^T t] (lib/camera poseToC2w), principal point at
 *    the crop centre, translations in decimetres (the template's unit).
 * 5. **background**: per-pixel median over sampled frames outside the (dilated) person, estimated twice
 *    (person from landmarks alone, then from the difference to the first estimate), inpainted where never
 *    seen.
 * 6. **parsing**: landmark polygons + person mask (parsingFromLandmarks), or the external maps.
 *
 * Input rules: a video without an audio track, shorter than 1 s, unreadable, or without a face fails
 * with an error naming the file. A variable-frame-rate video (or one at another rate) is resampled to
 * `fps` by ffmpeg's fps filter (frames repeated or dropped to the constant grid), with a warning.
 * Nothing is written half: the dataset is built in a temporary folder beside `outDir` and renamed at the
 * end; on any failure that folder is removed.
 * @param videoPath The video.
 * @param outDir Dataset folder to create (must not exist unless `overwrite`).
 * @param options Size, rate, frames, parsing source, focal range, detector, progress, thresholds.
 * @returns The summary.
 */
export async function preprocessVideo(
  videoPath: string,
  outDir: string,
  options: PreprocessOptions = {},
): Promise<PreprocessSummary> {
  const size = positive(options.size ?? 512, "size", true);
  const fps = positive(options.fps ?? 25, "fps");
  const maxFrames = options.maxFrames === undefined
    ? Infinity
    : positive(options.maxFrames, "maxFrames", true);
  const trackSide = positive(options.trackSide ?? 512, "trackSide", true);
  const maxMissing = options.maxMissingFraction ?? 0.2;
  const quality = options.jpegQuality ?? 95;
  if (options.focal !== undefined) positive(options.focal, "focal");
  const out = resolve(outDir);
  if (!options.overwrite && await pathExists(out)) {
    throw new Error(`preprocess: ${out} already exists: expected a new folder (or pass overwrite)`);
  }
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    if (options.onWarning) options.onWarning(m);
    else if (!options.quiet) console.warn(`preprocess: warning: ${m}`);
  };
  let info: VideoInfo;
  try {
    info = await probeVideo(videoPath);
  } catch (e) {
    throw new Error(
      `preprocess: ${videoPath}: cannot read the video: ${e instanceof Error ? e.message : e}`,
      { cause: e },
    );
  }
  if (!info.hasAudio) {
    throw new Error(
      `preprocess: ${videoPath}: has no audio track: expected the speech of the video (an audio-driven dataset ` +
        `needs aud.wav and aud.npy); add one, e.g. ffmpeg -i video.mp4 -i speech.wav -c:v copy -shortest out.mp4`,
    );
  }
  if (!(info.durationS >= 1)) {
    throw new Error(
      `preprocess: ${videoPath}: lasts ${info.durationS.toFixed(2)} s: expected at least 1 s of video (${
        Math.ceil(fps)
      } frames)`,
    );
  }
  if (info.variableFrameRate) {
    warn(
      `${videoPath} has a variable frame rate: resampled to a constant ${fps} fps (frames repeated or dropped)`,
    );
  } else if (Math.abs(info.fps - fps) > 0.01) {
    warn(`${videoPath} runs at ${info.fps.toFixed(3)} fps: resampled to ${fps} fps`);
  }

  const seconds: Record<string, number> = {};
  const t0 = performance.now();
  let tStep = t0;
  const endStep = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - tStep) / 1000;
    tStep = now;
  };
  const bars = new Map<PreprocessStep, Progress | null>();
  const progress = (step: PreprocessStep, done: number, total: number) => {
    options.onProgress?.(step, done, total);
    if (options.quiet || options.onProgress) return;
    let bar = bars.get(step);
    if (bar === null) return; // finished
    if (!bar) bars.set(step, bar = createProgress(total, { label: step.padEnd(10), every: 100 }));
    bar.update(done);
    if (done >= total) bar.finish(), bars.set(step, null);
  };
  const expected = Math.min(maxFrames, Math.max(1, Math.round(info.durationS * fps)));

  const parent = dirname(out);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(out)}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`);
  await Deno.mkdir(tmp);
  const ownDetector = options.detector ? undefined : await createLandmarkDetector();
  const detector: FaceDetector = options.detector ?? ownDetector!;
  let segmenter: SelfieSegmenter | undefined;
  try {
    if (options.personSegmentation === "selfie") segmenter = await SelfieSegmenter.create();
    // 1. Track the face on reduced frames.
    const trackScale = Math.min(1, trackSide / Math.max(info.width, info.height));
    const tw = Math.max(1, Math.round(info.width * trackScale)),
      th = Math.max(1, Math.round(info.height * trackScale));
    const trackFrames = readVideoFrames(videoPath, {
      fps,
      ...(trackScale < 1 ? { width: tw, height: th } : {}),
    });
    const track = await trackFace(limit(trackFrames, maxFrames), detector, {
      onFrame: (d) => progress("track", d, Math.max(d, expected)),
    });
    const N = track.landmarks.length;
    progress("track", N, N);
    if (N < Math.ceil(fps)) {
      throw new Error(
        `preprocess: ${videoPath}: gave ${N} frames at ${fps} fps: expected at least 1 s (${
          Math.ceil(fps)
        } frames)`,
      );
    }
    // Detections that cannot be a face (the landmark network places points in any box) count as frames
    // without a face, named with the reason (plausible_face.ts).
    const implausible = implausibleFaces(track.landmarks, track.width, track.height);
    for (const f of implausible) track.landmarks[f.frame] = null;
    const notFaces = implausible.length
      ? `; ${implausible.length} detection(s) are not faces (${describeImplausible(implausible)})`
      : "";
    const found = track.landmarks.filter((l) => l).length;
    if (found === 0) {
      throw new Error(
        `preprocess: ${videoPath}: no face found in any of its ${N} frames${notFaces}: expected one person ` +
          `talking, facing the camera`,
      );
    }
    const { filled, missing } = fillMissing(track.landmarks);
    if (missing.length > 0) {
      const ids = missing.length > 20 ? `${missing.slice(0, 20).join(", ")}, ...` : missing.join(", ");
      const msg = `${missing.length} of ${N} frames have no face (frames ${ids})${notFaces}`;
      if (missing.length > maxMissing * N) {
        throw new Error(
          `preprocess: ${videoPath}: ${msg}: more than maxMissingFraction = ${maxMissing} (--max-missing); ` +
            `if the video does show one face throughout, raise --max-missing to interpolate these frames, ` +
            `or cut the video to the part where the face is seen`,
        );
      }
      warn(`${msg}: their landmarks are interpolated`);
    }
    endStep("track");

    // 2. Crop: one square for the video, frames written, landmarks mapped into the crop.
    const sx = info.width / tw, sy = info.height / th;
    const boxes = filled.map((l) => {
      const b = landmarkBox(l);
      return { x: b.x * sx, y: b.y * sy, w: b.w * sx, h: b.h * sy };
    });
    const crop = cropFromTrack(boxes, info, { scale: options.cropScale });
    const toCrop = (l: ArrayLike<number>) =>
      Float64Array.from(l, (v, k) => ((k % 2 === 0 ? v * sx - crop.x : v * sy - crop.y) * size) / crop.w);
    const outPerTrackPx = (size / crop.w) * sx;
    const refine = outPerTrackPx > 1.25;
    const nSamples = Math.min(N, Math.max(1, options.backgroundSamples ?? 60));
    const sampleIds = new Set(
      Array.from({ length: nSamples }, (_, k) => Math.round((k * (N - 1)) / Math.max(1, nSamples - 1))),
    );
    const samples = new Map<number, Image>();
    const cropped: Float64Array[] = [];
    await Deno.mkdir(join(tmp, "ori_imgs"));
    let i = 0;
    for await (const img of limit(readVideoFrames(videoPath, { fps, crop, width: size, height: size }), N)) {
      let l = toCrop(filled[i]);
      if (refine && track.landmarks[i]) {
        l = Float64Array.from(await detector.landmarksInBox(img, trackingBox(l)));
      }
      cropped.push(l);
      await Deno.writeFile(join(tmp, "ori_imgs", `${i}.jpg`), encodeJpeg(img, quality));
      if (sampleIds.has(i)) samples.set(i, img);
      i++;
      progress("crop", i, N);
    }
    if (i !== N) {
      throw new Error(
        `preprocess: ${videoPath}: the second decoding pass gave ${i} frames: expected ${N} like the first`,
      );
    }
    const lwin = options.landmarkSmoothWindow ?? 5;
    const lms = lwin > 1 ? smoothSeries(cropped, { window: lwin, order: 2 }) : cropped;
    for (let k = 0; k < N; k++) await Deno.writeTextFile(join(tmp, "ori_imgs", `${k}.lms`), lmsText(lms[k]));
    endStep("crop");

    // 3. Audio.
    progress("audio", 0, 2);
    let audio = await extractAudio(videoPath, { sampleRate: 16000 });
    const need = Math.ceil((N / fps) * 16000);
    if (audio.length < need - 16000 / fps) {
      warn(
        `the audio track lasts ${
          (audio.length / 16000).toFixed(2)
        } s, shorter than the ${N} frames: padded with silence`,
      );
      const padded = new Float32Array(need);
      padded.set(audio);
      audio = padded;
    }
    await Deno.writeFile(join(tmp, "aud.wav"), encodeWav({ sampleRate: 16000, channels: [audio] }, "pcm16"));
    progress("audio", 1, 2);
    const feats = computeAudioFeatures(audio, 16000, N, { fps });
    await Deno.writeFile(
      join(tmp, "aud.npy"),
      encodeNpy({ dtype: "float32", shape: feats.shape, data: feats.data }),
    );
    progress("audio", 2, 2);
    endStep("audio");

    // 4. Focal length and poses.
    const cx = size / 2, cy = size / 2;
    const withFace = lms.filter((_, k) => track.landmarks[k]);
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
          `the focal search's error is least at the end of the range [${
            range.map((v) => v.toFixed(0))
          }] px ` +
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
    endStep("pose");

    // 5. Background.
    const sz = { width: size, height: size };
    const faceMaskOf = (l: ArrayLike<number>) => {
      const m = new Uint8Array(size * size);
      fillPolygon(m, sz, faceOutline(l));
      return m;
    };
    const grow = Math.max(2, Math.round(size / 64));
    const personOf = (img: Image, background: Image, l: ArrayLike<number>) => {
      const face = faceMaskOf(l);
      if (!segmenter) return personMask(img, background, { include: face });
      const m = segmenter.personMask(img);
      for (let p = 0; p < m.length; p++) m[p] |= face[p];
      return m;
    };
    const sampleList = [...samples.keys()];
    progress("background", 0, 2);
    const first = estimateBackground(
      sampleList.map((k) => samples.get(k)!),
      sampleList.map((k) => dilate(personPrior(lms[k], sz), sz, grow)),
    );
    progress("background", 1, 2);
    // The second pass can only free pixels the first one saw: where the first estimate is inpainted,
    // a colour difference says nothing, so those pixels stay excluded.
    const bg = estimateBackground(
      sampleList.map((k) => samples.get(k)!),
      sampleList.map((k) => {
        const m = dilate(personOf(samples.get(k)!, first.image, lms[k]), sz, grow);
        for (let p = 0; p < m.length; p++) if (first.seen[p] === 0) m[p] = 1;
        return m;
      }),
    );
    samples.clear();
    await Deno.writeFile(join(tmp, "bc.jpg"), encodeJpeg(bg.image, quality));
    progress("background", 2, 2);
    endStep("background");

    // 6. Parsing.
    await Deno.mkdir(join(tmp, "parsing"));
    let palette: Palette = SSPNERF11;
    let kind: ExternalParsingKind | undefined;
    let areas = new Float64Array(11);
    for (let k = 0; k < N; k++) {
      let ids: Uint8Array;
      if (options.parsingDir) {
        const ext = await readExternalParsing(options.parsingDir, k, size, { kind, crop, frameSize: info });
        kind = ext.kind, palette = ext.palette, ids = ext.ids;
      } else {
        const frame = decodeJpeg(await Deno.readFile(join(tmp, "ori_imgs", `${k}.jpg`)));
        const person = personOf(frame, bg.image, lms[k]);
        ids = parsingFromLandmarks(lms[k], person, sz);
      }
      if (areas.length !== palette.classNames.length) areas = new Float64Array(palette.classNames.length);
      for (let p = 0; p < ids.length; p++) areas[ids[p]] += 1 / (ids.length * N);
      await Deno.writeFile(
        join(tmp, "parsing", `${k}.png`),
        encodePng(parsingToImage(ids, size, size, palette)),
      );
      progress("parsing", k + 1, N);
    }
    endStep("parsing");

    const total = (performance.now() - t0) / 1000;
    seconds.total = total;
    const summary: PreprocessSummary = {
      video: videoPath,
      outDir: out,
      source: {
        width: info.width,
        height: info.height,
        fps: info.fps,
        durationS: info.durationS,
        variableFrameRate: info.variableFrameRate,
      },
      frames: N,
      fps,
      size,
      crop,
      facesFound: found,
      missingFrames: missing,
      detectorRuns: track.detections,
      trackingLosses: track.losses,
      focal,
      focalSource,
      focalCurve,
      focalInterval,
      reprojectionRmse: raw.reduce((a, p) => a + p.rmse, 0) / N,
      poseSmoothness: { rawDeg: meanAngularStep(rawPath), smoothedDeg: meanAngularStep(path) },
      parsing: {
        source: kind ?? "landmarks",
        palette: palette.name,
        person: options.personSegmentation ?? "difference",
        classAreas: Object.fromEntries(palette.classNames.map((n, c) => [n, areas[c]])),
      },
      backgroundInpainted: bg.inpaintedFraction,
      warnings,
      seconds,
      framesPerSecond: N / total,
    };
    await Deno.writeTextFile(join(tmp, "preprocess_summary.json"), JSON.stringify(summary, null, 2) + "\n");
    await moveFolderIntoPlace(tmp, out, options.overwrite ?? false);
    return summary;
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  } finally {
    ownDetector?.dispose();
    segmenter?.dispose();
  }
}

/** Renames the finished folder onto `out`; with overwrite, an existing `out` is moved aside first. */
async function moveFolderIntoPlace(tmp: string, out: string, overwrite: boolean): Promise<void> {
  if (!(await pathExists(out))) {
    await Deno.rename(tmp, out);
    return;
  }
  if (!overwrite) throw new Error(`preprocess: ${out} appeared while preprocessing: not replaced`);
  const old = `${tmp}.old`;
  await Deno.rename(out, old);
  try {
    await Deno.rename(tmp, out);
  } catch (e) {
    await Deno.rename(old, out).catch(() => {});
    throw e;
  }
  await Deno.remove(old, { recursive: true });
}
