/**
 * Paste-back end to end: the fixture's frames placed into a larger canvas become a "source video"
 * (ffmpeg), which goes through preprocessing (the fixture's exact landmarks as detector); the dataset's
 * own frames (the crops, i.e. a perfect rendering) are pasted back into the source with the mask of the
 * dataset's parsing. Checked on the composited frames before encoding: outside the crop they equal the
 * decoded source exactly; at the mask's border the gradient is no larger than the source's own there
 * (no step), while a deliberately mismatched render pasted with a hard mask does show one. The video is
 * written with the dataset's audio to `runs/tests/paste_back_e2e.mp4` (kept for looking at) and read
 * back. Bad inputs: a source of another size or length, a dataset without the record.
 */
import { assert, assertEquals, assertLess, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { imageToParsing, SSPNERF11 } from "../lib/data/palette.ts";
import { pathExists } from "../lib/io/atomic.ts";
import { probeVideo, readImage, readVideoFrames, toRgb, writeVideo } from "../lib/io/mod.ts";
import type { Image } from "../lib/io/types.ts";
import { landmarkBox } from "../lib/preprocess/crop.ts";
import { preprocessVideo } from "../lib/preprocess/pipeline.ts";
import { readSourceRecord } from "../lib/preprocess/source_record.ts";
import type { FaceDetector } from "../lib/preprocess/track.ts";
import {
  pasteAlpha,
  pasteBack,
  pasteBackFrames,
  type RenderedCrop,
  renderPasteBack,
  seamGradients,
} from "../lib/video/mod.ts";
import { denoRun } from "./deno_run.ts";

const FIXTURE = new URL("../fixtures/synthetic_portrait/", import.meta.url).pathname;
const KEEP = new URL("../runs/tests/paste_back_e2e.mp4", import.meta.url).pathname;
const FRAMES = 40;
const W = 224, H = 176, OX = 56, OY = 24; // canvas size and where the 128 px fixture frame sits

/** The fixture frame inside a W x H canvas whose outside repeats the frame's edge pixels. */
function placed(img: Image): Image {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, y - OY));
    for (let x = 0; x < W; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x - OX));
      for (let k = 0; k < 3; k++) data[(y * W + x) * 3 + k] = img.data[(sy * img.width + sx) * 3 + k];
    }
  }
  return { width: W, height: H, channels: 3, data };
}

async function sourceVideo(path: string, frames: number, width = W): Promise<void> {
  async function* images(): AsyncGenerator<Image> {
    for (let i = 0; i < frames; i++) {
      const f = placed(toRgb(await readImage(join(FIXTURE, "ori_imgs", `${i}.jpg`))));
      yield width === W ? f : { ...f, width, data: f.data.filter((_, p) => Math.floor(p / 3) % W < width) };
    }
  }
  await writeVideo(path, images(), { fps: 25, audio: join(FIXTURE, "aud.wav"), crf: 12 });
}

/** The fixture's exact landmarks, moved into the canvas, for the frame being looked at (frames arrive in
 * order; a new image object is the next frame). */
function shiftedGroundTruth(): FaceDetector {
  let last: Image | undefined;
  let index = -1;
  const next = async (img: Image) => {
    if (img !== last) last = img, index++;
    const text = await Deno.readTextFile(join(FIXTURE, "ori_imgs", `${index}.lms`));
    return Float32Array.from(text.trim().split(/\s+/).map(Number), (v, k) => v + (k % 2 === 0 ? OX : OY));
  };
  return {
    async detect(img) {
      const landmarks = await next(img);
      return { box: landmarkBox(landmarks), score: 1, landmarks };
    },
    landmarksInBox: (img) => next(img),
  };
}

/** The source video (`frames` frames) and its dataset (side 96) in `dir`. size 96 < the crop's side:
 * the crop pass never re-places landmarks (the detector above counts frames by image object and must
 * only see the tracking pass). A given focal skips the search. */
async function sourceAndDataset(dir: string, frames: number) {
  const video = join(dir, "source.mp4");
  await sourceVideo(video, frames);
  const data = join(dir, "data");
  const summary = await preprocessVideo(video, data, {
    size: 96,
    focal: 250,
    detector: shiftedGroundTruth(),
    quiet: true,
  });
  return { video, data, summary };
}

/** Mean absolute difference of two frames over the pixels where `where` holds. */
function meanAbsDiff(a: Image, b: Image, where: (x: number, y: number) => boolean): number {
  let s = 0, n = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!where(x, y)) continue;
      for (let k = 0; k < 3; k++) {
        s += Math.abs(a.data[(y * a.width + x) * 3 + k] - b.data[(y * a.width + x) * 3 + k]);
      }
      n += 3;
    }
  }
  return s / Math.max(1, n);
}

Deno.test("paste-back end to end: fixture in a larger canvas -> preprocessing -> paste-back video", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-paste-" });
  try {
    const { video, data, summary } = await sourceAndDataset(dir, FRAMES);
    const record = await readSourceRecord(data);
    assertEquals([record.width, record.height, record.fps, record.frames], [W, H, 25, FRAMES]);
    assertEquals(record.crop, summary.crop);
    assertEquals(record.scale, 96 / summary.crop.w);
    const crop = record.crop;
    console.log(`crop ${crop.w}x${crop.h}+${crop.x}+${crop.y} of the ${W}x${H} source, dataset side 96`);

    // A perfect rendering: the dataset's own frames, with the person of its parsing as the mask.
    const crops: RenderedCrop[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const image = toRgb(await readImage(join(data, "ori_imgs", `${i}.jpg`)));
      const ids = imageToParsing(await readImage(join(data, "parsing", `${i}.png`)), SSPNERF11);
      crops.push({ image, mask: ids.map((c) => (c !== 0 ? 1 : 0)) });
    }
    const sources: Image[] = [];
    for await (const f of readVideoFrames(video, { fps: 25 })) if (sources.length < FRAMES) sources.push(f);
    const out: Image[] = [];
    for await (const f of pasteBackFrames(crops, video, record)) out.push(f);
    assertEquals(out.length, FRAMES);
    const inCrop = (x: number, y: number) =>
      x >= crop.x && x < crop.x + crop.w && y >= crop.y && y < crop.y + crop.h;
    const feather = Math.max(2, Math.round(crop.w / 32));
    let bandOut = 0, bandSrc = 0, elsewhereOut = 0, insideErr = 0;
    let hardBand = 0, softBand = 0, srcBandWhole = 0;
    for (let i = 0; i < FRAMES; i++) {
      // Outside the crop: the source exactly (before encoding).
      assertEquals(
        meanAbsDiff(out[i], sources[i], (x, y) => !inCrop(x, y)),
        0,
        `frame ${i} changed outside the crop`,
      );
      const alpha = pasteAlpha(crops[i].mask, 96, crop.w, feather);
      const so = seamGradients(out[i], alpha, crop), ss = seamGradients(sources[i], alpha, crop);
      bandOut += so.band / FRAMES, bandSrc += ss.band / FRAMES, elsewhereOut += so.elsewhere / FRAMES;
      insideErr += meanAbsDiff(out[i], sources[i], inCrop) / FRAMES;
      // A render 20 levels too bright over the whole crop: hard-pasted it shows a step at the crop's
      // edge, feathered it does not.
      const bright = { ...crops[i].image, data: crops[i].image.data.map((v) => Math.min(255, v + 20)) };
      const hardA = pasteAlpha(undefined, 96, crop.w, 0), softA = pasteAlpha(undefined, 96, crop.w, feather);
      hardBand += seamGradients(pasteBack(sources[i], bright, hardA, crop), hardA, crop).band / FRAMES;
      softBand += seamGradients(pasteBack(sources[i], bright, softA, crop), softA, crop).band / FRAMES;
      srcBandWhole += seamGradients(sources[i], softA, crop).band / FRAMES;
    }
    console.log(
      `seam (mean |grad| of luminance, levels/px, ${FRAMES} frames, feather ${feather} px): person-mask band ` +
        `${bandOut.toFixed(3)} in the output vs ${
          bandSrc.toFixed(3)
        } in the source there; elsewhere in the ` +
        `crop ${elsewhereOut.toFixed(3)}; mean |output - source| in the crop ${insideErr.toFixed(2)}\n` +
        `  render +20 levels, whole-crop mask: crop-edge band ${hardBand.toFixed(3)} hard vs ` +
        `${softBand.toFixed(3)} feathered (source there ${srcBandWhole.toFixed(3)})`,
    );
    // No step: the band is no sharper than the source is there (the resampled render is, if anything,
    // softer), and the perfect render stays close to the source inside the crop.
    assertLess(bandOut, bandSrc * 1.1 + 0.1);
    // (The "perfect render" went through the dataset's 96 px crop and back, plus JPEG twice: 5.1 levels
    // on the first fixture, 7.9 on the head-coupled one, whose moving shoulders put more edges in it.)
    assertLess(insideErr, 10);
    // The measure sees a hard paste's step (half the edge strip's pixel pairs straddle it: about +5),
    // and feathering takes most of it away.
    assert(
      hardBand > srcBandWhole + 2.5,
      `a hard paste of a +20 render must show: ${hardBand} vs ${srcBandWhole}`,
    );
    assertLess(softBand - srcBandWhole, (hardBand - srcBandWhole) / 2);

    // The video, with the dataset's audio; read back: full size, every frame, the source outside the crop
    // up to the codec's error.
    await Deno.mkdir(join(KEEP, ".."), { recursive: true });
    const r = await renderPasteBack(crops, video, record, { out: KEEP, audio: join(data, "aud.wav") });
    assertEquals(r.frames, FRAMES);
    const info = await probeVideo(KEEP);
    assertEquals([info.width, info.height, info.hasAudio], [W, H, true]);
    let k = 0, codecErr = 0;
    for await (const f of readVideoFrames(KEEP)) {
      if (k < FRAMES) codecErr += meanAbsDiff(f, sources[k], (x, y) => !inCrop(x, y)) / FRAMES;
      k++;
    }
    assertEquals(k, FRAMES);
    console.log(
      `wrote ${KEEP}: ${k} frames ${W}x${H}; outside the crop mean |decoded - source| ${codecErr.toFixed(2)}`,
    );
    assertLess(codecErr, 3);

    // Bad inputs: nothing written.
    const bad = join(dir, "bad.mp4");
    const narrow = join(dir, "narrow.mp4");
    await sourceVideo(narrow, FRAMES, W - 16);
    await assertRejects(
      () => renderPasteBack(crops, narrow, record, { out: bad, recordFile: "data/transforms_train.json" }),
      Error,
      `paste-back: ${narrow} is ${
        W - 16
      }x${H}: expected ${W}x${H}, the size of the source video source.mp4 ` +
        "recorded in data/transforms_train.json",
    );
    const short = join(dir, "short.mp4");
    await sourceVideo(short, 30);
    await assertRejects(
      () => renderPasteBack(crops, short, record, { out: bad }),
      Error,
      `expected ${record.sourceFrames}, the length of the source video source.mp4`,
    );
    await assertRejects(
      () => readSourceRecord(FIXTURE),
      Error,
      'transforms_train.json: has no "source" field',
    );
    // More rendered frames than the source has: the error comes mid-stream, and still nothing is written.
    const more = [...crops, ...crops, ...crops];
    await assertRejects(
      () => renderPasteBack(more, video, record, { out: bad }),
      Error,
      `paste-back: ${video} ended after`,
    );
    assert(!(await pathExists(bad)), "nothing written on bad input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const deno = denoRun;

Deno.test("deno task render --paste-back --poses smooth:3: a full-size video; a pose file of the wrong length is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-paste-cli-" });
  try {
    const { video, data } = await sourceAndDataset(dir, 30);
    const run = join(dir, "run");
    const t = await deno([
      "experiments/train.ts",
      "--config",
      "tiny",
      "--steps",
      "2",
      "--data",
      data,
      "--out",
      run,
    ]);
    assertEquals(t.code, 0, t.err);
    const out = join(dir, "pasted.mp4");
    const audio = join(data, "aud.wav");
    const args = ["experiments/render.ts", "--run", run, "--audio", audio, "--frames", "3", "--workers", "0"];
    const r = await deno([...args, "--poses", "smooth:3", "--paste-back", video, "--out", out]);
    assertEquals(r.code, 0, r.err);
    assertStringIncludes(r.out, "pose path smooth:3: jitter ");
    assertStringIncludes(r.out, `3 frames pasted back into ${video}`);
    const info = await probeVideo(out);
    assertEquals([info.width, info.height, info.hasAudio], [W, H, true]);
    const poses = join(dir, "poses.json");
    await Deno.writeTextFile(poses, JSON.stringify({ poses: [{ euler: [0, 0, 0], trans: [0, 0, -12] }] }));
    const bad = join(dir, "bad.mp4");
    const b = await deno([...args, "--poses", poses, "--out", bad]);
    assert(b.code !== 0);
    assertStringIncludes(b.err, `${poses}: has 1 poses: expected 3, one per rendered frame`);
    assert(!(await pathExists(bad)), "nothing written on bad input");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
