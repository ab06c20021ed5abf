/**
 * Video of one person talking -> dataset folder in the AD-NeRF / SSP-NeRF layout, with no Python:
 * frames, landmarks, head poses and focal length, parsing maps, background, audio and its features.
 * The options and summary are in pipeline_options.ts; steps 4-6 in pipeline_pose.ts,
 * pipeline_background.ts and pipeline_parsing.ts.
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { computeAudioFeatures } from "../audio/windows.ts";
import {
  encodeJpeg,
  encodeNpy,
  encodeWav,
  extractAudio,
  probeVideo,
  readVideoFrames,
  type VideoInfo,
} from "../io/mod.ts";
import { pathExists } from "../io/atomic.ts";
import type { Image } from "../io/types.ts";
import { createLandmarkDetector } from "../landmarks/detector.ts";
import { createProgress, type Progress } from "../train/progress.ts";
import { SelfieSegmenter } from "./selfie_segmentation.ts";
import { cropFromTrack, landmarkBox, trackingBox } from "./crop.ts";
import { backgroundStage, personMasker } from "./pipeline_background.ts";
import {
  positive,
  type PreprocessOptions,
  type PreprocessStep,
  type PreprocessSummary,
  type StageContext,
} from "./pipeline_options.ts";
import { parsingStage } from "./pipeline_parsing.ts";
import { poseStage } from "./pipeline_pose.ts";
import { meanAngularStep, smoothSeries } from "./smooth.ts";
import { type FaceDetector, fillMissing, trackFace } from "./track.ts";
import { describeImplausible, implausibleFaces } from "./plausible_face.ts";

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
    const ctx: StageContext = { tmp, size, quality, options, warn, progress };
    const { focal, focalSource, focalCurve, focalInterval, raw, rawPath, path } = await poseStage(ctx, {
      videoPath,
      info,
      fps,
      crop,
      lms,
      cropped,
      tracked: track.landmarks,
    });
    endStep("pose");

    // 5. Background.
    const personOf = personMasker(size, segmenter);
    const bg = await backgroundStage(ctx, samples, lms, personOf);
    endStep("background");

    // 6. Parsing.
    const { kind, palette, areas } = await parsingStage(ctx, lms, personOf, bg.image, crop, info);
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
