/**
 * Video I/O through ffmpeg, the binary (ffmpeg.ts) and the readers and writers built on it
 * (video_probe.ts, video_frames.ts, video_audio.ts, video_write.ts): mostly round trips, frames and audio
 * written with writeVideo and read back.
 */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertLess,
  assertRejects,
} from "@std/assert";
import { ffmpegPath } from "./ffmpeg.ts";
import { probeVideo } from "./video_probe.ts";
import { readVideoFrames } from "./video_frames.ts";
import { extractAudio } from "./video_audio.ts";
import { writeVideo } from "./video_write.ts";
import { writeWav } from "./wav.ts";
import type { Image } from "./types.ts";

const W = 96;
const H = 64;
const FPS = 25;

/** Smooth colour gradients with a soft disc moving left to right and a bar moving down. */
function syntheticFrame(t: number, width = W, height = H): Image {
  const data = new Uint8Array(width * height * 3);
  const cx = 15 + t * 2.5;
  const cy = height / 2;
  const barY = 5 + t * 1.5;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const disc = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 60);
      const bar = Math.exp(-((y - barY) ** 2) / 8);
      data[i] = Math.round(40 + 150 * (x / width) + 60 * disc);
      data[i + 1] = Math.round(60 + 120 * (y / height) + 50 * bar);
      data[i + 2] = Math.round(200 - 100 * (x / width) - 80 * disc + 30 * bar);
    }
  }
  return { width, height, channels: 3, data };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

/** Frequency (Hz, 5 Hz grid from 100 to 2000) with the largest Goertzel power. */
function dominantFrequency(x: Float32Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f <= 2000; f += 5) {
    const k = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < x.length; i++) {
      const s = x[i] + k * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const p = s1 * s1 + s2 * s2 - k * s1 * s2;
    if (p > bestP) [best, bestP] = [f, p];
  }
  return best;
}

function sineWav(freq: number, rate: number, seconds: number) {
  const n = Math.round(rate * seconds);
  const ch = new Float32Array(n);
  for (let i = 0; i < n; i++) ch[i] = 0.5 * Math.sin((2 * Math.PI * freq * i) / rate);
  return { sampleRate: rate, channels: [ch] };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ssp_io_ffmpeg_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function ff(args: string[]): Promise<void> {
  const out = await new Deno.Command(await ffmpegPath(), {
    args: ["-v", "error", "-y", ...args],
    stderr: "piped",
  })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("ffmpeg: the binary resolves and an unusable FFMPEG_PATH is a clear error", async () => {
  const p = await ffmpegPath();
  const out = await new Deno.Command(p, { args: ["-version"], stdout: "piped" }).output();
  assert(out.success);
  const before = Deno.env.get("FFMPEG_PATH");
  Deno.env.set("FFMPEG_PATH", "/nonexistent/ffmpeg");
  try {
    await assertRejects(
      () => ffmpegPath({ refresh: true }),
      Error,
      "FFMPEG_PATH=/nonexistent/ffmpeg is unusable: does not exist",
    );
  } finally {
    if (before === undefined) Deno.env.delete("FFMPEG_PATH");
    else Deno.env.set("FFMPEG_PATH", before);
  }
  assertEquals(await ffmpegPath({ refresh: true }), p);
});

Deno.test("ffmpeg: 25 frames + sine audio to mp4 and back: count, PSNR, probe, audio", async () => {
  await withTempDir(async (dir) => {
    const frames = Array.from({ length: 25 }, (_, t) => syntheticFrame(t));
    const path = `${dir}/out/clip.mp4`;
    // An async source, to exercise streaming into ffmpeg's stdin.
    async function* source() {
      for (const f of frames) yield f;
    }
    await writeVideo(path, source(), { fps: FPS, audio: sineWav(440, 16000, 1.0) });
    assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["clip.mp4"]); // temp files gone

    const info = await probeVideo(path);
    assertEquals([info.width, info.height, info.frameCount, info.hasAudio], [W, H, 25, true]);
    assertAlmostEquals(info.fps, 25, 1e-9);
    assertAlmostEquals(info.durationS, 1, 1e-9);
    assertEquals(info.variableFrameRate, false);
    assertEquals(info.codec, "h264");

    let n = 0;
    let worst = Infinity;
    for await (const img of readVideoFrames(path)) {
      assertEquals([img.width, img.height, img.channels], [W, H, 3]);
      worst = Math.min(worst, psnr(img.data, frames[n].data));
      n++;
    }
    assertEquals(n, 25);
    assertGreater(worst, 35);

    const audio = await extractAudio(path);
    assertLess(Math.abs(audio.length - 16000), 160, `audio length ${audio.length}`); // within 10 ms
    assertEquals(dominantFrequency(audio.subarray(2000, 14000), 16000), 440);
    // In sync with the source (the AAC priming delay is removed): sample-wise close to the original sine.
    let err = 0;
    for (let i = 1000; i < 15000; i++) {
      err = Math.max(err, Math.abs(audio[i] - 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000)));
    }
    assertLess(err, 0.1);
    const at8k = await extractAudio(path, { sampleRate: 8000 });
    assertLess(Math.abs(at8k.length - 8000), 80);
  });
});

Deno.test("ffmpeg: audio longer than the frames is cut, shorter is padded; wav path input; odd sizes padded", async () => {
  await withTempDir(async (dir) => {
    const wavPath = `${dir}/long.wav`;
    await writeWav(wavPath, sineWav(300, 22050, 2.0));
    const frames = Array.from({ length: 10 }, (_, t) => syntheticFrame(t, 33, 21));
    await writeVideo(`${dir}/a.mp4`, frames, { fps: 20, audio: wavPath });
    const a = await probeVideo(`${dir}/a.mp4`);
    assertEquals([a.width, a.height, a.frameCount], [34, 22, 10]);
    const audioA = await extractAudio(`${dir}/a.mp4`);
    assertLess(Math.abs(audioA.length - 8000), 160, `0.5 s of audio, got ${audioA.length}`);
    // The padded column/row repeat the edge: last column equals the one before it.
    const [f0] = await Array.fromAsync(readVideoFrames(`${dir}/a.mp4`));
    let diff = 0;
    for (let y = 0; y < 22; y++) {
      for (let k = 0; k < 3; k++) {
        diff = Math.max(diff, Math.abs(f0.data[(y * 34 + 33) * 3 + k] - f0.data[(y * 34 + 32) * 3 + k]));
      }
    }
    assertLess(diff, 12);

    await writeVideo(`${dir}/b.mp4`, frames, { fps: 5, audio: sineWav(300, 16000, 0.5) });
    const audioB = await extractAudio(`${dir}/b.mp4`);
    assertLess(Math.abs(audioB.length - 32000), 160, `2 s (padded with silence), got ${audioB.length}`);
    let tailPeak = 0;
    for (let i = 16000; i < audioB.length; i++) tailPeak = Math.max(tailPeak, Math.abs(audioB[i]));
    assertLess(tailPeak, 0.01);
  });
});

Deno.test("ffmpeg: readVideoFrames options (fps, size, crop) and stopping early", async () => {
  await withTempDir(async (dir) => {
    const frames = Array.from({ length: 25 }, (_, t) => syntheticFrame(t));
    const path = `${dir}/v.mp4`;
    await writeVideo(path, frames, { fps: FPS, crf: 10, preset: "ultrafast" });
    const slow = await Array.fromAsync(readVideoFrames(path, { fps: 5 }));
    assertEquals(slow.length, 5);
    const small = await Array.fromAsync(readVideoFrames(path, { width: 48 }));
    assertEquals([small.length, small[0].width, small[0].height], [25, 48, 32]);
    // Crop: a window of frame 3 compared with the same window of the original.
    const crop = { x: 10, y: 20, w: 40, h: 30 };
    let i = 0;
    for await (const img of readVideoFrames(path, { crop })) {
      if (i === 3) {
        assertEquals([img.width, img.height], [40, 30]);
        const ref = new Uint8Array(40 * 30 * 3);
        for (let y = 0; y < 30; y++) {
          ref.set(frames[3].data.subarray(((y + 20) * W + 10) * 3, ((y + 20) * W + 50) * 3), y * 120);
        }
        assertGreater(psnr(img.data, ref), 35);
        break; // leaves ffmpeg mid-stream: it must be killed and its pipes closed (checked by the sanitizers)
      }
      i++;
    }
    await assertRejects(
      async () => {
        for await (const _ of readVideoFrames(path, { crop: { x: 90, y: 0, w: 20, h: 10 } })) break;
      },
      Error,
      "exceeds the 96x64 frames",
    );
  });
});

Deno.test("ffmpeg: variable frame rate is detected; 29.97 fps in Matroska (1 ms ticks) is constant", async () => {
  await withTempDir(async (dir) => {
    await ff([
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=64x48:rate=25:duration=1",
      "-vf",
      "setpts='if(lt(N,10),N,N*2)/25/TB'",
      "-vsync",
      "vfr",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      `${dir}/vfr.mp4`,
    ]);
    const vfr = await probeVideo(`${dir}/vfr.mp4`);
    assertEquals([vfr.variableFrameRate, vfr.frameCount, vfr.hasAudio], [true, 25, false]);
    // Reading at the native rate yields each decoded frame once (no duplicates for the gaps).
    assertEquals((await Array.fromAsync(readVideoFrames(`${dir}/vfr.mp4`))).length, 25);
    await ff([
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=64x48:rate=30000/1001:duration=1",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      `${dir}/ntsc.mkv`,
    ]);
    const ntsc = await probeVideo(`${dir}/ntsc.mkv`);
    assertEquals(ntsc.variableFrameRate, false);
    assertAlmostEquals(ntsc.fps, 30000 / 1001, 0.02);
  });
});

Deno.test("ffmpeg: bad inputs give errors naming the file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/fake.mp4`, "this is not a video\n");
    await assertRejects(
      () => probeVideo(`${dir}/fake.mp4`),
      Error,
      `${dir}/fake.mp4: not a readable media file`,
    );
    await assertRejects(() => probeVideo(`${dir}/missing.mp4`), Error, `${dir}/missing.mp4: no such file`);
    await assertRejects(() => extractAudio(`${dir}/missing.mp4`), Error, "no such file");
    await writeVideo(`${dir}/silent.mp4`, [syntheticFrame(0, 16, 16), syntheticFrame(1, 16, 16)], {
      fps: 10,
      preset: "ultrafast",
    });
    await assertRejects(
      () => extractAudio(`${dir}/silent.mp4`),
      Error,
      `${dir}/silent.mp4: has no audio stream`,
    );
    const wavPath = `${dir}/tone.wav`;
    await writeWav(wavPath, sineWav(440, 8000, 0.1));
    await assertRejects(() => probeVideo(wavPath), Error, `${wavPath}: has no video stream`);
    assertEquals(dominantFrequency(await extractAudio(wavPath), 16000), 440); // audio-only files work
    await assertRejects(
      () => writeVideo(`${dir}/x.mp4`, [syntheticFrame(0), syntheticFrame(1, 32, 32)], { fps: 10 }),
      Error,
      "frame 1 is 32x32, expected 96x64",
    );
    await assertRejects(() => writeVideo(`${dir}/y.mp4`, [], { fps: 10 }), Error, "frames is empty");
    await assertRejects(
      () => writeVideo(`${dir}/z.mp4`, [syntheticFrame(0)], { fps: 10, audio: `${dir}/nope.wav` }),
      Error,
      "nope.wav: no such file",
    );
    async function* failing() {
      yield syntheticFrame(0);
      throw new Error("renderer crashed");
    }
    await assertRejects(() => writeVideo(`${dir}/w.mp4`, failing(), { fps: 10 }), Error, "renderer crashed");
    await assertRejects(
      () => writeVideo(`${dir}/v.mp4`, failing(), { fps: 10, audio: sineWav(440, 8000, 1) }),
      Error,
      "renderer crashed",
    );
    // A name ffmpeg would otherwise take for a protocol.
    await writeVideo(`${dir}/take:2.mp4`, [syntheticFrame(0, 16, 16)], { fps: 10, preset: "ultrafast" });
    assertEquals((await probeVideo(`${dir}/take:2.mp4`)).frameCount, 1);
    await Deno.remove(`${dir}/take:2.mp4`);
    // Nothing half-written is left behind by the failures.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assertEquals(left, ["fake.mp4", "silent.mp4", "tone.wav"]);
  });
});
