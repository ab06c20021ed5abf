/**
 * Atomic file writes: the bytes go to a temporary file in the destination's folder, which is then renamed
 * over the destination, so a reader never sees a half-written file and a crash leaves the old file intact.
 * (A rename within one folder is atomic on POSIX file systems and replaces the target on Windows too.)
 * @module
 */

function splitPath(path: string): { dir: string; base: string } {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? { dir: ".", base: path } : { dir: path.slice(0, i) || "/", base: path.slice(i + 1) };
}

function extensionOf(base: string): string {
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot) : "";
}

/**
 * A fresh temporary path in the same folder as `path`, keeping its extension (tools such as ffmpeg choose
 * the container from it), e.g. `out/.clip.mp4.tmp-1234-k3j9.mp4` for `out/clip.mp4`.
 * @param path The destination the temporary file will be renamed to.
 * @returns A path that does not collide with other writers (process id + random suffix).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { tempPathBeside } from "./atomic.ts";
 * const t = tempPathBeside("out/clip.mp4");
 * assert(t.startsWith("out/.clip.mp4.tmp-") && t.endsWith(".mp4"));
 * ```
 */
export function tempPathBeside(path: string): string {
  const { dir, base } = splitPath(path);
  if (base === "" || base === "." || base === "..") {
    throw new Error(`atomic.ts: path must name a file, got ${JSON.stringify(path)}`);
  }
  const rand = Math.random().toString(36).slice(2, 8);
  const sep = dir.endsWith("/") ? "" : "/";
  return `${dir}${sep}.${base}.tmp-${Deno.pid}-${rand}${extensionOf(base)}`;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/**
 * Writes `data` to `path` atomically (temporary file beside it, then rename). Parent folders are created.
 * On failure the temporary file is removed and the error is rethrown with the path in its message.
 * @param path Destination file.
 * @param data Bytes, or a string written as UTF-8.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a/b/note.txt`, "hello");
 * assert(await Deno.readTextFile(`${dir}/a/b/note.txt`) === "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await moveIntoPlace(path, async (tmp) => await Deno.writeFile(tmp, toBytes(data)));
}

/**
 * Synchronous {@linkcode writeFileAtomic}.
 * @param path Destination file.
 * @param data Bytes, or a string written as UTF-8.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array | string): void {
  const { dir } = splitPath(path);
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = tempPathBeside(path);
  try {
    Deno.writeFileSync(tmp, toBytes(data));
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* the temp file may not exist */ }
    throw new Error(`atomic.ts: writing ${path} failed: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}

/**
 * Creates the parent folders of `path`, lets `produce` write a temporary file beside it, then renames that
 * file onto `path`. Used for outputs written by other programs (ffmpeg) as well as by this process.
 * @param path Destination file.
 * @param produce Writes the complete file at the temporary path it is given.
 */
export async function moveIntoPlace(
  path: string,
  produce: (tmpPath: string) => Promise<void>,
): Promise<void> {
  const { dir } = splitPath(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = tempPathBeside(path);
  try {
    await produce(tmp);
    await Deno.rename(tmp, path);
  } catch (e) {
    try {
      await Deno.remove(tmp);
    } catch { /* the temp file may not exist */ }
    // Errors of this library already name their file and problem; others get the destination added.
    if (e instanceof Error && /^\w+\.ts: /.test(e.message)) throw e;
    throw new Error(`atomic.ts: writing ${path} failed: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
}

/**
 * Whether something exists at `path` (a file, folder or link; links are not followed). Other errors than
 * "not found" (e.g. permission) are thrown.
 * @param path A path.
 * @returns true when `Deno.lstat` finds it.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { pathExists } from "./atomic.ts";
 * assert(await pathExists("."));
 * assert(!(await pathExists("./no/such/path")));
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * The text of a file, or null when there is no such file (other errors are thrown): for results that
 * may not have been written yet.
 * @param path The file.
 * @returns Its text, or null.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readTextIfExists } from "./atomic.ts";
 * assertEquals(await readTextIfExists("./no/such/file.json"), null);
 * ```
 */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
