/**
 * MediaPipe's selfie segmentation model run by the toolkit's tflite interpreter, against the
 * background-difference person masks of preprocessing: on the fixture rendered as a video (ground-truth
 * parsing: person = every class but background), as it is and with its person put over a real photo's
 * background; and on real photos (face-api's demo photos: single stills, where the difference method has
 * no background to difference against and there is no ground truth, so: the detected face must be
 * person, and the two packaged models must agree).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertGreater, assertThrows } from "@std/assert";
import { join } from "node:path";
import { imageToParsing, SSPNERF11 } from "../data/palette.ts";
import { readImage, resizeImage, toRgb, writeVideo } from "../io/mod.ts";
import { createLandmarkDetector } from "../landmarks/detector.ts";
import type { Image } from "../io/types.ts";
import { landmarkBox } from "./crop.ts";
import { faceOutline } from "./parsing_landmarks.ts";
import { preprocessVideo } from "./pipeline.ts";
import { fillPolygon } from "./raster.ts";
import { SelfieSegmenter } from "./selfie_segmentation.ts";
import { parseTflite } from "./tflite.ts";
import type { FaceDetector } from "./track.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url).pathname;
const FRAMES = 50;

const PHOTOS = new URL("../demo/", import.meta.resolve("@vladmandic/face-api")).pathname;

/** A real photo's background without people: the staircase railing and wall at the left of face-api's
 * sample5.jpg (its left 10 % by 27 %), stretched to 128 x 128. */
async function realBackground(): Promise<Image> {
  const photo = toRgb(await readImage(join(PHOTOS, "sample5.jpg")));
  const w = Math.round(photo.width * 0.1), h = Math.round(photo.height * 0.27);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    data.set(photo.data.subarray(y * photo.width * 3, (y * photo.width + w) * 3), y * w * 3);
  }
  return resizeImage({ width: w, height: h, channels: 3, data }, 128, 128);
}

/** The fixture's frames, optionally with its person (ground-truth parsing) put over another background. */
async function* images(background?: Image): AsyncGenerator<Image> {
  for (let i = 0; i < FRAMES; i++) {
    const f = toRgb(await readImage(join(FIXTURE, "ori_imgs", `${i}.jpg`)));
    if (!background) {
      yield f;
      continue;
    }
    const ids = imageToParsing(await readImage(join(FIXTURE, "parsing", `${i}.png`)), SSPNERF11);
    yield {
      ...f,
      data: Uint8Array.from(f.data, (v, k) => (ids[Math.floor(k / 3)] === 0 ? background.data[k] : v)),
    };
  }
}
async function fixtureLandmarks(i: number): Promise<Float32Array> {
  return Float32Array.from(
    (await Deno.readTextFile(join(FIXTURE, "ori_imgs", `${i}.lms`))).trim().split(/\s+/).map(Number),
  );
}

/** The fixture's exact landmarks for the frame being looked at (a new image object is the next frame). */
function groundTruthDetector(): FaceDetector {
  let last: Image | undefined;
  let index = -1;
  const next = (img: Image) => {
    if (img !== last) last = img, index++;
    return fixtureLandmarks(index);
  };
  return {
    async detect(img) {
      const landmarks = await next(img);
      return { box: landmarkBox(landmarks), score: 1, landmarks };
    },
    landmarksInBox: (img) => next(img),
  };
}

/** IoU of person (set) and of background (unset) between two masks. */
function ious(a: ArrayLike<number>, b: ArrayLike<number>): { person: number; background: number } {
  let pi = 0, pu = 0, bi = 0, bu = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p] !== 0, y = b[p] !== 0;
    if (x && y) pi++;
    if (x || y) pu++;
    if (!x && !y) bi++;
    if (!x || !y) bu++;
  }
  return { person: pi / Math.max(1, pu), background: bi / Math.max(1, bu) };
}

Deno.test("selfie segmentation vs background difference on the fixture video: IoU against the ground truth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-selfie-" });
  try {
    const scores: Record<string, { person: number; background: number }> = {};
    const scenes = [["own background", undefined], [
      "real photo background",
      await realBackground(),
    ]] as const;
    for (const [scene, background] of scenes) {
      const video = join(dir, `${scene}.mp4`);
      await writeVideo(video, images(background), { fps: 25, audio: join(FIXTURE, "aud.wav"), crf: 12 });
      for (const method of ["difference", "selfie"] as const) {
        const out = join(dir, `${scene} ${method}`);
        const s = await preprocessVideo(video, out, {
          size: 128,
          cropScale: 4, // the whole frame: compared with the ground truth pixel for pixel
          focal: 307.2,
          detector: groundTruthDetector(),
          personSegmentation: method,
          quiet: true,
        });
        assertEquals(s.parsing.person, method);
        let person = 0, bg = 0;
        for (let i = 0; i < FRAMES; i++) {
          const pred = imageToParsing(await readImage(join(out, "parsing", `${i}.png`)), SSPNERF11);
          const truth = imageToParsing(await readImage(join(FIXTURE, "parsing", `${i}.png`)), SSPNERF11);
          const r = ious(pred, truth);
          person += r.person / FRAMES, bg += r.background / FRAMES;
        }
        scores[`${scene} ${method}`] = { person, background: bg };
        console.log(
          `fixture person, ${scene}, ${method}: IoU person ${person.toFixed(3)}, background ${
            bg.toFixed(3)
          } ` +
            `(${FRAMES} frames)`,
        );
      }
    }
    assertGreater(scores["own background difference"].person, 0.8);
    for (const scene of ["own background", "real photo background"]) {
      assertGreater(scores[`${scene} selfie`].person, 0.85);
      assertGreater(scores[`${scene} selfie`].person, scores[`${scene} difference`].person);
      assertGreater(scores[`${scene} selfie`].background, scores[`${scene} difference`].background);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("selfie segmentation on real photos: the detected face is person; no tensor leak", async () => {
  const segmenter = await SelfieSegmenter.create();
  const detector = await createLandmarkDetector();
  const recalls: number[] = [];
  try {
    for (let k = 1; k <= 6; k++) {
      const full = toRgb(await readImage(join(PHOTOS, `sample${k}.jpg`)));
      const s = Math.min(1, 640 / Math.max(full.width, full.height));
      const img = resizeImage(full, Math.round(full.width * s), Math.round(full.height * s));
      const face = await detector.detect(img);
      const before = tf.memory().numTensors;
      const mask = segmenter.personMask(img);
      assertEquals(tf.memory().numTensors, before, "tensors leaked");
      const personShare = mask.reduce((a, v) => a + v, 0) / mask.length;
      if (!face) {
        console.log(
          `sample${k}.jpg ${img.width}x${img.height}: person ${
            (100 * personShare).toFixed(1)
          } %, no face found`,
        );
        continue;
      }
      const outline = new Uint8Array(img.width * img.height);
      fillPolygon(outline, img, faceOutline(face.landmarks));
      let inFace = 0, faceArea = 0;
      for (let p = 0; p < outline.length; p++) if (outline[p]) faceArea++, inFace += mask[p];
      console.log(
        `sample${k}.jpg ${img.width}x${img.height}: person ${
          (100 * personShare).toFixed(1)
        } % of the image; ` +
          `face outline labelled person ${(100 * inFace / faceArea).toFixed(1)} %`,
      );
      recalls.push(inFace / faceArea);
      assert(personShare < 0.98, "not everything is person");
    }
    console.log(
      `face outline labelled person: mean ${
        (100 * recalls.reduce((a, b) => a + b) / recalls.length).toFixed(1)
      } %`,
    );
    // The model is made for one person near the camera: in sample5 (five people on a staircase) it
    // takes the nearest one and leaves most of the others, the detected face among them, as background.
    assertGreater(recalls.filter((r) => r > 0.85).length, 4);
  } finally {
    detector.dispose();
    segmenter.dispose();
  }
});

Deno.test("tflite reader: a file that is not a model is refused with a clear error", () => {
  assertThrows(
    () => parseTflite(new Uint8Array(64), "x.tflite"),
    Error,
    "x.tflite: not a TensorFlow Lite model",
  );
});

Deno.test("tflite reader on the packaged models: graph shapes, operator counts, the custom op's options", async () => {
  const { selfieModelPath } = await import("./selfie_segmentation.ts");
  const g = parseTflite(await Deno.readFile(selfieModelPath("general")));
  assertEquals(g.tensors[g.inputs[0]].shape, [1, 256, 256, 3]);
  assertEquals(g.tensors[g.outputs[0]].shape, [1, 256, 256, 1]);
  const count = (op: string) => g.operators.filter((o) => o.op === op).length;
  assertEquals([g.operators.length, count("CONV_2D"), count("DEPTHWISE_CONV_2D"), count("DEQUANTIZE")], [
    246,
    43,
    11,
    110,
  ]);
  const up = g.operators.find((o) => o.op === "Convolution2DTransposeBias")!;
  assertEquals(up.options, { padding: 0, strideW: 2, strideH: 2 }); // SAME, stride 2: 128 -> 256
  const land = parseTflite(await Deno.readFile(selfieModelPath("landscape")));
  assertEquals(land.tensors[land.inputs[0]].shape, [1, 144, 256, 3]);
  // The two models were trained separately and differ in layers (the landscape one uses MEAN where the
  // general one pools): on the same photos their masks agree closely only if both graphs run right.
  const seg = await SelfieSegmenter.create("landscape"), general = await SelfieSegmenter.create("general");
  try {
    const img = { width: 64, height: 36, channels: 3 as const, data: new Uint8Array(64 * 36 * 3).fill(128) };
    const p = seg.personProbability(img);
    assertEquals(p.length, 64 * 36);
    assert(p.every((v) => v >= 0 && v <= 1));
    for (const k of [1, 4]) {
      const photo = toRgb(await readImage(join(PHOTOS, `sample${k}.jpg`)));
      const r = ious(seg.personMask(photo), general.personMask(photo));
      console.log(`sample${k}.jpg: person IoU landscape vs general model ${r.person.toFixed(3)}`);
      assertGreater(r.person, 0.85);
    }
  } finally {
    seg.dispose();
    general.dispose();
  }
});
