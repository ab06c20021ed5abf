/**
 * One process per run folder: an exclusive lock on a file beside the folder (`.<name>.lock`, beside
 * rather than inside because an overwriting run replaces the folder itself). The lock is an advisory
 * `flock` held through an open file, so the operating system releases it when the process dies, even by
 * `kill -9`; the file's text (pid, host, start time) only serves the messages. A lock file left by a dead
 * process is therefore free to take, and is taken over with a message naming that process.
 * @module
 */
import { basename, dirname, join } from "node:path";

/** What the lock file holds. */
export interface RunLockInfo {
  readonly pid: number;
  readonly host: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
}

/** A held lock; {@linkcode RunLock.release} it on every exit path. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file and releases the lock (idempotent). */
  release(): void;
}

/**
 * The lock file of a run folder: `.<name>.lock` in the folder's parent.
 * @param runDir The run folder.
 * @returns Its lock file path.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { runLockPath } from "./run_lock.ts";
 * assertEquals(runLockPath("runs/small"), "runs/.small.lock");
 * ```
 */
export function runLockPath(runDir: string): string {
  const name = basename(runDir.replace(/[\\/]+$/, ""));
  if (name === "" || name === "." || name === "..") {
    throw new Error(`run folder ${JSON.stringify(runDir)} must name a folder (not "", "." or "..")`);
  }
  return join(dirname(runDir.replace(/[\\/]+$/, "")), `.${name}.lock`);
}

function parseInfo(text: string): RunLockInfo | undefined {
  try {
    const v = JSON.parse(text);
    if (typeof v?.pid === "number" && typeof v?.host === "string" && typeof v?.started === "string") return v;
  } catch { /* an empty or partly written file: no holder to name */ }
  return undefined;
}

function describe(info: RunLockInfo | undefined): string {
  return info ? `process ${info.pid} on ${info.host}, started ${info.started}` : "another process";
}

/**
 * Takes the lock of `runDir`, or throws naming the process that holds it.
 * @param runDir The run folder (it need not exist; its parent is created).
 * @param log Receives the message when a dead process's lock file is taken over.
 * @returns The held lock.
 * @throws When another live process holds the lock.
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { acquireRunLock } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireRunLock(`${dir}/run`);
 * await assertRejects(() => acquireRunLock(`${dir}/run`), Error, "is in use by process");
 * lock.release();
 * (await acquireRunLock(`${dir}/run`)).release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function acquireRunLock(
  runDir: string,
  log: (line: string) => void = (l) => console.error(l),
): Promise<RunLock> {
  const path = runLockPath(runDir);
  await Deno.mkdir(dirname(path), { recursive: true });
  // A holder that releases removes the file; a process that opened the old file just before that would
  // lock an unlinked file, so the lock only counts when the path still names the file locked.
  for (let attempt = 0; attempt < 5; attempt++) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let locked = false;
    try {
      locked = await file.tryLock(true);
      const text = await readAll(file);
      if (!locked) {
        throw new Error(
          `run folder ${runDir} is in use by ${describe(parseInfo(text))} (lock file ${path}): ` +
            `wait for that run to finish, or choose another --out`,
        );
      }
      let same = false;
      try {
        same = (await Deno.stat(path)).ino === (await file.stat()).ino;
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      if (!same) {
        file.close();
        continue;
      }
      const previous = parseInfo(text);
      if (previous) {
        log(
          `run folder ${runDir}: taking over the lock file ${path} left by ${
            describe(previous)
          }, which is no longer running (a killed run)`,
        );
      }
      const info: RunLockInfo = { pid: Deno.pid, host: Deno.hostname(), started: new Date().toISOString() };
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      await file.write(new TextEncoder().encode(JSON.stringify(info) + "\n"));
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          try {
            Deno.removeSync(path);
          } catch { /* already gone: nothing to clean */ }
          file.close();
        },
      };
    } catch (e) {
      file.close();
      throw e;
    }
  }
  throw new Error(`run folder ${runDir}: the lock file ${path} kept changing while taking it; try again`);
}

async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await file.read(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.slice(0, n));
    if (chunks.length > 16) break; // a lock file is one short line
  }
  const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return new TextDecoder().decode(all);
}
