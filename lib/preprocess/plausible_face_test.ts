import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { eulerToMatrix } from "../camera/euler.ts";
import { writeVideo } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { landmarkBox } from "./crop.ts";
import { preprocessVideo } from "./pipeline.ts";
import { describeImplausible, implausibleByPose, implausibleFaces, MAX_FIT_ERROR } from "./plausible_face.ts";
import { projectModel } from "./pose_fit.ts";
import { MEAN_FACE_68 } from "./template.ts";
import type { FaceDetector } from "./track.ts";

const camera = { focal: 300, cx: 64, cy: 64 };

/** The mean face seen under a head pose: a plausible face by construction. */
function face(euler: [number, number, number], trans: [number, number, number] = [0, 0, -3]): Float64Array {
  return projectModel(MEAN_FACE_68, { rotation: eulerToMatrix(euler), trans }, camera);
}

/** The same box filled with the points in another order: no head pose projects to it. */
function scrambled(l: Float64Array): Float64Array {
  const n = l.length / 2;
  const out = new Float64Array(l.length);
  for (let i = 0; i < n; i++) {
    const j = (i * 29 + 7) % n; // 29 is prime to 68: a permutation of the points
    out[2 * i] = l[2 * j], out[2 * i + 1] = l[2 * i + 1];
  }
  return out;
}

Deno.test("implausibleByPose: faces under any head pose pass; scrambled points, NaN and specks do not", () => {
  for (const e of [[0, 0, 0], [0.2, -0.4, 0.1], [-0.15, 0.5, -0.2]] as [number, number, number][]) {
    assertEquals(implausibleByPose(face(e), 128, 128), undefined, `pose ${e}`);
  }
  const bad = implausibleByPose(scrambled(face([0, 0, 0])), 128, 128)!;
  assertStringIncludes(bad, "the pose fit leaves an error of");
  // The error is above the limit for this face's width (hand check of the message's own numbers).
  const m = /error of ([\d.]+) px on a face (\d+) px wide/.exec(bad)!;
  assert(Number(m[1]) > MAX_FIT_ERROR * Number(m[2]));
  const withNaN = face([0, 0, 0]);
  withNaN[10] = NaN;
  assertEquals(implausibleByPose(withNaN, 128, 128), "landmark 5 is not a finite number");
  const speck = new Float64Array(136).fill(3);
  assertStringIncludes(implausibleByPose(speck, 128, 128)!, "too small for a face");
});

Deno.test("implausibleFaces: frames named in order with the reason; a face elsewhere or of another size is named", () => {
  const f = (dx: number) => face([0, 0.1 * dx, 0], [0.01 * dx, 0, -8]);
  const w0 = landmarkBox(f(0)).w;
  // Moved right by 2.5 face widths, and scaled by 2 about the face's centre (a face twice as close).
  const moved = Float64Array.from(f(0), (v, i) => i % 2 ? v : v + 2.5 * w0);
  const c = landmarkBox(f(0));
  const grown = Float64Array.from(f(0), (v, i) => {
    const o = i % 2 ? c.y + c.h / 2 : c.x + c.w / 2;
    return o + 2 * (v - o);
  });
  const track: (Float64Array | null)[] = [f(0), f(1), null, scrambled(f(0)), f(2), moved, grown];
  const found = implausibleFaces(track, 128, 128);
  assertEquals(found.map((x) => x.frame), [3, 5, 6]);
  assertStringIncludes(found[0].reason, "pose fit");
  assertStringIncludes(found[1].reason, "face widths from where the face is in most frames");
  assertStringIncludes(found[2].reason, "times the usual");
  assertStringIncludes(describeImplausible(found, 2), "frame 3: the pose fit");
  assertStringIncludes(describeImplausible(found, 2), "... (3 frames in all)");
  assertEquals(implausibleFaces([f(0), f(1), f(2), null], 128, 128), []);
});

Deno.test("preprocess: false detections are named with the reason and the way on (--max-missing)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-implausible-" });
  try {
    // Uniform frames of grey level 8 t, so that a detector can tell frame t from its pixels.
    const frames = Array.from({ length: 30 }, (_, t) => {
      const data = new Uint8Array(64 * 64 * 3).fill(8 * t);
      return { width: 64, height: 64, channels: 3 as const, data };
    });
    const frameOf = (img: Image) => Math.round(img.data[0] / 8);
    const wav = {
      sampleRate: 16000,
      channels: [Float32Array.from({ length: 19200 }, (_, i) => Math.sin(i / 9))],
    };
    const video = join(dir, "pattern.mp4");
    await writeVideo(video, frames, { fps: 25, audio: wav });
    // A face 35 px wide in the middle, and a landmark network's guess for a box without a face: the same
    // points in another order, a scatter no head pose can explain.
    const real = Float32Array.from(face([0, 0, 0], [0, 0, -6]), (v) => v / 2);
    const points = Float32Array.from(scrambled(Float64Array.from(real)));
    const detector = (bad: (frame: number) => boolean): FaceDetector => {
      const at = (img: Image) => bad(frameOf(img)) ? points : real;
      return {
        detect: (img) => Promise.resolve({ box: landmarkBox(at(img)), score: 0.9, landmarks: at(img) }),
        landmarksInBox: (img) => Promise.resolve(at(img)),
      };
    };
    const e = await assertRejects(() =>
      preprocessVideo(video, join(dir, "data"), { size: 64, quiet: true, detector: detector(() => true) })
    );
    assertStringIncludes(e.message, "no face found in any of its 30 frames; 30 detection(s) are not faces");
    assertStringIncludes(e.message, "frame 0: the pose fit leaves an error of");
    const left = [...Deno.readDirSync(dir)].map((x) => x.name);
    assertEquals(left, ["pattern.mp4"], "nothing may be left behind");
    // Every other frame a false detection: more than --max-missing allows, and the message says so.
    const e2 = await assertRejects(() =>
      preprocessVideo(video, join(dir, "data"), {
        size: 64,
        quiet: true,
        detector: detector((t) => t % 2 === 1),
      })
    );
    assertStringIncludes(e2.message, "15 of 30 frames have no face (frames 1, 3, 5,");
    assertStringIncludes(e2.message, "detection(s) are not faces");
    assertStringIncludes(e2.message, "more than maxMissingFraction = 0.2 (--max-missing)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
