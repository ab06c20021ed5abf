/**
 * Video and audio through an ffmpeg binary: probing, streaming frames out, extracting audio, and writing
 * H.264 + AAC videos.
 *
 * Which ffmpeg: the environment variable `FFMPEG_PATH` (the one environment variable this library reads),
 * then an `ffmpeg` found on PATH, then the binary shipped inside the npm package
 * `@ffmpeg-installer/ffmpeg` (its platform subpackage, e.g. `@ffmpeg-installer/linux-x64`, ffmpeg 4.1).
 * ffprobe is not shipped, so stream facts come from the stream summary ffmpeg prints for `-i` and from a
 * cheap pass that copies the video packets (no decoding) to the `framecrc` muxer to read their timestamps.
 * @module
 */
import type { Image, Wav } from "./types.ts";
import { decodeWav, resample, toMono, writeWav } from "./wav.ts";
import { moveIntoPlace, tempPathBeside } from "./atomic.ts";

// ---------------------------------------------------------------------------------------------------------
// Finding the binary

let cachedPath: Promise<string> | undefined;

async function runsAsFfmpeg(cmd: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args: ["-version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.success && text.startsWith("ffmpeg version")) return undefined;
    return `ran but did not print an ffmpeg version (exit ${out.code})`;
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? "not found"
      : `cannot run: ${e instanceof Error ? e.message : e}`;
  }
}

async function checkExecutable(path: string): Promise<string | undefined> {
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) return "not a file";
    if (st.mode !== null && (st.mode & 0o111) === 0) return "not executable (chmod +x it)";
  } catch {
    return "does not exist";
  }
  return await runsAsFfmpeg(path);
}

function npmPlatform(): string {
  const os = Deno.build.os === "windows" ? "win32" : Deno.build.os;
  const arch = Deno.build.arch === "x86_64"
    ? "x64"
    : Deno.build.arch === "aarch64"
    ? "arm64"
    : Deno.build.arch;
  return `${os}-${arch}`;
}

/** Candidate paths of the npm package's binary: its platform subpackage beside it, then what the package says. */
async function npmCandidates(tried: string[]): Promise<string[]> {
  const exe = Deno.build.os === "windows" ? "ffmpeg.exe" : "ffmpeg";
  const out: string[] = [];
  let entry: string;
  try {
    entry = import.meta.resolve("@ffmpeg-installer/ffmpeg");
  } catch (e) {
    tried.push(`npm @ffmpeg-installer/ffmpeg: not resolvable (${e instanceof Error ? e.message : e})`);
    return out;
  }
  if (entry.startsWith("file:")) {
    out.push(new URL(`../${npmPlatform()}/${exe}`, entry).pathname);
  }
  try {
    const mod = await import("@ffmpeg-installer/ffmpeg");
    const p = (mod.default ?? mod)?.path;
    if (typeof p === "string" && !out.includes(p)) out.push(p);
  } catch (e) {
    tried.push(
      `npm @ffmpeg-installer/ffmpeg: package failed to load (${e instanceof Error ? e.message : e})`,
    );
  }
  return out;
}

async function resolveFfmpeg(): Promise<string> {
  const tried: string[] = [];
  const env = Deno.env.get("FFMPEG_PATH");
  if (env) {
    // An explicit choice that does not work is an error, not a reason to silently use another ffmpeg.
    const why = await checkExecutable(env);
    if (why === undefined) return env;
    throw new Error(`ffmpeg.ts: FFMPEG_PATH=${env} is unusable: ${why}`);
  }
  tried.push("FFMPEG_PATH: not set");
  const onPath = await runsAsFfmpeg("ffmpeg");
  if (onPath === undefined) return "ffmpeg";
  tried.push(`ffmpeg on PATH: ${onPath}`);
  for (const cand of await npmCandidates(tried)) {
    const why = await checkExecutable(cand);
    if (why === undefined) return cand;
    tried.push(`${cand}: ${why}`);
  }
  throw new Error(`ffmpeg.ts: no usable ffmpeg found; tried:\n  ${tried.join("\n  ")}`);
}

/** Options of {@linkcode ffmpegPath}. */
export interface FfmpegPathOptions {
  /** Search again instead of returning the first result of this process. @default {false} */
  readonly refresh?: boolean;
}

/**
 * The ffmpeg command to run: `$FFMPEG_PATH` if set (it must work, else this fails), else `"ffmpeg"` if
 * one on PATH runs, else the binary of the npm package `@ffmpeg-installer/ffmpeg`. Each candidate must
 * be an executable file that prints an ffmpeg version. The result is remembered for the process.
 * @param options `refresh` to search again.
 * @returns A path (or the bare name `ffmpeg`) usable with `Deno.Command`.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { ffmpegPath } from "./ffmpeg.ts";
 * const ff = await ffmpegPath();
 * assert(ff.length > 0);
 * ```
 */
export function ffmpegPath(options: FfmpegPathOptions = {}): Promise<string> {
  if (options.refresh || !cachedPath) {
    const p = resolveFfmpeg();
    cachedPath = p;
    p.catch(() => {
      if (cachedPath === p) cachedPath = undefined;
    });
  }
  return cachedPath;
}

// ---------------------------------------------------------------------------------------------------------
// Running ffmpeg

/** Keeps the last `limit` bytes of a stream as text (ffmpeg's error messages come last). */
async function tail(stream: ReadableStream<Uint8Array>, limit = 16384): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of stream) {
    chunks.push(c);
    size += c.length;
    while (size - chunks[0].length > limit) size -= chunks.shift()!.length;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all.subarray(Math.max(0, size - limit)));
}

async function runFfmpeg(args: string[]): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const ff = await ffmpegPath();
  const out = await new Deno.Command(ff, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * A path as an ffmpeg URL: `file:` keeps ffmpeg from reading a name such as `take:2.mp4` as a protocol
 * or `-` as a pipe. The extension, which picks the container, is unchanged.
 */
function fileArg(path: string): string {
  return `file:${path}`;
}

function lastLines(text: string, n = 4): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

async function requireFile(path: string): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`ffmpeg.ts: ${path}: no such file`);
    throw new Error(`ffmpeg.ts: ${path}: cannot be read: ${e instanceof Error ? e.message : e}`);
  }
  if (!st.isFile) throw new Error(`ffmpeg.ts: ${path}: not a file`);
}

// ---------------------------------------------------------------------------------------------------------
// Probing

/** What {@linkcode probeVideo} finds out about a file's first video stream. */
export interface VideoInfo {
  /** Frame width in pixels as decoded (after the display rotation ffmpeg applies, e.g. phone videos). */
  readonly width: number;
  /** Frame height in pixels as decoded. */
  readonly height: number;
  /** Frames per second: from the packet timestamps for constant-rate streams, else ffmpeg's average rate. */
  readonly fps: number;
  /** Duration of the video stream in seconds (first to last frame plus one frame), else the container's. */
  readonly durationS: number;
  /** Whether the file has an audio stream. */
  readonly hasAudio: boolean;
  /** Number of video packets (= frames for modern codecs), when the timestamp pass could count them. */
  readonly frameCount?: number;
  /** Whether frame intervals vary (see {@linkcode probeVideo} for the test). */
  readonly variableFrameRate: boolean;
  /** Codec name as ffmpeg prints it, e.g. "h264". */
  readonly codec: string;
  /** Display rotation in degrees from the file's metadata (0 when none). */
  readonly rotationDeg: number;
  /** Sample rate of the first audio stream (Hz), when there is one. */
  readonly audioSampleRate?: number;
}

interface StreamSummary {
  readonly video?: {
    codec: string;
    width: number;
    height: number;
    fps?: number;
    tbr?: number;
    rotationDeg: number;
  };
  readonly audio?: { sampleRate?: number };
  readonly durationS?: number;
}

function parseRate(m: RegExpExecArray | null): number | undefined {
  if (!m) return undefined;
  const v = Number(m[1]) * (m[2] === "k" ? 1000 : 1);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Parses the `Input #0` summary ffmpeg prints on stderr for `ffmpeg -i FILE`. */
function parseSummary(stderr: string, path: string): StreamSummary {
  if (!/^Input #0/m.test(stderr)) {
    throw new Error(`ffmpeg.ts: ${path}: not a readable media file (ffmpeg: ${lastLines(stderr, 2)})`);
  }
  const lines = stderr.split("\n");
  let video: StreamSummary["video"];
  let audio: StreamSummary["audio"];
  let durationS: number | undefined;
  let inVideo = false;
  const streamRe = /^\s*Stream #\d+:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: (\w+): (.*)$/;
  for (const line of lines) {
    const d = /^\s*Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(line);
    if (d && durationS === undefined) durationS = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
    const s = streamRe.exec(line);
    if (s) {
      inVideo = false;
      const [, kind, rest] = s;
      if (kind === "Video" && !video && !/attached pic/.test(rest)) {
        const size = /(?:^|[\s,])(\d+)x(\d+)(?=[\s,[]|$)/.exec(rest);
        if (!size) continue;
        video = {
          codec: rest.split(/[\s,]/)[0],
          width: Number(size[1]),
          height: Number(size[2]),
          fps: parseRate(/([\d.]+)(k?) fps/.exec(rest)),
          tbr: parseRate(/([\d.]+)(k?) tbr/.exec(rest)),
          rotationDeg: 0,
        };
        inVideo = true;
      } else if (kind === "Audio" && !audio) {
        const hz = /(\d+) Hz/.exec(rest);
        audio = { sampleRate: hz ? Number(hz[1]) : undefined };
      }
      continue;
    }
    if (inVideo && video) {
      const rot = /^\s*rotate\s*:\s*(-?[\d.]+)/.exec(line);
      const dm = /displaymatrix: rotation of (-?[\d.]+) degrees/.exec(line);
      // "rotate" metadata is clockwise; the display matrix angle is counter-clockwise.
      if (rot) video.rotationDeg = Number(rot[1]);
      else if (dm && video.rotationDeg === 0) video.rotationDeg = -Number(dm[1]);
    }
  }
  return { video, audio, durationS };
}

async function summarize(path: string): Promise<StreamSummary> {
  await requireFile(path);
  const { stderr } = await runFfmpeg(["-hide_banner", "-nostdin", "-i", fileArg(path)]);
  return parseSummary(stderr, path);
}

/**
 * Timestamps of one stream's packets (`map`, e.g. "0:v:0"), by copying them to the framecrc muxer
 * (no decoding). `pts` sorted ascending and `end` = max(pts + duration), both in ticks of `tick` seconds.
 */
async function packetTimes(
  path: string,
  map: string,
): Promise<{ pts: number[]; end: number; tick: number } | undefined> {
  const { code, stdout } = await runFfmpeg([
    "-nostdin",
    "-v",
    "error",
    "-i",
    fileArg(path),
    "-map",
    map,
    "-c",
    "copy",
    "-f",
    "framecrc",
    "-",
  ]);
  if (code !== 0) return undefined;
  const text = new TextDecoder().decode(stdout);
  const tb = /^#tb 0: (\d+)\/(\d+)/m.exec(text);
  if (!tb) return undefined;
  const tick = Number(tb[1]) / Number(tb[2]);
  const pts: number[] = [];
  let end = -Infinity;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const f = line.split(",").map((s) => s.trim());
    if (f.length < 5 || f[0] !== "0") continue;
    const p = Number(f[2]);
    // AV_NOPTS_VALUE prints as -2^63.
    if (!Number.isFinite(p) || p < -9.2e18) continue;
    pts.push(p);
    end = Math.max(end, p + (Number(f[3]) || 0));
  }
  pts.sort((a, b) => a - b);
  return { pts, end, tick };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Facts about a video file's first video stream (and whether it has audio).
 *
 * Variable frame rate is detected from the presentation timestamps of all video packets (read by copying
 * packets, without decoding): the stream is VFR when some interval between consecutive frames differs from
 * the median interval by more than one timestamp tick plus 0.5 % (timestamps are rounded to ticks, e.g.
 * 33/34 ms at 29.97 fps in Matroska). When timestamps are unavailable (raw streams), ffmpeg's average rate
 * (`fps`) is compared with its base rate (`tbr`): a difference above 1 % counts as VFR.
 * @param path Video file.
 * @returns Size, rate, duration, audio presence, frame count and VFR flag.
 */
export async function probeVideo(path: string): Promise<VideoInfo> {
  const sum = await summarize(path);
  const v = sum.video;
  if (!v) throw new Error(`ffmpeg.ts: ${path}: has no video stream`);
  const quarter = Math.round((((v.rotationDeg % 360) + 360) % 360) / 90) % 4;
  const swap = quarter === 1 || quarter === 3;
  const packets = await packetTimes(path, "0:v:0");
  let fps = v.fps ?? v.tbr;
  let durationS = sum.durationS;
  let variableFrameRate = v.fps !== undefined && v.tbr !== undefined &&
    Math.abs(v.fps - v.tbr) > 0.01 * v.tbr;
  let frameCount: number | undefined;
  if (packets && packets.pts.length > 0) {
    const { pts, tick, end } = packets;
    frameCount = pts.length;
    if (pts.length >= 3) {
      const deltas = pts.slice(1).map((p, i) => p - pts[i]);
      const m = median(deltas);
      const tol = 1 + 0.005 * m;
      variableFrameRate = deltas.some((d) => Math.abs(d - m) > tol);
      if (!variableFrameRate && m > 0) fps = (pts.length - 1) / ((pts[pts.length - 1] - pts[0]) * tick);
      const last = pts[pts.length - 1];
      durationS = (Math.max(end, last + m) - pts[0]) * tick;
    }
  }
  if (fps === undefined) {
    throw new Error(`ffmpeg.ts: ${path}: cannot tell the frame rate of the video stream`);
  }
  if (durationS === undefined) durationS = frameCount !== undefined ? frameCount / fps : NaN;
  return {
    width: swap ? v.height : v.width,
    height: swap ? v.width : v.height,
    fps,
    durationS,
    hasAudio: sum.audio !== undefined,
    frameCount,
    variableFrameRate,
    codec: v.codec,
    rotationDeg: v.rotationDeg,
    audioSampleRate: sum.audio?.sampleRate,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Reading frames

/** A rectangle in pixels of the decoded frame. */
export interface CropRect {
  /** Left edge (pixels from the left). */
  readonly x: number;
  /** Top edge (pixels from the top). */
  readonly y: number;
  /** Width in pixels. */
  readonly w: number;
  /** Height in pixels. */
  readonly h: number;
}

/** Options of {@linkcode readVideoFrames}. */
export interface ReadFramesOptions {
  /** Resample to this constant rate (ffmpeg's fps filter: drops or repeats frames). Default: every
   * decoded frame once, at its own timestamp (no duplication for VFR input). */
  readonly fps?: number;
  /** Output width; with only one of width/height the other keeps the aspect ratio (rounded). */
  readonly width?: number;
  /** Output height. */
  readonly height?: number;
  /** Crop applied before scaling, in pixels of the decoded frame. */
  readonly crop?: CropRect;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`ffmpeg.ts: ${name} must be a positive integer, got ${v}`);
  }
  return v;
}

/**
 * Streams the frames of a video as RGB images, one at a time (ffmpeg decodes to raw rgb24 on its stdout;
 * only one frame is held here). Filters run in the order fps, crop, scale (area filter when shrinking,
 * bicubic otherwise). Stopping early (`break`) kills ffmpeg.
 * @param path Video file.
 * @param options Rate, crop and output size.
 * @returns An async generator of RGB images (channels 3).
 * @example
 * ```ts ignore
 * for await (const frame of readVideoFrames("talk.mp4", { width: 256 })) console.log(frame.height);
 * ```
 */
export async function* readVideoFrames(path: string, options: ReadFramesOptions = {}): AsyncGenerator<Image> {
  const info = await probeVideo(path);
  const filters: string[] = [];
  if (options.fps !== undefined) {
    if (!(options.fps > 0)) throw new Error(`ffmpeg.ts: options.fps must be > 0, got ${options.fps}`);
    filters.push(`fps=${options.fps}`);
  }
  let w = info.width;
  let h = info.height;
  const crop = options.crop;
  if (crop) {
    const { x, y } = crop;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) {
      throw new Error(`ffmpeg.ts: options.crop x, y must be integers >= 0, got ${x}, ${y}`);
    }
    positiveInt(crop.w, "options.crop.w");
    positiveInt(crop.h, "options.crop.h");
    if (x + crop.w > w || y + crop.h > h) {
      throw new Error(
        `ffmpeg.ts: options.crop ${crop.w}x${crop.h}+${x}+${y} exceeds the ${w}x${h} frames of ${path}`,
      );
    }
    filters.push(`crop=${crop.w}:${crop.h}:${x}:${y}`);
    w = crop.w;
    h = crop.h;
  }
  if (options.width !== undefined || options.height !== undefined) {
    const ow = options.width !== undefined ? positiveInt(options.width, "options.width") : undefined;
    const oh = options.height !== undefined ? positiveInt(options.height, "options.height") : undefined;
    const tw = ow ?? Math.max(1, Math.round((w * oh!) / h));
    const th = oh ?? Math.max(1, Math.round((h * ow!) / w));
    if (tw !== w || th !== h) {
      filters.push(`scale=${tw}:${th}:flags=${tw <= w && th <= h ? "area" : "bicubic"}`);
      w = tw;
      h = th;
    }
  }
  const args = ["-nostdin", "-v", "error", "-i", fileArg(path), "-map", "0:v:0", "-an", "-sn"];
  if (filters.length) args.push("-vf", filters.join(","));
  args.push("-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-");
  const ff = await ffmpegPath();
  const child = new Deno.Command(ff, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
  const errText = tail(child.stderr);
  const reader = child.stdout.getReader();
  const frameBytes = w * h * 3;
  let finished = false;
  try {
    let frame = new Uint8Array(frameBytes);
    let filled = 0;
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      let off = 0;
      while (off < value.length) {
        const take = Math.min(frameBytes - filled, value.length - off);
        frame.set(value.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === frameBytes) {
          yield { width: w, height: h, channels: 3, data: frame };
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
    }
    const status = await child.status;
    finished = true;
    const err = await errText;
    if (!status.success) throw new Error(`ffmpeg.ts: ${path}: decoding failed: ${lastLines(err)}`);
    if (filled !== 0) {
      throw new Error(`ffmpeg.ts: ${path}: stream ended inside a frame (${filled}/${frameBytes} bytes)`);
    }
  } finally {
    if (!finished) {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await reader.cancel().catch(() => {});
      await child.status;
      await errText.catch(() => "");
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Audio

/** Options of {@linkcode extractAudio}. */
export interface ExtractAudioOptions {
  /** Output rate in Hz. @default {16000} */
  readonly sampleRate?: number;
}

/**
 * The first audio stream of a media file, mixed to mono (channel mean) and resampled to `sampleRate` with
 * this library's band-limited {@linkcode resample} (ffmpeg only decodes, to float WAV at the native rate,
 * so the result matches {@linkcode readMono16k} on the same audio).
 * @param path Media file (video or audio).
 * @param options Output rate.
 * @returns Mono samples in [-1, 1].
 */
export async function extractAudio(path: string, options: ExtractAudioOptions = {}): Promise<Float32Array> {
  const rate = options.sampleRate ?? 16000;
  if (!(rate > 0)) throw new Error(`ffmpeg.ts: options.sampleRate must be > 0, got ${rate}`);
  const sum = await summarize(path);
  if (!sum.audio) throw new Error(`ffmpeg.ts: ${path}: has no audio stream`);
  const { code, stdout, stderr } = await runFfmpeg([
    "-nostdin",
    "-v",
    "error",
    "-i",
    fileArg(path),
    "-map",
    "0:a:0",
    "-vn",
    "-c:a",
    "pcm_f32le",
    "-f",
    "wav",
    "-",
  ]);
  if (code !== 0) throw new Error(`ffmpeg.ts: ${path}: audio decoding failed: ${lastLines(stderr)}`);
  let wav = decodeWav(stdout, `${path} (audio decoded by ffmpeg)`);
  // Decoders return whole codec frames (AAC: 1024 samples), so the last one carries padding past the end
  // the container records; cut it there (exact for MP4, whose packets carry the true last duration).
  const packets = await packetTimes(path, "0:a:0");
  if (packets && packets.pts.length > 0) {
    const seconds = (packets.end - Math.max(0, packets.pts[0])) * packets.tick;
    const keep = Math.round(seconds * wav.sampleRate);
    const have = wav.channels[0].length;
    if (keep > 0 && keep < have) {
      wav = { sampleRate: wav.sampleRate, channels: wav.channels.map((c) => c.subarray(0, keep)) };
    }
  }
  return resample(toMono(wav), wav.sampleRate, rate);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

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
