/**
 * Run folder housekeeping for {@linkcode trainRun}: does a folder hold a run, leftovers of killed
 * processes (temporary files of atomic writes, an overwriting run's staging folder), the replacement of
 * an old run by a new one in one step, and which config fields a resumed run may change.
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { SspNerfConfig } from "../config/config.ts";
import { upgradeConfig } from "../config/upgrade.ts";
import { pathExists } from "../io/mod.ts";

/** Files whose presence means a folder holds (part of) a training run. */
export const RUN_FILES: readonly string[] = [
  "checkpoint.json",
  "config.json",
  "history.json",
  "metrics.json",
];

/**
 * Config fields a resumed run may change: how long it trains and how often it evaluates and
 * checkpoints. Everything else (the model, the sampling, the optimizer, the seed) must stay as the run
 * began, or the resumed steps would not continue the same training.
 */
export const RESUMABLE_FIELDS: readonly string[] = [
  "train.steps",
  "train.evalEvery",
  "train.evalFrames",
  "train.checkpointEvery",
  // Resources, not the method: the numbers differ by float rounding only (see `train.threads`).
  "train.threads",
];

/** What {@linkcode inspectRunFolder} found. */
export interface RunFolderState {
  /** The folder exists. */
  readonly exists: boolean;
  /** It holds files of a run ({@linkcode RUN_FILES}). */
  readonly holdsRun: boolean;
  /** Step of its checkpoint.json, when readable. */
  readonly step?: number;
  /** Config name of its checkpoint.json (or config.json), when readable. */
  readonly configName?: string;
}

/**
 * Whether `dir` holds a run, and which.
 * @param dir A run folder (may be missing).
 * @returns What it holds.
 */
export async function inspectRunFolder(dir: string): Promise<RunFolderState> {
  if (!(await pathExists(dir))) return { exists: false, holdsRun: false };
  const present: string[] = [];
  for (const f of RUN_FILES) if (await pathExists(join(dir, f))) present.push(f);
  let step: number | undefined;
  let configName: string | undefined;
  for (const f of ["checkpoint.json", "config.json"]) {
    try {
      const v = JSON.parse(await Deno.readTextFile(join(dir, f)));
      if (f === "checkpoint.json" && typeof v?.step === "number") step = v.step;
      configName ??= typeof v?.config?.name === "string" ? v.config.name : v?.name;
    } catch { /* missing or unreadable: described without it */ }
  }
  return { exists: true, holdsRun: present.length > 0, step, configName };
}

/** A short description of a run for messages, e.g. `config "tiny", checkpoint at step 400`. */
export function describeRun(s: RunFolderState): string {
  const parts = [
    ...(s.configName ? [`config "${s.configName}"`] : []),
    s.step !== undefined ? `checkpoint at step ${s.step}` : "no checkpoint",
  ];
  return parts.join(", ");
}

/**
 * The refusal of a run folder that already holds a run, naming the ways on.
 * @param runDir The run folder.
 * @param state What {@linkcode inspectRunFolder} found in it.
 * @returns The error to throw.
 */
export function existingRunError(runDir: string, state: RunFolderState): Error {
  return new Error(
    `run folder ${runDir} already holds a run (${describeRun(state)}): pass --resume to continue it, ` +
      `or --overwrite to replace it (the old run stays intact until the new run's first checkpoint), ` +
      `or choose another --out`,
  );
}

/**
 * Whether process `pid` on this machine is running. Reads /proc where there is one; elsewhere it
 * answers true, so that nothing of a possibly live process is removed.
 * @param pid A process id.
 * @returns false only when the process is known to be gone.
 */
export function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return true;
    try {
      Deno.statSync("/proc/self");
      return false;
    } catch {
      return true;
    }
  }
}

/** Temporary names of lib/io/atomic.ts (`.<name>.tmp-<pid>-<random>[.ext]`): the pid, or undefined. */
export function tempOwner(name: string): number | undefined {
  const m = /^\..+\.tmp-(\d+)-[0-9a-z]+/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Removes the temporary files and folders that killed processes left in `dir` (atomic writes that never
 * reached their rename). Those of live processes (a render writing beside a training) are kept.
 * @param dir A folder (may be missing).
 * @param log Receives one line naming what was removed.
 * @param only Only names starting with this prefix (e.g. `.name.tmp-` for one output).
 * @returns The names removed.
 */
export async function cleanTempLeftovers(
  dir: string,
  log: (line: string) => void,
  only?: string,
): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (folder: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(folder));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
      throw e;
    }
    for (const e of entries) {
      const pid = tempOwner(e.name);
      if (pid !== undefined && (only === undefined || e.name.startsWith(only)) && !processAlive(pid)) {
        await Deno.remove(join(folder, e.name), { recursive: true });
        removed.push(rel + e.name);
      } else if (e.isDirectory && only === undefined && !e.name.startsWith(".") && rel === "") {
        await walk(join(folder, e.name), `${e.name}/`); // val/, render_val/
      }
    }
  };
  await walk(dir, "");
  if (removed.length > 0) {
    const shown = removed.slice(0, 5).join(", ") +
      (removed.length > 5 ? `, ... (${removed.length} in all)` : "");
    log(`${dir}: removed ${removed.length} temporary file(s) left by killed processes: ${shown}`);
  }
  return removed;
}

/** Name of the folder an overwriting run trains in until its first checkpoint. */
export function stagingPath(runDir: string): string {
  return siblingPath(runDir, "new");
}

function siblingPath(runDir: string, kind: "new" | "old"): string {
  const clean = runDir.replace(/[\\/]+$/, "");
  const rand = Math.random().toString(36).slice(2, 8);
  return join(dirname(clean), `.${basename(clean)}.${kind}-${Deno.pid}-${rand}`);
}

/**
 * Replaces the run in `runDir` by the one in `staging`: two renames, the old run removed after. A crash
 * between the renames leaves both folders beside `runDir`; {@linkcode recoverReplacement} finishes the
 * replacement at the next start.
 * @param staging The new run's folder (it holds its first checkpoint).
 * @param runDir The run folder.
 */
export async function replaceRun(staging: string, runDir: string): Promise<void> {
  const old = siblingPath(runDir, "old");
  await Deno.rename(runDir, old);
  await Deno.rename(staging, runDir);
  await Deno.remove(old, { recursive: true });
}

/**
 * Finishes or undoes what killed processes left beside `runDir`: a staging folder of an overwriting
 * run (removed when it never got a checkpoint; moved into place when the run folder is missing because
 * the kill fell between the two renames of {@linkcode replaceRun}) and an old run set aside (removed
 * once replaced, restored when nothing replaced it). Call it holding the run folder's lock.
 * @param runDir The run folder.
 * @param log Receives one line per action.
 */
export async function recoverReplacement(runDir: string, log: (line: string) => void): Promise<void> {
  const clean = runDir.replace(/[\\/]+$/, "");
  const parent = dirname(clean), name = basename(clean);
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  const left = (kind: string) =>
    entries.filter((e) => {
      const m = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.${kind}-(\\d+)-`).exec(
        e.name,
      );
      return m && e.isDirectory && !processAlive(Number(m[1]));
    }).map((e) => join(parent, e.name));
  for (const staging of left("new")) {
    if (!(await pathExists(clean)) && await pathExists(join(staging, "checkpoint.json"))) {
      await Deno.rename(staging, clean);
      log(
        `${clean}: finished replacing the old run by the new one (the process was killed while replacing it)`,
      );
    } else {
      await Deno.remove(staging, { recursive: true });
      log(`${clean}: removed ${staging}, the folder of a replacing run killed before its first checkpoint`);
    }
  }
  for (const old of left("old")) {
    if (!(await pathExists(clean))) {
      await Deno.rename(old, clean);
      log(`${clean}: restored the old run from ${old} (a replacing run was killed while replacing it)`);
    } else {
      await Deno.remove(old, { recursive: true });
      log(`${clean}: removed ${old}, an old run already replaced by the run now in ${clean}`);
    }
  }
}

function leaves(v: unknown, path: string, out: Map<string, unknown>): void {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, `${path}.${k}`, out);
  } else out.set(path, v);
}

/**
 * The config a resumed run trains with: the run's own, with the fields of {@linkcode RESUMABLE_FIELDS}
 * taken from `requested`. Any other difference is refused, naming the first differing field.
 * @param runConfig The config stored in the run's checkpoint.
 * @param requested The config asked for now.
 * @param source Names `requested` and the run in messages, e.g. `{ requested: "--config tiny", run: "runs/a" }`.
 * @returns The config to train with, and one line per accepted change.
 * @throws When a field outside {@linkcode RESUMABLE_FIELDS} differs.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { override, TINY } from "../config/mod.ts";
 * import { resumeConfig } from "./run_folder.ts";
 * const src = { requested: "--config", run: "runs/a" };
 * const r = resumeConfig(TINY, override(TINY, { train: { steps: 9 } }), src);
 * assertEquals(r.config.train.steps, 9);
 * assertEquals(r.changes, ["config.train.steps: 2 -> 9"]);
 * assertThrows(() => resumeConfig(TINY, override(TINY, { field: { depth: 3 } }), src), Error, "config.field.depth");
 * ```
 */
export function resumeConfig(
  runConfig: SspNerfConfig,
  requested: SspNerfConfig,
  source: { readonly requested: string; readonly run: string },
): { config: SspNerfConfig; changes: string[] } {
  const a = new Map<string, unknown>(), b = new Map<string, unknown>();
  // A run of an older version lacks the newer sections (pose, eye): compare it as it loads.
  runConfig = upgradeConfig(runConfig, source.run);
  leaves(runConfig, "config", a);
  leaves(requested, "config", b);
  const changes: string[] = [];
  const train: Record<string, unknown> = { ...runConfig.train };
  // The name last: another preset differs first in a field that says more (e.g. field.depth).
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) =>
    Number(x === "config.name") - Number(y === "config.name")
  );
  for (const key of keys) {
    const x = JSON.stringify(a.get(key)), y = JSON.stringify(b.get(key));
    if (x === y) continue;
    const field = key.slice("config.".length);
    if (!RESUMABLE_FIELDS.includes(field)) {
      throw new Error(
        `${source.requested} differs from the configuration of the run in ${source.run} at ${key}: ` +
          `the run has ${x ?? "no such field"}, ${source.requested} gives ${y ?? "no such field"}. ` +
          `A resumed run keeps its configuration (only ${RESUMABLE_FIELDS.join(", ")} may change): ` +
          `resume without it, or start a new run (--overwrite, or another --out)`,
      );
    }
    train[field.slice("train.".length)] = b.get(key);
    changes.push(`${key}: ${x} -> ${y}`);
  }
  return { config: { ...runConfig, train: train as unknown as SspNerfConfig["train"] }, changes };
}
