/**
 * The pipeline on a real face photo animated by known in-plane rotations, the dataset it writes loaded
 * and trained on, and bad inputs (no face, no audio, variable frame rate, too short, unreadable).
 */
import { assert, assertEquals, assertGreater, assertLess, assertRejects } from "@std/assert";
import { join } from "node:path";
import { override, TINY } from "../config/mod.ts";
import { eulerToMatrix64 } from "../camera/euler.ts";
import { loadDataset } from "../data/mod.ts";
import { ffmpegPath, readImage, toRgb, writeVideo } from "../io/mod.ts";
import type { Image, Wav } from "../io/types.ts";
import { Trainer } from "../train/trainer.ts";
import { landmarkBox } from "./crop.ts";
import { preprocessVideo } from "./pipeline.ts";
import { mul3, transpose3 } from "./rotation.ts";
import type { FaceDetector } from "./track.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait/", import.meta.url).pathname;
const SAMPLE = new URL("../demo/sample2.jpg", import.meta.resolve("@vladmandic/face-api")).pathname;

/**
 * Bilinear warp about the image centre: out(p) = src(c + s R(-theta) (p - c) - shift), i.e. the content
 * turned counter-clockwise on screen by theta (y down in pixels, so the matrix looks clockwise) and
 * moved by `shift`, sampling at pixel centres; outside the source, the edge pixel repeats.
 */
function warp(src: Image, theta: number, shift: [number, number]): Image {
  const { width: w, height: h } = src;
  const out = new Uint8Array(w * h * 3);
  const c = Math.cos(theta), s = Math.sin(theta);
  const cx = w / 2, cy = h / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const dx = x + 0.5 - cx - shift[0], dy = y + 0.5 - cy - shift[1];
      // Inverse of a CCW-on-screen turn: (dx, dy) -> (c dx - s dy, s dx + c dy) in y-down pixels.
      const u = cx + c * dx - s * dy - 0.5, v = cy + s * dx + c * dy - 0.5;
      const x0 = Math.floor(u), y0 = Math.floor(v), fx = u - x0, fy = v - y0;
      for (let k = 0; k < 3; k++) {
        const at = (xx: number, yy: number) =>
          src.data[(Math.min(h - 1, Math.max(0, yy)) * w + Math.min(w - 1, Math.max(0, xx))) * 3 + k];
        const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
        const bot = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
        out[(y * w + x) * 3 + k] = Math.round(top * (1 - fy) + bot * fy);
      }
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/** A square crop of the photo around its second face (measured with face-api: box 1403,174 276x263),
 * shrunk to `side` pixels by block averaging. */
async function portrait(side: number): Promise<Image> {
  const img = toRgb(await readImage(SAMPLE));
  const x0 = 1220, y0 = 60, span = 640; // face centre ~ (1541, 305), room for hair and shoulders
  const out = new Uint8Array(side * side * 3);
  const f = span / side;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let k = 0; k < 3; k++) {
        let sum = 0, n = 0;
        for (let yy = Math.floor(y * f); yy < Math.floor((y + 1) * f); yy++) {
          for (let xx = Math.floor(x * f); xx < Math.floor((x + 1) * f); xx++) {
            sum += img.data[((y0 + yy) * img.width + x0 + xx) * 3 + k], n++;
          }
        }
        out[(y * side + x) * 3 + k] = Math.round(sum / n);
      }
    }
  }
  return { width: side, height: side, channels: 3, data: out };
}

function tone(seconds: number): Wav {
  const sr = 16000;
  return {
    sampleRate: sr,
    channels: [
      Float32Array.from(
        { length: Math.round(seconds * sr) },
        (_, i) => 0.3 * Math.sin((2 * Math.PI * 220 * i) / sr),
      ),
    ],
  };
}

function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((x, y) => x + y) / a.length, mb = b.reduce((x, y) => x + y) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  a.forEach((_, i) => {
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) ** 2, sbb += (b[i] - mb) ** 2;
  });
  return sab / Math.sqrt(saa * sbb);
}

Deno.test("real photo turned by known in-plane rotations: roll follows; the dataset loads and trains", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-photo-" });
  try {
    const base = await portrait(192);
    const n = 25;
    const rollDeg = Array.from({ length: n }, (_, i) => -10 + (20 * i) / (n - 1));
    const frames = rollDeg.map((d, i) =>
      warp(base, (d * Math.PI) / 180, [3 * Math.sin(i / 4), 2 * Math.cos(i / 5)])
    );
    const video = join(dir, "photo.mp4");
    await writeVideo(video, frames, { fps: 25, audio: tone(n / 25), crf: 12 });
    const out = join(dir, "data");
    const warnings: string[] = [];
    const summary = await preprocessVideo(video, out, {
      size: 128,
      quiet: true,
      onWarning: (m) => warnings.push(m),
    });
    assertEquals(summary.frames, n);
    assertEquals(summary.facesFound, n);
    // Roll of frame i relative to frame 0: the angle about the camera's z axis of R_i R_0^T.
    const ds = await loadDataset(out, { requireParsing: true, requireAudio: true, requireLandmarks: true });
    const metas = [...ds.train, ...ds.val];
    const R = metas.map((m) => eulerToMatrix64(m.euler!));
    const roll = R.map((r) => {
      const m = mul3(r, transpose3(R[0]));
      return (Math.atan2(m[3], m[0]) * 180) / Math.PI;
    });
    const truth = rollDeg.map((d) => d - rollDeg[0]);
    const err = roll.map((r, i) => Math.abs(r - truth[i]));
    const mean = err.reduce((a, b) => a + b) / n;
    const corr = pearson(roll, truth);
    console.log(
      `photo clip: roll correlation ${corr.toFixed(4)}, mean |error| ${mean.toFixed(2)} deg, max ${
        Math.max(...err).toFixed(2)
      } deg; focal ${summary.focal.toFixed(0)} px (${summary.focalSource}); ${
        summary.framesPerSecond.toFixed(1)
      } frames/s` +
        (warnings.length ? `; warnings: ${warnings.join(" | ")}` : ""),
    );
    assertGreater(corr, 0.9);
    assertLess(mean, 2);

    // The dataset trains with the TINY configuration.
    assertEquals(ds.intrinsics.width, 128);
    assertEquals(ds.audio!.shape, [n, 16, 13]);
    assertEquals(ds.numClasses, 11);
    const trainer = Trainer.create(ds, override(TINY, { train: { raysPerStep: 256 } }));
    try {
      for (let i = 0; i < 3; i++) {
        const step = await trainer.trainStep();
        assert(Number.isFinite(step.losses.total), `step ${i}: total loss ${step.losses.total}`);
      }
    } finally {
      trainer.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The fixture's exact landmarks, frame by frame (a new image object is the next frame). */
function fixtureDetector(): FaceDetector {
  let last: Image | undefined, index = -1;
  const next = async (img: Image) => {
    if (img !== last) last = img, index++;
    const text = await Deno.readTextFile(join(FIXTURE, "ori_imgs", `${index % 244}.lms`));
    return Float32Array.from(text.trim().split(/\s+/).map(Number));
  };
  return {
    async detect(img) {
      const landmarks = await next(img);
      return { box: landmarkBox(landmarks), score: 1, landmarks };
    },
    landmarksInBox: (img) => next(img),
  };
}

async function fixtureFrames(n: number): Promise<Image[]> {
  return await Promise.all(
    Array.from({ length: n }, async (_, i) => toRgb(await readImage(join(FIXTURE, "ori_imgs", `${i}.jpg`)))),
  );
}

async function assertFailsCleanly(video: string, dir: string, expected: string, detector?: FaceDetector) {
  const out = join(dir, "data");
  await assertRejects(
    () => preprocessVideo(video, out, { size: 64, quiet: true, detector }),
    Error,
    expected,
  );
  const left = [];
  for await (const e of Deno.readDir(dir)) left.push(e.name);
  assert(!left.includes("data"), "the dataset folder must not exist after a failure");
  assertEquals(left.filter((n) => n.includes(".tmp-")), [], "no temporary folder may remain");
}

Deno.test("bad input: no face, no audio track, too short, unreadable: clear errors, nothing left behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-bad-" });
  try {
    const gradient = Array.from({ length: 30 }, (_, t) => {
      const data = new Uint8Array(64 * 64 * 3);
      for (let p = 0; p < 64 * 64; p++) data.fill((p % 64) * 4 + t, 3 * p, 3 * p + 3);
      return { width: 64, height: 64, channels: 3 as const, data };
    });
    const noFace = join(dir, "gradient.mp4");
    await writeVideo(noFace, gradient, { fps: 25, audio: tone(1.2) });
    await assertFailsCleanly(noFace, dir, "no face found in any of its 30 frames");

    const silent = join(dir, "silent.mp4");
    await writeVideo(silent, await fixtureFrames(30), { fps: 25 });
    await assertFailsCleanly(silent, dir, "has no audio track", fixtureDetector());

    const short = join(dir, "short.mp4");
    await writeVideo(short, await fixtureFrames(10), { fps: 25, audio: tone(0.4) });
    await assertFailsCleanly(short, dir, "expected at least 1 s of video");

    const junk = join(dir, "junk.mp4");
    await Deno.writeTextFile(junk, "this is not a video");
    await assertFailsCleanly(junk, dir, "cannot read the video");
    await assertFailsCleanly(join(dir, "missing.mp4"), dir, "no such file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("variable frame rate: resampled to 25 fps with a warning, and the dataset loads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-vfr-" });
  try {
    const cfr = join(dir, "cfr.mp4");
    await writeVideo(cfr, await fixtureFrames(40), { fps: 25, audio: join(FIXTURE, "aud.wav") });
    // Frames 0-19 every 40 ms, then every 60 ms: 20 * 0.04 + 20 * 0.06 = 2 s.
    const vfr = join(dir, "vfr.mp4");
    const ff = await ffmpegPath();
    const { success, stderr } = await new Deno.Command(ff, {
      args: [
        "-v",
        "error",
        "-i",
        cfr,
        "-vf",
        "setpts='if(lt(N,20),N*0.04,0.8+(N-20)*0.06)/TB'",
        "-vsync",
        "vfr",
        "-c:v",
        "libx264",
        "-crf",
        "12",
        "-c:a",
        "copy",
        vfr,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert(success, new TextDecoder().decode(stderr));
    const warnings: string[] = [];
    const out = join(dir, "data");
    const summary = await preprocessVideo(vfr, out, {
      size: 64,
      quiet: true,
      detector: fixtureDetector(),
      focal: 160,
      onWarning: (m) => warnings.push(m),
    });
    assert(summary.source.variableFrameRate);
    assert(warnings.some((w) => w.includes("variable frame rate")), warnings.join(" | "));
    assertGreater(summary.frames, 45); // 2 s at 25 fps (ffmpeg's fps filter rounds the ends)
    const ds = await loadDataset(out);
    assertEquals(ds.train.length + ds.val.length, summary.frames);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
