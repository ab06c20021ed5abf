/**
 * Reading the two sides of an evaluation (a method's output and the ground truth) from whatever a
 * method writes: a video file (frames and its audio track through ffmpeg) or a folder of numbered frames
 * (AD-NeRF / ER-NeRF style `0.jpg, 1.jpg, ...` or `000001.png, ...`).
 * @module
 */
import { extname, join } from "node:path";
import type { Image } from "../io/types.ts";
import { extractAudio, probeVideo, readImage, readVideoFrames } from "../io/mod.ts";

/** A clip to evaluate: its frames, its own audio (if any) and frame rate. */
export interface EvalClip {
  /** Row label in reports, e.g. the path. */
  readonly label: string;
  readonly frames: readonly Image[];
  /** Mono 16 kHz audio of the clip (a video's own track); null when it has none. */
  readonly audio: Float32Array | null;
  /** Frames per second. */
  readonly fps: number;
}

/** Options of {@linkcode loadEvalClip}. */
export interface LoadEvalClipOptions {
  /** Read at most this many frames (from the first). @default {all} */
  readonly maxFrames?: number;
  /** Frame rate of a folder of frames (videos carry their own). @default {25} */
  readonly fps?: number;
  /** Row label. @default {the path} */
  readonly label?: string;
}

const IMAGE_EXT = new Set([".png", ".jpg", ".jpeg"]);

/**
 * The image files of a folder in frame order: names compared with numeric collation, so `2.jpg` comes
 * before `10.jpg` (and `frame_0002.png` before `frame_0010.png`). Other files (e.g. `.lms`) are skipped.
 * @param dir The folder.
 * @returns File names (not paths).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { frameFiles } from "./eval_frames.ts";
 * const dir = await Deno.makeTempDir();
 * for (const f of ["10.jpg", "2.jpg", "1.jpg", "1.lms"]) await Deno.writeFile(`${dir}/${f}`, new Uint8Array());
 * assertEquals(await frameFiles(dir), ["1.jpg", "2.jpg", "10.jpg"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function frameFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && IMAGE_EXT.has(extname(e.name).toLowerCase())) names.push(e.name);
  }
  return names.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/**
 * Loads a clip from a video file or a folder of frames.
 * @param path A video (anything ffmpeg reads) or a folder of PNG/JPEG frames.
 * @param options Frame limit, folder frame rate, label.
 * @returns Frames (RGB for videos, as stored for folders), the video's audio at 16 kHz when it has a
 *   track (null for folders), and the frame rate.
 * @throws When the path does not exist, a folder holds no frames or a video no frames.
 */
export async function loadEvalClip(path: string, options: LoadEvalClipOptions = {}): Promise<EvalClip> {
  const max = options.maxFrames ?? Infinity;
  if (!(max >= 1)) throw new Error(`loadEvalClip: maxFrames must be >= 1: got ${max}`);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new Error(`loadEvalClip: ${path} does not exist: expected a video file or a folder of frames`);
  }
  const label = options.label ?? path;
  if (stat.isDirectory) {
    const names = (await frameFiles(path)).slice(0, Number.isFinite(max) ? max : undefined);
    if (names.length === 0) throw new Error(`loadEvalClip: folder ${path} holds no .png/.jpg frames`);
    const frames: Image[] = [];
    for (const n of names) frames.push(await readImage(join(path, n)));
    return { label, frames, audio: null, fps: options.fps ?? 25 };
  }
  const info = await probeVideo(path);
  const frames: Image[] = [];
  for await (const f of readVideoFrames(path)) {
    frames.push(f);
    if (frames.length >= max) break;
  }
  if (frames.length === 0) throw new Error(`loadEvalClip: video ${path} decoded to no frames`);
  const audio = info.hasAudio ? await extractAudio(path, { sampleRate: 16000 }) : null;
  return { label, frames, audio, fps: info.fps };
}
