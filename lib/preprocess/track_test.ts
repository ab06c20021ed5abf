import { assert, assertEquals } from "@std/assert";
import type { Image } from "../io/types.ts";
import { type FaceDetector, fillMissing, plausibleStep, trackFace } from "./track.ts";
import { landmarkBox } from "./crop.ts";

const square = (x: number, s = 40) =>
  Float32Array.from(
    { length: 136 },
    (_, k) => (k % 2 === 0 ? x + ((k / 2) % 9) * (s / 8) : 20 + (k % 17) * (s / 16)),
  );

Deno.test("trackFace: detects on frame 0, tracks, re-detects after a loss and periodically, marks faceless frames", async () => {
  // Frames 0-9: a face at x = 10 + 2t; frame 5: the landmark network goes astray; frames 7-8: no face.
  const frames: Image[] = Array.from(
    { length: 10 },
    () => ({ width: 200, height: 200, channels: 3, data: new Uint8Array(0) }),
  );
  const calls: string[] = [];
  const detector: FaceDetector = {
    detect(img) {
      const t = frames.indexOf(img);
      calls.push(`d${t}`);
      if (t === 7 || t === 8) return Promise.resolve(null);
      const landmarks = square(10 + 2 * t);
      return Promise.resolve({ box: landmarkBox(landmarks), score: 1, landmarks });
    },
    landmarksInBox(img) {
      const t = frames.indexOf(img);
      calls.push(`b${t}`);
      // Where there is no face (or the network goes astray), the points land anywhere.
      return Promise.resolve(t === 5 || t === 7 || t === 8 ? square(150, 5) : square(10 + 2 * t));
    },
  };
  const track = await trackFace(frames, detector, { redetectEvery: 4 });
  assertEquals(track.landmarks.map((l) => l !== null), [
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
    true,
  ]);
  assertEquals(calls.join(" "), "d0 b1 b2 b3 d4 b5 d5 b6 b7 d7 d8 d9");
  assertEquals([track.detections, track.losses], [6, 2]);
  const { filled, missing } = fillMissing(track.landmarks);
  assertEquals(missing, [7, 8]);
  assert(Math.abs(filled[7][0] - (10 + 2 * 7)) < 1e-4); // interpolated between frames 6 and 9
});

Deno.test("plausibleStep rejects jumps and size changes", () => {
  assert(plausibleStep(square(10), square(14)));
  assert(!plausibleStep(square(10), square(40)));
  assert(!plausibleStep(square(10), square(10, 80)));
});
