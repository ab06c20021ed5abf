/**
 * The pipeline on the bundled synthetic fixture, against its ground truth. The fixture's frames and
 * speech become an mp4 (lib/io writeVideo), which goes through preprocessVideo at the fixture's size.
 * Two landmark paths: face-api (the default detector) and the fixture's own exact landmarks (.lms)
 * through the same tracking, pose and parsing code (a detector that returns them).
 *
 * Rotation error: our template's canonical head frame differs from the generator's head model by a
 * constant rotation, so the error is measured after aligning the two pose sequences by the best
 * constant rotation (alignedRotationErrors).
 */
import { assert, assertEquals, assertLess } from "@std/assert";
import { join } from "node:path";
import { eulerToMatrix64 } from "../camera/euler.ts";
import { imageToParsing, SSPNERF11 } from "../data/palette.ts";
import { readImage, toRgb, writeVideo } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { ConfusionMatrix } from "../metrics/miou.ts";
import { alignedRotationErrors } from "./align.ts";
import { preprocessVideo } from "./pipeline.ts";
import type { PreprocessSummary } from "./pipeline_options.ts";
import type { FaceDetector } from "./track.ts";
import { landmarkBox } from "./crop.ts";
import { pearson } from "../synthetic/mouth.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url).pathname;
const gt = JSON.parse(await Deno.readTextFile(join(FIXTURE, "synthetic_gt.json")));
const NUM = gt.frames.length as number;

async function fixtureVideo(dir: string, frames: number): Promise<string> {
  const path = join(dir, "fixture.mp4");
  async function* images(): AsyncGenerator<Image> {
    for (let i = 0; i < frames; i++) yield toRgb(await readImage(join(FIXTURE, "ori_imgs", `${i}.jpg`)));
  }
  await writeVideo(path, images(), { fps: 25, audio: join(FIXTURE, "aud.wav"), crf: 12 });
  return path;
}

async function fixtureLandmarks(i: number): Promise<Float32Array> {
  const text = await Deno.readTextFile(join(FIXTURE, "ori_imgs", `${i}.lms`));
  return Float32Array.from(text.trim().split(/\s+/).map(Number));
}

/** A detector that returns the fixture's exact landmarks of the frame being looked at (frames arrive in
 * order; a new image object is the next frame). */
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

interface Scores {
  rotationDeg: number;
  focalErrorPct: number;
  iou: (number | null)[];
  backgroundError: number;
}

async function score(out: string, summary: PreprocessSummary): Promise<Scores> {
  const n = summary.frames;
  const frames = [
    ...JSON.parse(await Deno.readTextFile(join(out, "transforms_train.json"))).frames,
    ...JSON.parse(await Deno.readTextFile(join(out, "transforms_val.json"))).frames,
  ];
  const est = frames.map((f: { euler: [number, number, number] }) => eulerToMatrix64(f.euler));
  const ref = frames.map((f: { img_id: number }) => eulerToMatrix64(gt.frames[f.img_id].head.euler));
  const rot = alignedRotationErrors(est, ref);
  const cm = new ConfusionMatrix(11);
  const visible = new Uint8Array(128 * 128);
  for (let i = 0; i < n; i++) {
    const pred = imageToParsing(await readImage(join(out, "parsing", `${i}.png`)), SSPNERF11);
    const truth = imageToParsing(await readImage(join(FIXTURE, "parsing", `${i}.png`)), SSPNERF11);
    cm.add(pred, truth);
    for (let p = 0; p < truth.length; p++) if (truth[p] === 0) visible[p] = 1;
  }
  const bc = toRgb(await readImage(join(out, "bc.jpg")));
  const bcTruth = toRgb(await readImage(join(FIXTURE, "bc.jpg")));
  let err = 0, cnt = 0;
  for (let p = 0; p < visible.length; p++) {
    if (!visible[p]) continue;
    for (let c = 0; c < 3; c++) err += Math.abs(bc.data[3 * p + c] - bcTruth.data[3 * p + c]);
    cnt += 3;
  }
  return {
    rotationDeg: rot.meanDeg,
    focalErrorPct: (100 * Math.abs(summary.focal - gt.camera.focal)) / gt.camera.focal,
    iou: cm.iou().perClass,
    backgroundError: err / cnt / 255,
  };
}

function report(label: string, s: Scores, summary: PreprocessSummary) {
  const iou = SSPNERF11.classNames.map((c, k) => `${c} ${s.iou[k] === null ? "-" : s.iou[k]!.toFixed(2)}`);
  console.log(
    `${label}: ${summary.frames} frames, ${summary.framesPerSecond.toFixed(1)} frames/s; rotation error ` +
      `${s.rotationDeg.toFixed(2)} deg; focal ${
        summary.focal.toFixed(1)
      } px (${summary.focalSource}; 95 % interval ${
        summary.focalInterval?.map((f) => f.toFixed(0)).join("-") ?? "none"
      }; truth ` +
      `${gt.camera.focal}, error ${s.focalErrorPct.toFixed(1)} %); background error ${
        (100 * s.backgroundError).toFixed(2)
      } % ` +
      `of 255 where visible; pose jitter ${summary.poseSmoothness.rawDeg.toFixed(2)} -> ` +
      `${summary.poseSmoothness.smoothedDeg.toFixed(2)} deg/frame\n  IoU: ${iou.join(", ")}`,
  );
}

// The whole clip: the focal search needs the head's rotations of several seconds (on the first 2.4 s
// alone the error curve is flat).
Deno.test("fixture, exact landmarks (.lms) path: poses, focal, parsing and background against the ground truth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-fix-" });
  try {
    const video = await fixtureVideo(dir, NUM);
    const out = join(dir, "data");
    const summary = await preprocessVideo(video, out, {
      size: 128,
      cropScale: 4, // the whole 128 px frame: comparisons with the ground truth need no resampling
      detector: groundTruthDetector(),
      quiet: true,
    });
    assertEquals(summary.crop, { x: 0, y: 0, w: 128, h: 128 });
    const s = await score(out, summary);
    report("fixture (.lms landmarks)", s, summary);
    assertLess(s.rotationDeg, 2.5);
    assertLess(s.focalErrorPct, 2); // exact landmarks: only the smoothing and the prior stand between
    for (const c of [0, 1, 9, 10]) assert(s.iou[c]! > 0.5, `IoU of ${SSPNERF11.classNames[c]}: ${s.iou[c]}`);
    assertLess(s.backgroundError, 0.04);
    // Exact landmarks have no jitter to remove: smoothing must not add any.
    assertLess(summary.poseSmoothness.smoothedDeg, summary.poseSmoothness.rawDeg + 0.01);
    // The eye field follows the eyelids: low where the ground truth's eyes shut
    const eye = [
      ...JSON.parse(await Deno.readTextFile(join(out, "transforms_train.json"))).frames,
      ...JSON.parse(await Deno.readTextFile(join(out, "transforms_val.json"))).frames,
    ].map((f: { eye: number }) => f.eye);
    const shut = gt.frames.map((f: { eyeClosure: number }) => f.eyeClosure);
    assertLess(pearson(eye, shut), -0.95);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// face-api finds the procedural 128 px face on every frame, but its landmarks there are noisy (0.3-0.5 px
// per point, and biased with the head's turn: its jaw contour is a silhouette): poses stay close, and the
// focal length is only loosely determined. The search's 95 % interval is about -7/+22 % here; the
// estimate lands 5-6 % off, but 0.3 px of extra noise on the landmarks moves it by up to +26 %.
Deno.test("fixture, face-api path: poses, parsing and background against the ground truth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-fix-" });
  try {
    const video = await fixtureVideo(dir, NUM);
    const out = join(dir, "data");
    const summary = await preprocessVideo(video, out, { size: 128, cropScale: 4, quiet: true });
    assertEquals(summary.facesFound, NUM);
    const s = await score(out, summary);
    report("fixture (face-api landmarks)", s, summary);
    assertLess(s.rotationDeg, 4);
    // The focal length from face-api's landmarks depends on the head path far more than its interval
    // admits: 5.5 % off (interval 286-375 px around a true 307 px) on the first fixture's path (seed 7,
    // torso independent of the head), 38.8 % off (interval 171-206 px) on this one (seed 1, head-coupled
    // torso, blinks), while exact landmarks recover it to 0.1 % on both (test above). face-api's points
    // sit elsewhere on the face than the model's, pose-dependently. So this asserts only that the
    // estimate is of the right size and its interval holds it; the exact-landmark test checks the method.
    assertLess(s.focalErrorPct, 50);
    const [lo, hi] = summary.focalInterval!;
    assert(lo <= summary.focal && summary.focal <= hi, `95 % interval ${lo}-${hi} px`);
    for (const c of [0, 1, 9]) assert(s.iou[c]! > 0.5, `IoU of ${SSPNERF11.classNames[c]}: ${s.iou[c]}`);
    assertLess(s.backgroundError, 0.05);
    assertLess(summary.poseSmoothness.smoothedDeg, summary.poseSmoothness.rawDeg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
