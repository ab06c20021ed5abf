/**
 * Tests on a real photo: face-api's `demo/sample2.jpg` (one face), cropped to a 512x512 portrait.
 * One detector serves every step (loading it is the slow part).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertExists, assertGreater, assertLess, assertRejects } from "@std/assert";
import { assertNoLeak } from "../testing/leak.ts";
import { initBackend } from "../backend/backend.ts";
import type { Image } from "../io/types.ts";
import { readImage } from "../io/mod.ts";
import { createLandmarkDetector, type FaceBox } from "./detector.ts";
import { faceApiFolder } from "./faceapi.ts";
import { landmarkDistance } from "./lmd.ts";
import { mouthOpening } from "./mouth.ts";
import { mirrorLandmarks } from "./points.ts";

function crop(img: Image, x0: number, y0: number, w: number, h: number): Image {
  const c = img.channels, data = new Uint8Array(w * h * c);
  for (let r = 0; r < h; r++) {
    data.set(
      img.data.subarray(((y0 + r) * img.width + x0) * c, ((y0 + r) * img.width + x0 + w) * c),
      r * w * c,
    );
  }
  return { width: w, height: h, channels: img.channels, data };
}

function mirror(img: Image): Image {
  const { width: w, height: h, channels: c } = img, data = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data.set(img.data.subarray((y * w + w - 1 - x) * c, (y * w + w - x) * c), (y * w + x) * c);
    }
  }
  return { ...img, data };
}

/**
 * Moves the lower half of the mouth down by `shift` px: inside the mouth's box (plus a margin), rows
 * below the lip line take the content `shift` rows above, the lip line itself is stretched. The mouth
 * opens, its shape changes, so mouth LMD (centred on each set's own centroid) must grow.
 */
function openMouth(img: Image, lms: Float32Array, shift: number): Image {
  const xs = [], ys = [];
  for (let i = 48; i < 60; i++) xs.push(lms[2 * i]), ys.push(lms[2 * i + 1]);
  let lip = 0;
  for (let i = 60; i < 68; i++) lip += lms[2 * i + 1] / 8;
  const x0 = Math.floor(Math.min(...xs)) - 8, x1 = Math.ceil(Math.max(...xs)) + 8;
  const y0 = Math.round(lip), y1 = Math.ceil(Math.max(...ys)) + 10 + shift;
  const c = img.channels, out = img.data.slice();
  for (let y = y0; y <= y1; y++) {
    const src = Math.max(y0, y - shift);
    for (let x = x0; x <= x1; x++) {
      for (let k = 0; k < c; k++) out[(y * img.width + x) * c + k] = img.data[(src * img.width + x) * c + k];
    }
  }
  return { ...img, data: out };
}

Deno.test("face-api landmark detector on a real 512x512 portrait", async (t) => {
  await initBackend({ log: null });
  const photo = await readImage(new URL("demo/sample2.jpg", faceApiFolder()).pathname);
  // The photo's one face is at about (1403, 173) with size 276x263: a 512 px square around it.
  const img = crop(photo, 1285, 48, 512, 512);
  const detector = await createLandmarkDetector();
  try {
    const face = await detector.detect(img);
    assertExists(face, "a face is found");
    const lms = face.landmarks;

    await t.step("the face box and the 68 points lie on the face", () => {
      assertEquals(detector.name, "face-api");
      assertGreater(face.score, 0.8);
      assert(
        face.box.w > 150 && face.box.w < 350 && face.box.h > 150 && face.box.h < 350,
        JSON.stringify(face.box),
      );
      assertEquals(lms.length, 136);
      for (let i = 0; i < 68; i++) {
        const [x, y] = [lms[2 * i], lms[2 * i + 1]];
        const b = face.box, m = 0.25 * b.w; // the jaw may leave the box a little
        assert(
          x > b.x - m && x < b.x + b.w + m && y > b.y - m && y < b.y + b.h + m,
          `point ${i} at (${x}, ${y})`,
        );
      }
      // Anatomy: eyes above the nose tip, nose tip above the mouth, chin lowest of the jaw.
      const y = (i: number) => lms[2 * i + 1];
      assertLess(Math.max(y(37), y(44)), y(33));
      assertLess(y(33), y(51));
      assertEquals(Math.max(...Array.from({ length: 17 }, (_, i) => y(i))), Math.max(y(7), y(8), y(9)));
      const opening = mouthOpening(lms);
      assert(opening >= 0 && opening < 0.5, `mouth opening ${opening}`);
    });

    await t.step("LMD of the image with itself is 0 (results bit-identical across calls)", async () => {
      const again = await detector.detect(img);
      assertEquals(again!.landmarks, lms);
      assertEquals(landmarkDistance(again!.landmarks, lms), 0);
      assertEquals(landmarkDistance(again!.landmarks, lms, { points: "face" }), 0);
    });

    await t.step(
      "landmarksInBox on the detected box gives detect()'s landmarks; RGBA input too",
      async () => {
        assertEquals(await detector.landmarksInBox(img, face.box), lms);
        const rgba = new Uint8Array(512 * 512 * 4).fill(255);
        for (let p = 0; p < 512 * 512; p++) rgba.set(img.data.subarray(3 * p, 3 * p + 3), 4 * p);
        assertEquals(
          (await detector.detect({ width: 512, height: 512, channels: 4, data: rgba }))?.landmarks,
          lms,
        );
      },
    );

    await t.step("opening the mouth by 3 and 6 px: LMD(6) > LMD(3) > 0, the lower lip follows", async () => {
      const lmd: number[] = [];
      for (const shift of [3, 6]) {
        const moved = await detector.landmarksInBox(openMouth(img, lms, shift), face.box);
        lmd.push(landmarkDistance(moved, lms));
        // Lower outer lip 56-58 moves down by about the shift; the upper lip 50-52 much less.
        const dy = (ids: number[]) =>
          ids.reduce((s, i) => s + moved[2 * i + 1] - lms[2 * i + 1], 0) / ids.length;
        const lower = dy([56, 57, 58]), upper = dy([50, 51, 52]);
        assert(lower > 0.4 * shift && lower < 1.6 * shift, `shift ${shift}: lower lip moved ${lower}`);
        assertLess(Math.abs(upper), lower);
      }
      assertGreater(lmd[0], 0.3);
      assertGreater(lmd[1], lmd[0]);
    });

    await t.step("the mirrored image gives the mirrored landmarks under the 68-point symmetry", async () => {
      const flipped = mirror(img);
      const expected = mirrorLandmarks(lms, img.width);
      const err = (got: Float32Array, want: Float32Array) =>
        Array.from(
          { length: 68 },
          (_, i) => Math.hypot(got[2 * i] - want[2 * i], got[2 * i + 1] - want[2 * i + 1]),
        );
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      // Full path (the detector's box moves a few pixels too) and landmarks on the mirrored box.
      const viaDetect = await detector.detect(flipped);
      assertExists(viaDetect);
      const box: FaceBox = { ...face.box, x: img.width - face.box.x - face.box.w };
      const viaBox = await detector.landmarksInBox(flipped, box);
      for (const got of [viaDetect.landmarks, viaBox]) {
        const e = err(got, expected);
        // Measured here: mean 2.5 and 3.2 px; the jaw contour (0-16) is the least stable, up to 12 px.
        assertLess(mean(e), 4);
        assertLess(Math.max(...e.slice(17)), 8);
        assertLess(landmarkDistance(got, expected), 4);
      }
      // Control: without the permutation, mirrored points land on the wrong side of the face.
      const unpermuted = lms.map((v, k) => (k % 2 ? v : img.width - v));
      assertGreater(mean(err(viaBox, unpermuted)), 20);
    });

    await t.step("the SSD detector finds the same face", async () => {
      const ssd = await createLandmarkDetector({ detector: "ssd" });
      try {
        const other = await ssd.detect(img);
        assertExists(other);
        const a = face.box, b = other.box;
        const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
        const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
        assertGreater((ix * iy) / (a.w * a.h + b.w * b.h - ix * iy), 0.5);
        // Another box gives other landmarks (measured: 1.1 px mouth LMD): compare like with like.
        assertLess(landmarkDistance(other.landmarks, lms), 3);
      } finally {
        ssd.dispose();
      }
    });

    await t.step("no face in a flat grey image gives null", async () => {
      const grey: Image = {
        width: 256,
        height: 256,
        channels: 3,
        data: new Uint8Array(256 * 256 * 3).fill(128),
      };
      assertEquals(await detector.detect(grey), null);
    });

    await t.step("no tensor leaks across detect() and landmarksInBox(); errors name the box", async () => {
      await assertNoLeak(() => detector.detect(img), "detect");
      await assertNoLeak(() => detector.landmarksInBox(img, face.box), "landmarksInBox");
      const before = tf.memory().numTensors;
      await assertRejects(
        () => detector.landmarksInBox(img, { x: 600, y: 0, w: 50, h: 50 }),
        Error,
        "has no area inside the 512x512 image",
      );
      assertEquals(tf.memory().numTensors, before);
    });
  } finally {
    detector.dispose();
  }
  await assertRejects(() => detector.detect(photo), Error, "used after dispose()");
});

Deno.test("createLandmarkDetector: dispose() frees every weight; bad options are named", async () => {
  await initBackend({ log: null });
  const before = tf.memory().numTensors;
  (await createLandmarkDetector()).dispose();
  assertEquals(tf.memory().numTensors, before);
  await assertRejects(() => createLandmarkDetector({ inputSize: 100 }), Error, "multiple of 32, got 100");
  await assertRejects(
    () => createLandmarkDetector({ scoreThreshold: 2 }),
    Error,
    "scoreThreshold must be in [0, 1]",
  );
});
