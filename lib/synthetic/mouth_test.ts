import { assert, assertAlmostEquals, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { readMono16k } from "../io/wav.ts";
import { mouthOpeningFromAudio, pearson, rmsEnvelope } from "./mouth.ts";

const SR = 16000;

/** Bursts of a tone whose loudness follows a slow envelope, with silent gaps. */
function syllables(seconds: number): { audio: Float32Array; level: (t: number) => number } {
  const level = (t: number) =>
    Math.max(0, Math.sin(2 * Math.PI * 1.3 * t)) * (0.5 + 0.5 * Math.sin(2 * Math.PI * 0.31 * t) ** 2);
  const audio = Float32Array.from(
    { length: seconds * SR },
    (_, i) => 0.4 * level(i / SR) * Math.sin(2 * Math.PI * 220 * i / SR),
  );
  return { audio, level };
}

Deno.test("rmsEnvelope: the RMS of a sine is amplitude / sqrt 2; frames default to the audio length", () => {
  const sine = Float32Array.from({ length: SR }, (_, i) => 0.5 * Math.sin(2 * Math.PI * 250 * i / SR));
  const env = rmsEnvelope(sine, SR);
  assertEquals(env.length, 25);
  assertAlmostEquals(env[12], 0.5 / Math.SQRT2, 1e-3);
  assertEquals(rmsEnvelope(sine, SR, { numFrames: 50 }).length, 50);
  assertEquals(rmsEnvelope(sine, SR, { numFrames: 50 })[40], 0); // past the end: silence
});

Deno.test("mouth opening follows the loudness: Pearson > 0.9 with the envelope, closed in silence", () => {
  const { audio, level } = syllables(6);
  const open = mouthOpeningFromAudio(audio, SR);
  assertEquals(open.length, 150);
  assert(open.every((v) => v >= 0 && v <= 1));
  const truth = Array.from({ length: 150 }, (_, i) => level((i + 0.5) / 25));
  assertGreater(pearson(open, truth), 0.9);
  assertGreater(Math.max(...open), 0.99);
  // the gaps between syllables close the mouth
  const closed = open.filter((v) => v === 0).length;
  assertGreater(closed, 20);
});

Deno.test("mouth opening is loudness-normalised and silent audio keeps the mouth closed", () => {
  const { audio } = syllables(3);
  const quiet = audio.map((v) => v * 0.1);
  const a = mouthOpeningFromAudio(audio, SR), b = mouthOpeningFromAudio(quiet, SR);
  for (let i = 0; i < a.length; i++) assertAlmostEquals(a[i], b[i], 1e-4);
  assert(mouthOpeningFromAudio(new Float32Array(SR), SR).every((v) => v === 0));
  assertThrows(() => mouthOpeningFromAudio(audio, SR, { gate: 1 }), Error, "gate");
  assertThrows(() => rmsEnvelope(audio, 0), Error, "sampleRate");
});

Deno.test("on the committed speech, the mouth opening tracks the raw RMS envelope (Pearson > 0.8)", async () => {
  const speech = await readMono16k(new URL("../../fixtures/speech/s1.wav", import.meta.url).pathname);
  const open = mouthOpeningFromAudio(speech, SR);
  const env = rmsEnvelope(speech, SR, { windowSeconds: 0.04 });
  assertGreater(pearson(open, env), 0.8);
});

Deno.test("pearson: +1, -1, and length mismatch", () => {
  assertAlmostEquals(pearson([1, 2, 3, 4], [10, 20, 30, 40]), 1, 1e-12);
  assertAlmostEquals(pearson([1, 2, 3, 4], [4, 3, 2, 1]), -1, 1e-12);
  assertThrows(() => pearson([1, 2], [1]), Error, "equal lengths");
});
