/**
 * The ffmpeg binary: finding it and running it. The video readers and writers of `lib/io`
 * (video_probe.ts, video_frames.ts, video_audio.ts, video_write.ts) go through the helpers here.
 *
 * Which ffmpeg: the environment variable `FFMPEG_PATH` (the one environment variable this library reads),
 * then an `ffmpeg` found on PATH, then the binary shipped inside the npm package
 * `@ffmpeg-installer/ffmpeg` (its platform subpackage, e.g. `@ffmpeg-installer/linux-x64`, ffmpeg 4.1).
 * ffprobe is not shipped, so stream facts come from the stream summary ffmpeg prints for `-i` and from a
 * cheap pass that copies the video packets (no decoding) to the `framecrc` muxer to read their timestamps.
 * @module
 */

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
export async function tail(stream: ReadableStream<Uint8Array>, limit = 16384): Promise<string> {
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

/** Runs ffmpeg with `args` to completion; stdout as bytes, stderr as text. */
export async function runFfmpeg(
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const ff = await ffmpegPath();
  const out = await new Deno.Command(ff, { args, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * A path as an ffmpeg URL: `file:` keeps ffmpeg from reading a name such as `take:2.mp4` as a protocol
 * or `-` as a pipe. The extension, which picks the container, is unchanged.
 */
export function fileArg(path: string): string {
  return `file:${path}`;
}

/** The last `n` lines of ffmpeg's output on one line, for error messages. */
export function lastLines(text: string, n = 4): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/** Throws an error naming `path` unless it is a readable file. */
export async function requireFile(path: string): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`ffmpeg.ts: ${path}: no such file`);
    throw new Error(`ffmpeg.ts: ${path}: cannot be read: ${e instanceof Error ? e.message : e}`);
  }
  if (!st.isFile) throw new Error(`ffmpeg.ts: ${path}: not a file`);
}
