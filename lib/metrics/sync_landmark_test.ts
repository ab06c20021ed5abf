import { assert, assertEquals, assertGreater, assertLessOrEqual, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { readImage, readMono16k } from "../io/mod.ts";
import { parseLandmarks } from "../data/landmarks.ts";
import { createLandmarkDetector } from "../landmarks/detector.ts";
import { laSync } from "./sync_landmark.ts";
import { LA_SYNC_NAME, type SyncScore } from "./sync_offsets.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url);
const SPEECH = new URL("../../fixtures/speech/", import.meta.url);
const NUM_FRAMES = JSON.parse(await Deno.readTextFile(new URL("synthetic_gt.json", FIXTURE))).frames.length;

async function fixtureLandmarks(): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < NUM_FRAMES; i++) {
    const path = new URL(`ori_imgs/${i}.lms`, FIXTURE);
    out.push(parseLandmarks(await Deno.readTextFile(path), path.pathname));
  }
  return out;
}

/** The three controls: the clip's own audio, the same delayed by 0.2 s (5 frames), another sentence. */
async function controlAudio(): Promise<{ own: Float32Array; delayed: Float32Array; other: Float32Array }> {
  const own = await readMono16k(new URL("aud.wav", FIXTURE).pathname);
  const delayed = new Float32Array(own.length + 3200); // 0.2 s of silence first
  delayed.set(own, 3200);
  // The held-out sentence, repeated to the clip's length (it is 2.9 s, the clip 9.8 s).
  const heldout = await readMono16k(new URL("heldout.wav", SPEECH).pathname);
  const other = Float32Array.from({ length: own.length }, (_, i) => heldout[i % heldout.length]);
  return { own, delayed, other };
}

function checkControls(own: SyncScore, delayed: SyncScore, other: SyncScore): void {
  assertEquals(own.name, LA_SYNC_NAME);
  assertLessOrEqual(Math.abs(own.offset), 1);
  assertGreater(own.confidence, 0.5); // d = 1 - r: a clear dip
  assertEquals(delayed.offset, own.offset - 5); // audio late by 5 frames: syncnet_python's sign, -5
  assertGreater(own.confidence, 2 * other.confidence);
}

Deno.test("LA-Sync on the fixture's ground-truth landmarks (.lms): own, delayed and other audio", async () => {
  const lms = await fixtureLandmarks();
  const a = await controlAudio();
  const own = laSync(lms, a.own), delayed = laSync(lms, a.delayed), other = laSync(lms, a.other);
  console.log(
    `LA-Sync, .lms landmarks: own ${own.offset} / ${own.confidence.toFixed(3)} (min ${
      own.minDistance.toFixed(3)
    }), ` +
      `delayed 0.2 s ${delayed.offset} / ${delayed.confidence.toFixed(3)}, other ${other.offset} / ${
        other.confidence.toFixed(3)
      }`,
  );
  checkControls(own, delayed, other);
  assertEquals(own.offsets.length, 31);
  assertEquals(own.framesWithoutFace, 0);
});

Deno.test("LA-Sync on face-api landmarks of the fixture's frames (all of them, tiny detector at 128 px)", async () => {
  await initBackend({ log: null });
  const detector = await createLandmarkDetector({ inputSize: 128 });
  const lms: (Float32Array | null)[] = [];
  try {
    for (let i = 0; i < NUM_FRAMES; i++) {
      lms.push(
        (await detector.detect(await readImage(new URL(`ori_imgs/${i}.jpg`, FIXTURE).pathname)))?.landmarks ??
          null,
      );
    }
  } finally {
    detector.dispose();
  }
  const a = await controlAudio();
  const own = laSync(lms, a.own), delayed = laSync(lms, a.delayed), other = laSync(lms, a.other);
  console.log(
    `LA-Sync, face-api landmarks (${
      lms.filter((l) => !l).length
    } frames without a face): own ${own.offset} / ` +
      `${own.confidence.toFixed(3)}, delayed 0.2 s ${delayed.offset} / ${delayed.confidence.toFixed(3)}, ` +
      `other ${other.offset} / ${other.confidence.toFixed(3)}`,
  );
  checkControls(own, delayed, other);
});

Deno.test("LA-Sync leaves frames without a face out, and counts them", async () => {
  const lms: (Float32Array | null)[] = await fixtureLandmarks();
  const { own } = await controlAudio();
  const full = laSync(lms, own);
  for (let i = 0; i < lms.length; i += 6) lms[i] = null;
  const holes = laSync(lms, own);
  assertEquals(holes.framesWithoutFace, Math.ceil(NUM_FRAMES / 6));
  assertEquals(holes.offset, full.offset);
  assert(holes.pairs[15] < full.pairs[15]);
  assertGreater(holes.confidence, 0.5);
  // A range: only frames 100..199 scored, audio still from the whole track.
  const part = laSync(lms, own, { range: { start: 100, end: 200 } });
  assertEquals(part.frames, 100);
  assertLessOrEqual(part.pairs[15], 100);
});

Deno.test("LA-Sync errors name what is wrong", async () => {
  const { own } = await controlAudio();
  const lms = (await fixtureLandmarks()).slice(0, 8);
  assertThrows(() => laSync(lms, own), Error, "fewer than 10 frames");
  assertThrows(() => laSync(lms, own, { range: { start: 5, end: 3 } }), Error, "range must be");
  assertThrows(() => laSync(lms, own, { minPairs: 1 }), Error, "minPairs");
  assertThrows(() => laSync(lms, new Float32Array()), Error, "non-empty");
});
