/**
 * Pose-path jitter on the fixture rendered as a video and preprocessed with face-api's landmarks (the
 * default detector), with the pipeline's own pose smoothing off: the raw tracked path jitters; smoothing
 * it with lib/camera smoothPosePath brings the frame-to-frame rotation change down towards the ground
 * truth's, and the poses closer to the truth (after the constant rotation between our template's head
 * frame and the generator's, see alignedRotationErrors).
 */
import { assert, assertLess } from "@std/assert";
import { join } from "node:path";
import { eulerToMatrix64 } from "../camera/euler.ts";
import { c2wToPose, poseToC2w } from "../camera/pose.ts";
import { poseJitterDeg, smoothPosePath } from "../camera/pose_path.ts";
import { readImage, toRgb, writeVideo } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { alignedRotationErrors } from "./align.ts";
import { preprocessVideo } from "./pipeline.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url).pathname;
const FRAMES = 100;

async function* images(): AsyncGenerator<Image> {
  for (let i = 0; i < FRAMES; i++) yield toRgb(await readImage(join(FIXTURE, "ori_imgs", `${i}.jpg`)));
}

Deno.test("fixture video, face-api landmarks: jitter of the raw pose path before and after smoothing", async () => {
  const gt = JSON.parse(await Deno.readTextFile(join(FIXTURE, "synthetic_gt.json")));
  const dir = await Deno.makeTempDir({ prefix: "ssp-jitter-" });
  try {
    const video = join(dir, "fixture.mp4");
    await writeVideo(video, images(), { fps: 25, audio: join(FIXTURE, "aud.wav"), crf: 12 });
    const out = join(dir, "data");
    // Whole 128 px frame as the crop, the true focal length (no search: the jitter is the subject here),
    // no smoothing of the poses or landmarks by the pipeline.
    await preprocessVideo(video, out, {
      size: 128,
      cropScale: 4,
      focal: gt.camera.focal,
      poseSmoothWindow: 1,
      landmarkSmoothWindow: 1,
      quiet: true,
    });
    const frames = [
      ...JSON.parse(await Deno.readTextFile(join(out, "transforms_train.json"))).frames,
      ...JSON.parse(await Deno.readTextFile(join(out, "transforms_val.json"))).frames,
    ].sort((a: { img_id: number }, b: { img_id: number }) => a.img_id - b.img_id);
    const raw = frames.map((f: { euler: [number, number, number]; trans: [number, number, number] }) =>
      poseToC2w(f.euler, f.trans)
    );
    const truth = frames.map((f: { img_id: number }) =>
      poseToC2w(gt.frames[f.img_id].head.euler, gt.frames[f.img_id].head.trans)
    );
    const rotErr = (path: Float32Array[]) =>
      alignedRotationErrors(
        path.map((m) => eulerToMatrix64(c2wToPose(m).euler)),
        truth.map((m) => eulerToMatrix64(c2wToPose(m).euler)),
      ).meanDeg;
    const rows = [
      ["raw (face-api)", raw] as const,
      ...[5, 9, 15].map((w) => [`smooth:${w}`, smoothPosePath(raw, w)] as const),
    ];
    const truthJitter = poseJitterDeg(truth);
    for (const [label, path] of rows) {
      console.log(
        `${label}: jitter ${poseJitterDeg(path).toFixed(3)} deg/frame, rotation error ${
          rotErr(path).toFixed(2)
        } deg`,
      );
    }
    console.log(`ground truth: jitter ${truthJitter.toFixed(3)} deg/frame (${FRAMES} frames)`);
    const [rawJ, s9J] = [poseJitterDeg(raw), poseJitterDeg(rows[2][1])];
    assert(rawJ > 1.5 * truthJitter, `face-api's raw path jitters: ${rawJ} vs truth ${truthJitter}`);
    assertLess(s9J, rawJ / 2);
    assert(s9J > 0.5 * truthJitter, `smoothing must not freeze the head: ${s9J} vs ${truthJitter}`);
    assertLess(rotErr(rows[2][1]), rotErr(raw));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
