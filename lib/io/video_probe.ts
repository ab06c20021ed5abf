/**
 * Probing a video through ffmpeg (no ffprobe is shipped): size, rate, duration, variable frame rate and
 * audio, from the stream summary ffmpeg prints for `-i` and from a cheap pass that copies the packets
 * (no decoding) to the `framecrc` muxer to read their timestamps.
 * Tested with the other ffmpeg readers and writers in ffmpeg_test.ts (round trips through real files).
 * @module
 */
import { fileArg, lastLines, requireFile, runFfmpeg } from "./ffmpeg.ts";

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

export interface StreamSummary {
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

export async function summarize(path: string): Promise<StreamSummary> {
  await requireFile(path);
  const { stderr } = await runFfmpeg(["-hide_banner", "-nostdin", "-i", fileArg(path)]);
  return parseSummary(stderr, path);
}

/**
 * Timestamps of one stream's packets (`map`, e.g. "0:v:0"), by copying them to the framecrc muxer
 * (no decoding). `pts` sorted ascending and `end` = max(pts + duration), both in ticks of `tick` seconds.
 */
export async function packetTimes(
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
