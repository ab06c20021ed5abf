/**
 * Run folders of an ablation study on disk: the record each finished (row, seed) run leaves in its folder,
 * and collecting the records of folders written anywhere (by `runAblation`, or by one command per run
 * on a cluster) into one list for the table.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/mod.ts";
import type { AblationRunRecord } from "./study_table.ts";
import { readTextIfExists } from "../io/atomic.ts";

/** The file that marks a run folder as finished and holds its record. Written last, atomically. */
export const RUN_RECORD_FILE = "ablation_run.json";

/**
 * The run folder of one (row, seed): `<outDir>/<config name>/seed-<seed>`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ablationRunDir } from "./collect.ts";
 * assertEquals(ablationRunDir("runs/ablation", "no-parsing", 2), "runs/ablation/no-parsing/seed-2");
 * ```
 */
export function ablationRunDir(outDir: string, configName: string, seed: number): string {
  return join(outDir, configName, `seed-${seed}`);
}

/**
 * Writes the record of a finished run into its folder (atomically: a killed writer leaves no record,
 * so the run counts as unfinished).
 * @param runDir The run folder.
 * @param record The run's record (`runDir` is not stored).
 */
export async function writeRunRecord(runDir: string, record: AblationRunRecord): Promise<void> {
  const { runDir: _, ...stored } = record;
  await writeFileAtomic(join(runDir, RUN_RECORD_FILE), JSON.stringify(stored, null, 1) + "\n");
}

/**
 * Reads the record of a run folder.
 * @param runDir The run folder.
 * @returns The record (with `runDir` set), or null when the run is not finished (no record file).
 * @throws When the file exists but a field is missing or of the wrong type (the message names it).
 */
export async function readRunRecord(runDir: string): Promise<AblationRunRecord | null> {
  const path = join(runDir, RUN_RECORD_FILE);
  const text = await readTextIfExists(path);
  if (text === null) return null;
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
  }
  const expect = (field: string, ok: boolean, what: string) => {
    if (!ok) {
      throw new Error(`${path}: field "${field}" must be ${what}: got ${JSON.stringify(json?.[field])}`);
    }
  };
  expect("row", typeof json?.row === "string", "the row label (a string)");
  expect("seed", Number.isInteger(json.seed), "an integer");
  expect("config", typeof json.config === "string", "the config name (a string)");
  expect("steps", Number.isInteger(json.steps), "an integer");
  expect("trainSeconds", typeof json.trainSeconds === "number", "a number");
  const budget = json.budget as { steps?: unknown } | undefined;
  expect("budget", Number.isInteger(budget?.steps), "{ steps: <integer>, seconds?: <number> }");
  const mean = json.mean as Record<string, unknown> | undefined;
  expect(
    "mean",
    !!mean && typeof mean === "object" &&
      Object.values(mean).every((v) => v === null || typeof v === "number"),
    "an object of numbers",
  );
  const numbers = Object.fromEntries(
    Object.entries(mean!).map(([k, v]) => [k, v === null ? NaN : v as number]),
  );
  return { ...(json as unknown as AblationRunRecord), mean: numbers, runDir };
}

async function findRunDirs(dir: string, depth: number, out: string[]): Promise<void> {
  try {
    await Deno.stat(join(dir, RUN_RECORD_FILE));
    out.push(dir);
    return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (depth === 0) return;
  const subdirs: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory) subdirs.push(e.name);
  for (const name of subdirs.sort()) await findRunDirs(join(dir, name), depth - 1, out);
}

/**
 * The records of every finished run under `dirs` (each a run folder, or a folder holding run folders
 * up to three levels down, e.g. the `--out` of one command per run). Unfinished folders are skipped.
 * The same (row, seed) found twice is kept once when both records agree on the metrics.
 * @param dirs Folders to search.
 * @returns Records ordered by folder path.
 * @throws When a folder does not exist, or one (row, seed) has two different results.
 */
export async function collectRunRecords(dirs: readonly string[]): Promise<AblationRunRecord[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    const info = await Deno.stat(dir).catch(() => null);
    if (!info?.isDirectory) throw new Error(`collect: ${dir} is not a folder: expected ablation run folders`);
    await findRunDirs(dir, 3, found);
  }
  const byKey = new Map<string, AblationRunRecord>();
  for (const runDir of found) {
    const r = (await readRunRecord(runDir))!;
    const key = JSON.stringify([r.row, r.seed]);
    const other = byKey.get(key);
    if (!other) byKey.set(key, r);
    else if (JSON.stringify(other.mean) !== JSON.stringify(r.mean)) {
      throw new Error(
        `collect: row "${r.row}" seed ${r.seed} has two different results, in ${other.runDir} and ${runDir}: ` +
          `keep one of them`,
      );
    }
  }
  return [...byKey.values()];
}

/**
 * The dataset a collected study names (its table, its report, notebook 05's reload of it): `given` when
 * the caller names one (`--collect ... --data DIR`, e.g. runs trained from another checkout of the same
 * fixture, whose records hold that checkout's absolute path), else the one dataset every run recorded.
 * @param runs The collected runs (at least one).
 * @param given The dataset to record instead of the runs' own.
 * @returns The dataset path (undefined when the runs recorded none).
 * @throws When no dataset is given and the runs recorded more than one.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { studyDataset } from "./collect.ts";
 * const runs = [{ data: "/tmp/wt/fixtures/p", runDir: "a" }, { data: "/tmp/wt/fixtures/p", runDir: "b" }];
 * assertEquals(studyDataset(runs), "/tmp/wt/fixtures/p");
 * assertEquals(studyDataset(runs, "fixtures/p"), "fixtures/p");
 * ```
 */
export function studyDataset(
  runs: readonly Pick<AblationRunRecord, "data" | "runDir">[],
  given?: string,
): string | undefined {
  if (given !== undefined) return given;
  const all = [...new Set(runs.map((r) => r.data))];
  if (all.length !== 1) {
    const where = all.map((d) => `${d} (${runs.find((r) => r.data === d)!.runDir})`).join(", ");
    throw new Error(
      `collect: the runs were trained on ${all.length} datasets: ${where}; name the study's dataset with --data`,
    );
  }
  return all[0];
}
