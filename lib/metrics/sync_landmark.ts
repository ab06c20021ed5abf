/**
 * LA-Sync (landmark-audio, training-free): a lip-sync score that follows SyncNet's offset protocol
 * (see sync_offsets.ts) with no trained network, from two 25 fps series:
 *
 * - video: mouth opening per frame, the inner-lip gap over the inter-ocular distance
 *   (lib/landmarks `mouthOpening`), from any 68-point landmarks (ground truth or face-api);
 * - audio: log frame energy of the MFCC front end (lib/audio `logEnergy`, c0 of python_speech_features'
 *   MFCC, 25 ms frames every 10 ms), floored `dynamicRangeDb` below the clip's loudest step so digital
 *   silence (log 2.2e-16 = -36) does not dominate, then averaged over the 100 Hz steps of each video
 *   frame (steps 4j..4j+3 at 25 fps: the alignment syncnet_python uses for its MFCC windows).
 *
 * Both series are detrended by subtracting a centred moving average over `detrendSeconds` (1 s): what
 * is left is the syllable-rate motion (3-8 Hz) that pins the offset down, not the sentence-level
 * envelope, which would make the distance curve broad.
 *
 * Distance per offset o: d(o) = 1 - r(o), r the Pearson correlation of mouth[i] and energy[i - o] over
 * every frame i where both exist, so d is in [0, 2]. **Global, not windowed:** SyncNet averages a
 * distance over 5-frame windows because its embeddings are per window; a Pearson correlation over 5
 * samples is very noisy and undefined wherever the mouth rests (pauses), so a per-window mean would be
 * dominated by noise. One correlation over the whole overlap is the same average of products, weighted
 * by how much each window actually moves. Frames without landmarks (no face found) are left out of the
 * moving average and of every correlation, and counted in `framesWithoutFace`.
 *
 * Values range from confidence 0 (no offset stands out) to ~1-2; they are not comparable with
 * SyncNet's confidence (LSE-C) and are reported as "LA-Sync".
 * @module
 */
import { logEnergy } from "../audio/features.ts";
import { mouthOpening } from "../landmarks/mouth.ts";
import { LA_SYNC_NAME, offsetRange, offsetSearch, SYNC_MAX_OFFSET, type SyncScore } from "./sync_offsets.ts";

/** Options of {@linkcode laSync}. */
export interface LaSyncOptions {
  /** Video frame rate. @default {25} */
  readonly fps?: number;
  /** Audio sample rate. @default {16000} */
  readonly sampleRate?: number;
  /** Offsets searched: -maxOffset..maxOffset frames. @default {15} */
  readonly maxOffset?: number;
  /** Length of the moving average subtracted from both series, seconds (0: no detrending). @default {1} */
  readonly detrendSeconds?: number;
  /** Floor of the audio energy below the clip's loudest 10 ms step, dB. @default {60} */
  readonly dynamicRangeDb?: number;
  /** Fewest frame pairs for an offset's correlation; offsets with fewer get NaN. @default {10} */
  readonly minPairs?: number;
  /** Score only video frames in [start, end); the audio still comes from the whole track (so offsets
   * reach outside the range). @default {the whole clip} */
  readonly range?: { readonly start: number; readonly end: number };
}

/**
 * Audio log energy per video frame: `logEnergy` at 100 Hz, floored `dynamicRangeDb` below its maximum,
 * averaged over the steps t with floor(t fps / 100) = j, i.e. steps 4j..4j+3 at 25 fps (the last
 * frame may have fewer). floor(duration x fps) frames.
 * @param audio Mono samples.
 * @param options Frame rate, sample rate, dynamic range.
 * @returns One natural-log energy per video frame.
 * @example
 * ```ts
 * import { assertEquals, assertAlmostEquals } from "@std/assert";
 * import { frameLogEnergy } from "./sync_landmark.ts";
 * // 0.2 s of silence then 0.2 s of a tone at 16 kHz: 10 video frames of 40 ms
 * const x = Float32Array.from({ length: 6400 }, (_, i) => (i < 3200 ? 0 : Math.sin(i * 1.3) * 0.5));
 * const e = frameLogEnergy(x);
 * assertEquals(e.length, 10);
 * assertEquals(e[0], e[1]); // silence sits on the floor...
 * assertAlmostEquals(e[7] - e[0], 60 * Math.log(10) / 10, 0.05); // ...60 dB (13.8 nats) below the tone
 * ```
 */
export function frameLogEnergy(
  audio: Float32Array,
  options: Pick<LaSyncOptions, "fps" | "sampleRate" | "dynamicRangeDb"> = {},
): Float64Array {
  const fps = options.fps ?? 25, sr = options.sampleRate ?? 16000;
  const rangeDb = options.dynamicRangeDb ?? 60;
  if (!(fps > 0 && fps <= 100)) throw new Error(`frameLogEnergy: fps must be in (0, 100]: got ${fps}`);
  if (!(rangeDb > 0)) throw new Error(`frameLogEnergy: dynamicRangeDb must be > 0: got ${rangeDb}`);
  if (!(audio instanceof Float32Array) || audio.length === 0) {
    throw new Error("frameLogEnergy: audio must be a non-empty Float32Array of mono samples");
  }
  const steps = logEnergy(audio, sr);
  let max = -Infinity;
  for (const v of steps) max = Math.max(max, v);
  const floor = max - (rangeDb / 10) * Math.LN10;
  // Step t covers [t/100, t/100 + 0.025) s; it belongs to video frame floor(t fps / 100). The last
  // frame may have fewer steps (the framing rule drops a final partial 25 ms frame).
  const firstStep = (j: number) => Math.ceil((j * 100) / fps - 1e-9);
  let n = Math.floor((audio.length / sr) * fps + 1e-9);
  while (n > 0 && firstStep(n - 1) >= steps.length) n--;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const a = firstStep(j), b = Math.min(firstStep(j + 1), steps.length);
    let s = 0;
    for (let t = a; t < b; t++) s += Math.max(floor, steps[t]);
    out[j] = s / (b - a);
  }
  return out;
}

/**
 * x minus its centred moving average over `window` samples (truncated at the ends); NaN entries are
 * skipped in the averages and stay NaN.
 * @param x The series; NaN marks a missing sample.
 * @param window Samples in the average (odd; an even count is made odd by adding one); 1 or less
 *   returns a copy.
 * @returns A new series.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { detrend } from "./sync_landmark.ts";
 * assertEquals(Array.from(detrend([1, 2, 3, 4, 5], 3)), [-0.5, 0, 0, 0, 0.5]); // a line keeps only its ends
 * assertEquals(Array.from(detrend([1, NaN, 3], 5)), [-1, NaN, 1]); // the gap is skipped
 * ```
 */
export function detrend(x: ArrayLike<number>, window: number): Float64Array {
  const n = x.length, out = new Float64Array(n);
  if (window <= 1) {
    for (let i = 0; i < n; i++) out[i] = x[i];
    return out;
  }
  const half = Math.floor(window / 2);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i])) {
      out[i] = NaN;
      continue;
    }
    let s = 0, c = 0;
    for (let k = Math.max(0, i - half); k <= Math.min(n - 1, i + half); k++) {
      if (!Number.isNaN(x[k])) s += x[k], c++;
    }
    out[i] = x[i] - s / c;
  }
  return out;
}

/** Pearson r of a[i] and b[i - lag] over the i in [start, end) where both are finite; NaN if < minPairs. */
function laggedPearson(
  a: Float64Array,
  b: Float64Array,
  lag: number,
  start: number,
  end: number,
  minPairs: number,
): { r: number; pairs: number } {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = Math.max(start, lag); i < Math.min(end, b.length + lag); i++) {
    const x = a[i], y = b[i - lag];
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    n++, sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
  }
  if (n < minPairs) return { r: NaN, pairs: n };
  const cov = sab - (sa * sb) / n, va = saa - (sa * sa) / n, vb = sbb - (sb * sb) / n;
  if (!(va > 0 && vb > 0)) return { r: NaN, pairs: n };
  return { r: cov / Math.sqrt(va * vb), pairs: n };
}

/**
 * LA-Sync of a clip: SyncNet's offset search with d(o) = 1 - Pearson(detrended mouth opening[i],
 * detrended audio energy[i - o]) (see the module doc for the choices and their reasons).
 * @param landmarks Per video frame: 68 points as 136 numbers (pixels), or null where no face was found.
 * @param audio Mono audio at `sampleRate` (16 kHz), starting with the video's first frame.
 * @param options Frame rate, offsets, detrending, dynamic range, scored range.
 * @returns The {@linkcode SyncScore}, named {@linkcode LA_SYNC_NAME}; `offset` has syncnet_python's
 *   sign (positive: audio leads; audio delayed by 5 frames gives -5).
 * @throws When fewer than `minPairs` frames overlap at every offset.
 * @example
 * ```ts
 * import { assertEquals, assertGreater } from "@std/assert";
 * import { laSync } from "./sync_landmark.ts";
 * // A mouth that opens exactly while 40 ms bursts of noise sound, in a random rhythm.
 * let seed = 3;
 * const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
 * const open = Array.from({ length: 150 }, () => (rand() < 0.4 ? 1 : 0));
 * const audio = new Float32Array(150 * 640);
 * open.forEach((o, j) => { for (let k = 0; k < 640; k++) audio[j * 640 + k] = o ? rand() - 0.5 : 0.001 * (rand() - 0.5); });
 * const face = (o: number) => {
 *   const p = new Float32Array(136);
 *   p[2 * 45] = 100; // eyes 100 px apart
 *   for (const i of [65, 66, 67]) p[2 * i + 1] = 5 + 20 * o; // inner-lip gap
 *   return p;
 * };
 * const s = laSync(open.map(face), audio);
 * assertEquals(s.offset, 0);
 * assertGreater(s.confidence, 0.8);
 * ```
 */
export function laSync(
  landmarks: readonly (Float32Array | null)[],
  audio: Float32Array,
  options: LaSyncOptions = {},
): SyncScore {
  const fps = options.fps ?? 25;
  const maxOffset = options.maxOffset ?? SYNC_MAX_OFFSET;
  const minPairs = options.minPairs ?? 10;
  const detrendSeconds = options.detrendSeconds ?? 1;
  if (!(detrendSeconds >= 0)) throw new Error(`laSync: detrendSeconds must be >= 0: got ${detrendSeconds}`);
  if (!Number.isInteger(minPairs) || minPairs < 3) {
    throw new Error(`laSync: minPairs must be an integer >= 3: got ${minPairs}`);
  }
  const n = landmarks.length;
  const start = options.range?.start ?? 0, end = options.range?.end ?? n;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end && end <= n)) {
    throw new Error(
      `laSync: range must be integers with 0 <= start < end <= ${n} frames: got [${start}, ${end})`,
    );
  }
  const mouth = new Float64Array(n);
  let withoutFace = 0;
  landmarks.forEach((l, i) => {
    mouth[i] = l ? mouthOpening(l) : NaN;
    if (!l && i >= start && i < end) withoutFace++;
  });
  const window = Math.round(detrendSeconds * fps);
  const m = detrend(mouth, window);
  const e = detrend(frameLogEnergy(audio, options), window);
  const offsets = offsetRange(maxOffset);
  const distances: number[] = [], pairs: number[] = [];
  for (const o of offsets) {
    // offset o pairs video frame i with audio frame i - o (syncnet_python's sign)
    const { r, pairs: p } = laggedPearson(m, e, o, start, end, minPairs);
    distances.push(1 - r);
    pairs.push(p);
  }
  if (!distances.some(Number.isFinite)) {
    throw new Error(
      `laSync: fewer than ${minPairs} frames with a face, a moving mouth and audio overlap at every offset ` +
        `(${
          end - start
        } frames, ${withoutFace} without a face, ${e.length} audio frames): expected a longer clip`,
    );
  }
  return {
    name: LA_SYNC_NAME,
    ...offsetSearch(distances, offsets),
    offsets,
    distances,
    pairs,
    frames: end - start,
    framesWithoutFace: withoutFace,
  };
}
