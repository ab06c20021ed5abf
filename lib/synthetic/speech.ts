/**
 * Speech for the synthetic talking portrait: the committed espeak-ng sentences under `fixtures/speech/`
 * and their concatenation into one training clip.
 * @module
 */
import { readMono16k } from "../io/wav.ts";

/** Sample rate of all speech in this module, Hz. */
export const SPEECH_RATE = 16000;

/** The committed training sentences (in order) and the held-out one, relative to `fixtures/speech/`. */
export const SPEECH_FILES = {
  train: ["s1.wav", "s2.wav", "s3.wav", "s4.wav"],
  heldout: "heldout.wav",
} as const;

/** Options of {@linkcode concatSpeech}. */
export interface ConcatOptions {
  /** Silence inserted between clips, seconds. @default {0.25} */
  readonly pauseSeconds?: number;
  /** Sample rate of the clips, Hz (used to size the pauses). @default {16000} */
  readonly sampleRate?: number;
}

/**
 * Joins clips with a short silence between them, so that the mouth closes between sentences.
 * @param clips Mono clips at one sample rate.
 * @param options Pause length and sample rate.
 * @returns One clip: clip 1, pause, clip 2, ..., clip n (no pause at the ends).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { concatSpeech } from "./speech.ts";
 * const out = concatSpeech([new Float32Array([1, 1]), new Float32Array([2])], { pauseSeconds: 0.5, sampleRate: 4 });
 * assertEquals(Array.from(out), [1, 1, 0, 0, 2]);
 * ```
 */
export function concatSpeech(clips: readonly Float32Array[], options: ConcatOptions = {}): Float32Array {
  const rate = options.sampleRate ?? SPEECH_RATE;
  const pauseSeconds = options.pauseSeconds ?? 0.25;
  if (!(pauseSeconds >= 0)) throw new Error(`speech.ts: pauseSeconds must be >= 0: got ${pauseSeconds}`);
  const pause = Math.round(pauseSeconds * rate);
  const total = clips.reduce((s, c) => s + c.length, 0) + pause * Math.max(0, clips.length - 1);
  const out = new Float32Array(total);
  let at = 0;
  clips.forEach((c, i) => {
    if (i > 0) at += pause;
    out.set(c, at);
    at += c.length;
  });
  return out;
}

/**
 * Reads the training speech of the fixture: the sentences of {@linkcode SPEECH_FILES}.train from a
 * folder, at 16 kHz mono, joined by {@linkcode concatSpeech}.
 * @param speechDir Folder holding the WAVs (the repository's `fixtures/speech`).
 * @param options Pause between sentences.
 * @returns 16 kHz mono samples.
 */
export async function loadTrainingSpeech(
  speechDir: string,
  options: ConcatOptions = {},
): Promise<Float32Array> {
  const clips: Float32Array[] = [];
  for (const name of SPEECH_FILES.train) clips.push(await readMono16k(`${speechDir}/${name}`));
  return concatSpeech(clips, { ...options, sampleRate: SPEECH_RATE });
}
