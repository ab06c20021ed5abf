/**
 * Writing H.264 + AAC videos through ffmpeg: frames piped to its stdin, the audio track muxed in after.
 * Tested with the other ffmpeg readers and writers in ffmpeg_test.ts (round trips through real files).
 * @module
 */
import type { Image, Wav } from "./types.ts";
import { writeWav } from "./wav.ts";
import { moveIntoPlace, tempPathBeside } from "./atomic.ts";
import { ffmpegPath, fileArg, lastLines, requireFile, runFfmpeg, tail } from "./ffmpeg.ts";

/** Options of {@linkcode writeVideo}. */
export interface WriteVideoOptions {
  /** Frame rate of the output (frames are consecutive at 1/fps). */
  readonly fps: number;
  /** Audio track: decoded audio, or the path of an audio file ffmpeg can read (wav, mp3, ...). */
  readonly audio?: Wav | string;
  /** x264 constant rate factor, 0 (lossless) .. 51. @default {18} */
  readonly crf?: number;
  /** x264 preset. @default {"medium"} */
  readonly preset?: string;
}

/** RGB bytes of `img`, padded to `pw` x `ph` by repeating the last column and row. */
function rgbPadded(img: Image, pw: number, ph: number): Uint8Array {
  const out = new Uint8Array(pw * ph * 3);
  const c = img.channels;
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < pw; x++) {
      const s = (sy * img.width + Math.min(x, img.width - 1)) * c;
      const o = (y * pw + x) * 3;
      out[o] = img.data[s];
      out[o + 1] = img.data[s + (c === 1 ? 0 : 1)];
      out[o + 2] = img.data[s + (c === 1 ? 0 : 2)];
    }
  }
  return out;
}

async function* asAsync<T>(src: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  for await (const x of src) yield x;
}

/** Encodes frames (piped to ffmpeg's stdin) into a video-only H.264 file; returns the frame count. */
async function encodeFrames(
  out: string,
  frames: AsyncIterable<Image> | Iterable<Image>,
  options: WriteVideoOptions,
  label: string,
): Promise<number> {
  const it = asAsync(frames);
  const first = await it.next();
  if (first.done) throw new Error(`ffmpeg.ts: writeVideo ${label}: frames is empty`);
  const f0 = first.value;
  const { width, height } = f0;
  // yuv420p needs even sizes: pad by one row / column, repeating the edge.
  const pw = width + (width & 1);
  const ph = height + (height & 1);
  const crf = options.crf ?? 18;
  if (!(crf >= 0 && crf <= 51)) throw new Error(`ffmpeg.ts: options.crf must be in 0..51, got ${crf}`);
  const ff = await ffmpegPath();
  const args = [
    "-nostdin",
    "-v",
    "error",
    "-y",
    "-f",
    "rawvideo",
    "-pix_fmt",
    "rgb24",
    "-s",
    `${pw}x${ph}`,
    "-r",
    String(options.fps),
    "-i",
    "-",
    "-an",
    "-c:v",
    "libx264",
    "-preset",
    options.preset ?? "medium",
    "-crf",
    String(crf),
    "-pix_fmt",
    "yuv420p",
    fileArg(out),
  ];
  const child = new Deno.Command(ff, { args, stdin: "piped", stdout: "null", stderr: "piped" }).spawn();
  const errText = tail(child.stderr);
  const writer = child.stdin.getWriter();
  let count = 0;
  let sourceError: unknown;
  let pipeBroken = false;
  try {
    let frame: Image | undefined = f0;
    while (frame) {
      if (frame.width !== width || frame.height !== height) {
        throw new Error(
          `ffmpeg.ts: writeVideo ${label}: frame ${count} is ${frame.width}x${frame.height}, expected ${width}x${height} like frame 0`,
        );
      }
      if (frame.data.length !== width * height * frame.channels) {
        throw new Error(`ffmpeg.ts: writeVideo ${label}: frame ${count} data length does not match its size`);
      }
      try {
        await writer.write(rgbPadded(frame, pw, ph));
      } catch {
        pipeBroken = true; // ffmpeg exited; its stderr says why
        break;
      }
      count++;
      const next: IteratorResult<Image> = await it.next();
      frame = next.done ? undefined : next.value;
    }
  } catch (e) {
    sourceError = e;
  }
  if (sourceError !== undefined) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await writer.abort().catch(() => {});
    await child.status;
    await errText.catch(() => "");
    throw sourceError;
  }
  if (!pipeBroken) await writer.close().catch(() => {});
  else await writer.abort().catch(() => {});
  const status = await child.status;
  const err = await errText;
  if (!status.success || pipeBroken) {
    throw new Error(`ffmpeg.ts: writeVideo ${label}: ffmpeg failed (exit ${status.code}): ${lastLines(err)}`);
  }
  return count;
}

/**
 * Writes an H.264 video (libx264, yuv420p, `crf` 18 by default) from RGB, grey or RGBA frames (alpha is
 * dropped), with an optional AAC audio track. The frames are piped to ffmpeg one at a time.
 *
 * Length: the video ends with the frames (n / fps seconds); the audio is cut at that time, or padded with
 * silence when it is shorter. Sizes: yuv420p needs even width and height, so an odd size is padded by one
 * column / row repeating the edge pixels (a 33x21 input gives a 34x22 video). All frames must share frame
 * 0's size. The file is written atomically: ffmpeg writes a temporary file beside `path` (same extension,
 * which chooses the container), renamed when complete.
 * @param path Destination (.mp4, .mov, .mkv).
 * @param frames Frames in order (sync or async iterable; consumed once).
 * @param options Frame rate, audio, quality.
 */
export async function writeVideo(
  path: string,
  frames: AsyncIterable<Image> | Iterable<Image>,
  options: WriteVideoOptions,
): Promise<void> {
  if (!(options.fps > 0)) throw new Error(`ffmpeg.ts: options.fps must be > 0, got ${options.fps}`);
  const audio = options.audio;
  if (typeof audio === "string") await requireFile(audio);
  await moveIntoPlace(path, async (tmp) => {
    if (audio === undefined) {
      await encodeFrames(tmp, frames, options, path);
      return;
    }
    const videoOnly = tempPathBeside(path);
    const wavTmp = typeof audio === "string" ? undefined : tempPathBeside(`${path}.wav`);
    try {
      const n = await encodeFrames(videoOnly, frames, options, path);
      if (wavTmp && typeof audio !== "string") await writeWav(wavTmp, audio, "float32");
      const audioPath = wavTmp ?? (audio as string);
      const { code, stderr } = await runFfmpeg([
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-i",
        fileArg(videoOnly),
        "-i",
        fileArg(audioPath),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c:v",
        "copy",
        // Pad with silence, then cut at the frames' end to the sample (-t alone cuts at whole AAC frames).
        "-af",
        `apad,atrim=end=${n / options.fps}`,
        "-c:a",
        "aac",
        "-b:a",
        "160k",
        fileArg(tmp),
      ]);
      if (code !== 0) {
        throw new Error(
          `ffmpeg.ts: writeVideo ${path}: adding the audio ${audioPath} failed: ${lastLines(stderr)}`,
        );
      }
    } finally {
      for (const p of [videoOnly, wavTmp]) if (p) await Deno.remove(p).catch(() => {});
    }
  });
}
