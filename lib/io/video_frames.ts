/**
 * Streaming the frames of a video out of ffmpeg as RGB images, with rate, crop and size options.
 * Tested with the other ffmpeg readers and writers in ffmpeg_test.ts (round trips through real files).
 * @module
 */
import type { CropRect, Image } from "./types.ts";
import { ffmpegPath, fileArg, lastLines, tail } from "./ffmpeg.ts";
import { probeVideo } from "./video_probe.ts";

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
