/**
 * Writes a complete synthetic talking-portrait dataset in the AD-NeRF / SSP-NeRF layout, with exact
 * ground truth beside it.
 * @module
 */
import { computeAudioFeatures } from "../audio/windows.ts";
import { formatTransforms } from "../data/write_transforms.ts";
import { frameSplit } from "../data/split.ts";
import { parsingToImage, SSPNERF11 } from "../data/palette.ts";
import type { FrameMeta } from "../data/types.ts";
import { pathExists } from "../io/atomic.ts";
import { encodeJpeg, encodePng } from "../io/image.ts";
import { encodeNpy } from "../io/npy.ts";
import { encodeWav, readMono16k } from "../io/wav.ts";
import type { FrameParams } from "./body.ts";
import { eyeSignalFromLandmarks } from "../landmarks/eye.ts";
import { BLINK_DEFAULTS, type BlinkOptions, blinkSchedule, evenBlinks, eyeClosurePath } from "./blink.ts";
import {
  COUPLED_TORSO_DEFAULTS,
  type CoupledTorsoOptions,
  coupledTorsoPath,
  HEAD_MOTION_DEFAULTS,
  headPosePath,
  TORSO_COUPLING_GAINS,
  TORSO_MOTION_DEFAULTS,
  type TorsoPart,
} from "./motion.ts";
import { mouthOpeningFromAudio } from "./mouth.ts";
import { renderBackground, renderFrame } from "./render.ts";
import { c2wFromPose, type RigidPose } from "./rigid.ts";
import { portraitScene } from "./scene.ts";
import { SPEECH_RATE } from "./speech.ts";

/** Options of {@linkcode generatePortraitDataset}. */
export interface SyntheticOptions {
  /** The speech: 16 kHz mono samples in [-1, 1], or a WAV path (mixed to mono, resampled to 16 kHz). */
  readonly speech: Float32Array | string;
  /** Image width, pixels. @default {128} */
  readonly width?: number;
  /** Image height, pixels. @default {128} */
  readonly height?: number;
  /** Video frames per second. @default {25} */
  readonly fps?: number;
  /** Seed of the head and torso motion. @default {0} */
  readonly seed?: number;
  /** Frames N; default: every whole frame of the speech, floor(seconds * fps). The written `aud.wav`
   * lasts exactly N / fps seconds (cut, or padded with silence). */
  readonly numFrames?: number;
  /** Largest head rotation per axis (x nod, y turn, z tilt), degrees. @default {[10, 15, 8]} */
  readonly poseAmplitudeDeg?: number | readonly [number, number, number];
  /** Torso motion (see `coupledTorsoPath`): the head-following part's scale `coupling` (default 1) and
   * gains, the independent residual's scale `residual` (default 0.15) and its full-scale amplitudes
   * (`amplitudeDeg`, `translationAmplitude`), the lag behind the head (`lagSeconds`, default 0).
   * `{ coupling: 0, residual: 1 }` gives the torso of version 1 (its own sway, independent of the head). */
  readonly torsoMotion?: Pick<
    CoupledTorsoOptions,
    "amplitudeDeg" | "translationAmplitude" | "coupling" | "residual" | "lagSeconds" | "gains"
  >;
  /** Blinks: a seeded schedule over the training frames (`intervalSeconds`, default [1.5, 3.5];
   * `durationSeconds`, default [0.2, 0.3]; seeded by `seed`) and `heldOut` blinks (default 3) spread
   * evenly over the validation frames, so that held-out frames with shut eyes exist. `false`: the eyes
   * never close. */
  readonly blinks?: false | (Omit<BlinkOptions, "seed"> & { readonly heldOut?: number });
  /** Seed of another person's look (`identityLook`: skin, hair, clothing, background). Absent: the
   * committed portrait. */
  readonly identity?: number;
  /** JPEG quality of frames and background. @default {95} */
  readonly jpegQuality?: number;
  /** Replace `outDir` when it exists (otherwise that is an error). @default {false} */
  readonly overwrite?: boolean;
  /** Where the speech came from, recorded in `synthetic_gt.json` (default: the path, or the sample count). */
  readonly speechLabel?: string;
  /** Called after each frame is written. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@linkcode generatePortraitDataset} wrote. */
export interface SyntheticSummary {
  readonly outDir: string;
  readonly numFrames: number;
  readonly numTrain: number;
  readonly numVal: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly focal: number;
  /** Length of `aud.wav`, seconds. */
  readonly audioSeconds: number;
  /** Files and bytes written. */
  readonly files: number;
  readonly bytes: number;
  /** Wall time, milliseconds. */
  readonly elapsedMs: number;
}

/** Length of each blink spread over the validation frames, seconds. */
export const HELD_OUT_BLINK_SECONDS = 0.24;

/** Version of the generator's output; bump when the pictures or the ground truth change. */
export const SYNTHETIC_VERSION = 2;

/**
 * The face box of a frame (`face_rect`): the box around the landmarks, grown by `scale` about its
 * centre, clamped to the image, in whole pixels (left and top rounded down, right and bottom up).
 * @param landmarks 68 x 2 pixel coordinates.
 * @param image Image size in pixels, and `scale`, the growth factor of the box's sides (default 1.3).
 * @returns [x, y, w, h] integers.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { faceRect } from "./dataset.ts";
 * assertEquals(faceRect(new Float32Array([10, 10, 20, 30]), { width: 64, height: 64, scale: 1 }), [10, 10, 10, 20]);
 * ```
 */
export function faceRect(
  landmarks: Float32Array,
  image: { readonly width: number; readonly height: number; readonly scale?: number },
): [number, number, number, number] {
  const { width, height, scale = 1.3 } = image;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < landmarks.length; i += 2) {
    x0 = Math.min(x0, landmarks[i]);
    x1 = Math.max(x1, landmarks[i]);
    y0 = Math.min(y0, landmarks[i + 1]);
    y1 = Math.max(y1, landmarks[i + 1]);
  }
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, hw = ((x1 - x0) * scale) / 2, hh = ((y1 - y0) * scale) / 2;
  const l = Math.max(0, Math.floor(cx - hw)), t = Math.max(0, Math.floor(cy - hh));
  const r = Math.min(width, Math.ceil(cx + hw)), b = Math.min(height, Math.ceil(cy + hh));
  return [l, t, Math.max(0, r - l), Math.max(0, b - t)];
}

function landmarkText(lms: Float32Array): string {
  const lines: string[] = [];
  for (let i = 0; i < lms.length; i += 2) lines.push(`${lms[i].toFixed(4)} ${lms[i + 1].toFixed(4)}`);
  return lines.join("\n") + "\n";
}

const poseJson = (p: RigidPose) => ({ euler: [...p.euler], trans: [...p.trans] });
const partJson = (p: TorsoPart) => ({ euler: [...p.euler], offset: [...p.offset] });

/** JSON with two-space indents, but arrays of numbers (and one frame's record) on one line. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_, inner: string) => `[${inner.split(/,\s*/).join(", ")}]`,
  ) + "\n";
}

function siblingTemp(path: string, tag: string): string {
  const trimmed = path.replace(/[\\/]+$/, "");
  const i = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  const dir = i < 0 ? "." : trimmed.slice(0, i) || "/";
  const base = trimmed.slice(i + 1);
  if (!base || base === "." || base === "..") {
    throw new Error(`dataset.ts: outDir must name a folder: got ${JSON.stringify(path)}`);
  }
  return `${dir}/.${base}.${tag}-${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Generates the synthetic talking-portrait dataset: renders the portrait speaking `speech` and writes
 *
 * - `ori_imgs/<i>.jpg` frames and `ori_imgs/<i>.lms` landmarks (68 lines `x y`, pixel (u, v)'s centre at
 *   (u + 0.5, v + 0.5)), i = 0..N-1;
 * - `parsing/<i>.png` (SSPNERF11 palette), `bc.jpg` (background alone);
 * - `aud.wav` (16 kHz mono pcm16, N / fps seconds) and `aud.npy` ([N, 16, 13] MFCC windows);
 * - `transforms_train.json` / `transforms_val.json` (first floor(10 N / 11) frames train, the rest
 *   validate, as AD-NeRF's `int(N * 10 / 11)`) with `focal_len`, `cx`, `cy` and per frame `img_id`,
 *   `aud_id`, `transform_matrix` (c2w = [R^T | -R^T t], float32), `face_rect`, `euler`, `trans`;
 * - `synthetic_gt.json`: options, scene (units, camera, near/far), class names, the blinks, and per frame
 *   the mouth opening, lip separation, eyelid closure, head and torso poses, the torso's head-following
 *   and residual parts, and the landmarks the head hides.
 * - per frame in the transforms, `eye`: the eye openness measured from the written landmarks
 *   (`eyeSignalFromLandmarks`).
 *
 * Everything is written into a temporary folder beside `outDir`, which is renamed to `outDir` at the end:
 * a failed run leaves no half-written dataset. The same options give the same bytes.
 * @param outDir Destination folder.
 * @param options Speech, size, seed, motion.
 * @returns A summary.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generatePortraitDataset } from "./dataset.ts";
 * const dir = await Deno.makeTempDir();
 * const speech = Float32Array.from({ length: 16000 * 0.2 }, (_, i) => 0.3 * Math.sin(i / 7));
 * const s = await generatePortraitDataset(`${dir}/data`, { speech, width: 16, height: 16 });
 * assertEquals([s.numFrames, s.numTrain, s.numVal], [5, 4, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function generatePortraitDataset(
  outDir: string,
  options: SyntheticOptions,
): Promise<SyntheticSummary> {
  const start = performance.now();
  const fps = options.fps ?? 25;
  const seed = options.seed ?? 0;
  const quality = options.jpegQuality ?? 95;
  if (!(fps > 0)) throw new Error(`dataset.ts: options.fps must be > 0: got ${fps}`);
  if (!Number.isInteger(seed)) throw new Error(`dataset.ts: options.seed must be an integer: got ${seed}`);
  if (!(quality >= 1 && quality <= 100)) {
    throw new Error(`dataset.ts: options.jpegQuality must be in [1, 100]: got ${quality}`);
  }
  const scene = portraitScene({ width: options.width, height: options.height, identity: options.identity });
  const speech = typeof options.speech === "string" ? await readMono16k(options.speech) : options.speech;
  if (!(speech instanceof Float32Array)) {
    throw new Error("dataset.ts: options.speech must be a Float32Array of 16 kHz samples or a WAV path");
  }
  const N = options.numFrames ?? Math.floor((speech.length / SPEECH_RATE) * fps);
  if (!Number.isInteger(N) || N < 2) {
    throw new Error(
      `dataset.ts: the dataset needs at least 2 frames (numFrames or ${fps} fps of speech): got ${N}` +
        (options.numFrames === undefined
          ? ` from ${(speech.length / SPEECH_RATE).toFixed(3)} s of speech`
          : ""),
    );
  }
  if (!options.overwrite && await pathExists(outDir)) {
    throw new Error(`dataset.ts: ${outDir} exists: remove it or pass overwrite: true`);
  }
  const audio = new Float32Array(Math.round((N / fps) * SPEECH_RATE));
  audio.set(speech.subarray(0, audio.length));
  const mouth = mouthOpeningFromAudio(audio, SPEECH_RATE, { numFrames: N, fps });
  const head = headPosePath(N, {
    fps,
    seed,
    amplitudeDeg: options.poseAmplitudeDeg,
    pivot: scene.headPivot,
    restPosition: scene.headRest,
  });
  const torso = coupledTorsoPath(head, {
    fps,
    seed,
    ...options.torsoMotion,
    headPivot: scene.headPivot,
    headRest: scene.headRest,
    pivot: scene.torsoPivot,
    restPosition: scene.torsoRest,
  });
  const { train: trainIds, val: valIds } = frameSplit(N);
  const blinkOptions = options.blinks === false ? undefined : options.blinks ?? {};
  const heldOut = blinkOptions?.heldOut ?? 3;
  if (!Number.isInteger(heldOut) || heldOut < 0) {
    throw new Error(`dataset.ts: options.blinks.heldOut must be an integer >= 0: got ${heldOut}`);
  }
  // as many of them as fit in the validation frames' time
  const heldOutFit = Math.min(heldOut, Math.floor(valIds.length / fps / HELD_OUT_BLINK_SECONDS));
  // random blinks over the training frames (ending 0.1 s before the split), evenly spread ones over the
  // validation frames
  const blinks = blinkOptions
    ? [
      ...blinkSchedule(0, trainIds.length / fps - 0.1, { ...blinkOptions, seed }),
      ...evenBlinks(trainIds.length / fps, N / fps, heldOutFit, HELD_OUT_BLINK_SECONDS),
    ]
    : [];
  const closure = eyeClosurePath(blinks, N, fps);

  const tmp = siblingTemp(outDir, "tmp");
  let files = 0, bytes = 0;
  const put = async (rel: string, data: Uint8Array | string) => {
    const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
    await Deno.writeFile(`${tmp}/${rel}`, b);
    files++;
    bytes += b.length;
  };
  try {
    await Deno.mkdir(`${tmp}/ori_imgs`, { recursive: true });
    await Deno.mkdir(`${tmp}/parsing`);
    const metas: FrameMeta[] = [];
    const gtFrames: unknown[] = [];
    const landmarks: Float32Array[] = [];
    for (let i = 0; i < N; i++) {
      const frame: FrameParams = {
        head: head[i],
        torso: torso.poses[i],
        mouthOpen: mouth[i],
        eyeClosure: closure[i],
      };
      const r = renderFrame(scene, frame);
      landmarks.push(r.landmarks);
      await put(`ori_imgs/${i}.jpg`, encodeJpeg(r.rgb, quality));
      await put(`ori_imgs/${i}.lms`, landmarkText(r.landmarks));
      await put(
        `parsing/${i}.png`,
        encodePng(parsingToImage(r.parsing, scene.width, scene.height, SSPNERF11)),
      );
      metas.push({
        imgId: i,
        audId: i,
        c2w: new Float32Array(c2wFromPose(head[i]).flat()),
        faceRect: faceRect(r.landmarks, scene),
        euler: head[i].euler,
        trans: head[i].trans,
      });
      gtFrames.push({
        id: i,
        mouthOpen: mouth[i],
        lipSeparation: mouth[i] * scene.maxLipSeparation,
        eyeClosure: closure[i],
        head: poseJson(head[i]),
        torso: poseJson(torso.poses[i]),
        torsoCoupled: partJson(torso.coupled[i]),
        torsoResidual: partJson(torso.residual[i]),
        hiddenLandmarks: [...r.landmarkVisible].flatMap((v, k) => (v ? [] : [k])),
      });
      options.onProgress?.(i + 1, N);
    }
    // the eye signal as a loader computes it from the written .lms files (4 decimals)
    const eye = eyeSignalFromLandmarks(
      landmarks.map((l) => Float32Array.from(l, (v) => Number(v.toFixed(4)))),
    );
    metas.forEach((m, i) => metas[i] = { ...m, eye: eye[i] });
    await put("bc.jpg", encodeJpeg(renderBackground(scene), quality));
    await put("aud.wav", encodeWav({ sampleRate: SPEECH_RATE, channels: [audio] }, "pcm16"));
    const feats = computeAudioFeatures(audio, SPEECH_RATE, N, { kind: "mfcc", fps });
    await put("aud.npy", encodeNpy({ dtype: "float32", shape: feats.shape, data: feats.data }));
    const { train, val } = frameSplit(N);
    const intr = { focal: scene.focal, cx: scene.cx, cy: scene.cy };
    await put("transforms_train.json", formatTransforms({ ...intr, frames: train.map((i) => metas[i]) }));
    await put("transforms_val.json", formatTransforms({ ...intr, frames: val.map((i) => metas[i]) }));
    const gt = {
      generator: "ssp-nerf toolkit lib/synthetic",
      version: SYNTHETIC_VERSION,
      seed,
      options: {
        width: scene.width,
        height: scene.height,
        fps,
        numFrames: N,
        poseAmplitudeDeg: options.poseAmplitudeDeg ?? HEAD_MOTION_DEFAULTS.amplitudeDeg,
        torsoMotion: {
          amplitudeDeg: options.torsoMotion?.amplitudeDeg ?? TORSO_MOTION_DEFAULTS.amplitudeDeg,
          translationAmplitude: options.torsoMotion?.translationAmplitude ??
            TORSO_MOTION_DEFAULTS.translationAmplitude,
          coupling: options.torsoMotion?.coupling ?? COUPLED_TORSO_DEFAULTS.coupling,
          residual: options.torsoMotion?.residual ?? COUPLED_TORSO_DEFAULTS.residual,
          lagSeconds: options.torsoMotion?.lagSeconds ?? COUPLED_TORSO_DEFAULTS.lagSeconds,
          gains: { ...TORSO_COUPLING_GAINS, ...options.torsoMotion?.gains },
        },
        blinks: blinkOptions
          ? {
            intervalSeconds: blinkOptions.intervalSeconds ?? BLINK_DEFAULTS.intervalSeconds,
            durationSeconds: blinkOptions.durationSeconds ?? BLINK_DEFAULTS.durationSeconds,
            heldOut,
          }
          : false,
        identity: options.identity ?? null,
        headTranslationAmplitude: HEAD_MOTION_DEFAULTS.translationAmplitude,
        jpegQuality: quality,
        speech: options.speechLabel ??
          (typeof options.speech === "string"
            ? options.speech
            : `${options.speech.length} samples at 16 kHz`),
      },
      units: scene.units,
      image: { width: scene.width, height: scene.height },
      camera: {
        focal: scene.focal,
        cx: scene.cx,
        cy: scene.cy,
        convention: "OpenGL camera at the origin looking along -z, x right, y up; pixel (u, v) ray " +
          "((u + 0.5 - cx) / f, -(v + 0.5 - cy) / f, -1); head X -> R X + t, R = Rx(a) Ry(b) Rz(c); " +
          "c2w = [R^T | -R^T t]; torso Y -> Rt Y + tt",
      },
      near: scene.near,
      far: scene.far,
      backgroundDepth: scene.backgroundDepth,
      classNames: SSPNERF11.classNames,
      split: { numTrain: train.length, numVal: val.length, rule: "first floor(10 N / 11) frames train" },
      torsoModel: "torso = coupled part (a function of the current head pose, `torsoFromHead`, scaled by " +
        "coupling, lagSeconds behind the head) + residual (its own sway, scaled by residual); per frame " +
        "torsoCoupled / torsoResidual hold each part's euler (radians, added) and pivot offset (scene units, " +
        "added to the rest position)",
      eye: "per frame eyeClosure in [0, 1] (0 open, 1 shut) is the truth; transforms_*.json's eye is the " +
        "eye openness measured from the written landmarks (eye aspect ratio / its 90th percentile, clamped)",
      blinks,
      scene,
      frames: gtFrames,
    };
    const frameLines = gtFrames.map((f) => `    ${JSON.stringify(f)}`).join(",\n");
    const top = jsonText({ ...gt, frames: "@FRAMES@" });
    await put("synthetic_gt.json", top.replace(`"@FRAMES@"`, `[\n${frameLines}\n  ]`));
    await moveDirIntoPlace(tmp, outDir, options.overwrite ?? false);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return {
    outDir,
    numFrames: N,
    numTrain: frameSplit(N).train.length,
    numVal: frameSplit(N).val.length,
    width: scene.width,
    height: scene.height,
    fps,
    focal: scene.focal,
    audioSeconds: audio.length / SPEECH_RATE,
    files,
    bytes,
    elapsedMs: performance.now() - start,
  };
}

/** Renames a finished folder onto `outDir`, moving an old `outDir` aside first (and removing it after). */
async function moveDirIntoPlace(tmp: string, outDir: string, overwrite: boolean): Promise<void> {
  if (await pathExists(outDir)) {
    if (!overwrite) throw new Error(`dataset.ts: ${outDir} appeared while generating: not replacing it`);
    const old = siblingTemp(outDir, "old");
    await Deno.rename(outDir, old);
    await Deno.rename(tmp, outDir);
    await Deno.remove(old, { recursive: true });
  } else {
    await Deno.rename(tmp, outDir);
  }
}
