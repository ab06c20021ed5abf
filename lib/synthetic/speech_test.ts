import { assert, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import { readWav } from "../io/wav.ts";
import { concatSpeech, loadTrainingSpeech, SPEECH_FILES, SPEECH_RATE } from "./speech.ts";

const DIR = new URL("../../fixtures/speech", import.meta.url).pathname;

Deno.test("the committed sentences are 16 kHz mono speech of a few seconds", async () => {
  for (const name of [...SPEECH_FILES.train, SPEECH_FILES.heldout]) {
    const wav = await readWav(`${DIR}/${name}`);
    assertEquals([wav.sampleRate, wav.channels.length], [16000, 1], name);
    const seconds = wav.channels[0].length / 16000;
    assert(seconds > 1.5 && seconds < 4, `${name}: ${seconds} s`);
    const peak = wav.channels[0].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assertGreater(peak, 0.2, `${name} is not silent`);
  }
});

Deno.test("training speech: the sentences joined by 0.25 s pauses, about 8-10 s", async () => {
  const speech = await loadTrainingSpeech(DIR);
  const seconds = speech.length / SPEECH_RATE;
  assertGreater(seconds, 8);
  assertLess(seconds, 10.5);
  let clips = 0;
  for (const name of SPEECH_FILES.train) clips += (await readWav(`${DIR}/${name}`)).channels[0].length;
  assertEquals(speech.length, clips + 3 * 0.25 * SPEECH_RATE);
});

Deno.test("concatSpeech: pauses only between clips; rejects a negative pause", () => {
  assertEquals(concatSpeech([]).length, 0);
  assertEquals(Array.from(concatSpeech([new Float32Array([0.5])], { pauseSeconds: 1, sampleRate: 2 })), [
    0.5,
  ]);
  assertThrows(() => concatSpeech([], { pauseSeconds: -1 }), Error, "pauseSeconds");
});
