/**
 * One-seed ablation tables on disk, as notebooks write and read them:
 *
 * ```
 * <dir>/table.json        { data, base, budget?, rows: [{ row, steps, "train s", PSNR, SSIM, ... }] }
 * <dir>/table.md          the same table as Markdown
 * <dir>/<run name>/       one training run per row (lib/train/run.ts): history.json, metrics.json,
 *                         val/<imgId>.png, config.json, checkpoint
 * ```
 *
 * A study over seeds (lib/ablation `runAblation`, `deno task ablation`) writes a `table.json` whose rows
 * also hold each column's mean under the column name, so {@linkcode readAblationTable} reads its means;
 * its run folders are `<dir>/<config name>/seed-<seed>/`.
 *
 * Row values are the means of `evaluateFrames` (lib/train) on the validation frames: PSNR and SSIM
 * (Wang 2004) over the full frame and the face box, PSNR over the mouth and torso pixels of the
 * ground-truth parsing and over the head-torso junction (neck plus a band around the head's boundary with
 * neck and torso; lib/metrics/junction.ts), parsing mIoU, and PSNR / SSIM under the head-only protocol
 * (the rendered head over the real frame; lib/metrics/protocols.ts). A metric a row cannot have (mIoU without a parsing branch) is
 * NaN in memory and `null` in JSON.
 * @module
 */
import { join } from "node:path";
import { readImage, writeFileAtomic } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { PROTOCOL_NAMES, protocolOfKey } from "./protocols.ts";
import { type MetricResult, type MetricTable, metricTable } from "./report.ts";
import { readTextIfExists } from "../io/atomic.ts";

/** Table columns and the `evaluateFrames` mean each one reads. */
export const ABLATION_COLUMNS: Readonly<Record<string, string>> = {
  "PSNR": "psnr",
  "SSIM": "ssim",
  "face PSNR": "psnrFace",
  "face SSIM": "ssimFace",
  "mouth PSNR": "psnr_mouth",
  "torso PSNR": "psnr_torso",
  "junction PSNR": "psnr_junction",
  "parsing mIoU": "parsingMIoU",
  "head-only PSNR": "headOnly_psnr",
  "head-only SSIM": "headOnly_ssim",
};

/**
 * The evaluation protocol of each column (lib/metrics/protocols.ts): the head-only columns measure the
 * rendered head over the real torso and background, every other column the full rendered frame.
 */
export const ABLATION_COLUMN_PROTOCOLS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ABLATION_COLUMNS).map(([column, key]) => [column, PROTOCOL_NAMES[protocolOfKey(key)]]),
);

/** The columns of the paper's ablation table (rows = ablations). */
export const PAPER_ABLATION_COLUMNS: readonly string[] = [
  "PSNR",
  "SSIM",
  "mouth PSNR",
  "torso PSNR",
  "parsing mIoU",
];

/** One row: its label (`row`), steps trained, training seconds, and the metric columns. */
export type AblationRow = Readonly<Record<string, string | number>> & { readonly row: string };

/** A results table with what it was computed on. */
export interface AblationTable {
  /** Dataset folder. */
  readonly data?: string;
  /** Name of the base config the rows override. */
  readonly base?: string;
  /** How much each row trained (steps, rays, validation frames, ...), when a notebook wrote it. */
  readonly budget?: Readonly<Record<string, string | number>>;
  readonly rows: readonly AblationRow[];
}

/**
 * A table row from a finished run: `ABLATION_COLUMNS` read from the evaluation's mean, NaN where the
 * mean has no such entry.
 * @param label Row label (the ablation's name).
 * @param run Steps trained, training seconds and the evaluation's mean (`trainRun(...).evaluation.mean`).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ablationRow } from "./ablation_results.ts";
 * const r = ablationRow("full", { steps: 30, trainSeconds: 9.6, mean: { psnr: 20.5, ssim: 0.61 } });
 * assertEquals([r.row, r.steps, r["train s"], r.PSNR, r.SSIM], ["full", 30, 10, 20.5, 0.61]);
 * assertEquals(r["parsing mIoU"], NaN);
 * ```
 */
export function ablationRow(
  label: string,
  run: {
    readonly steps: number;
    readonly trainSeconds: number;
    readonly mean: Readonly<Record<string, number>>;
  },
): AblationRow {
  const row: Record<string, string | number> = {
    row: label,
    steps: run.steps,
    "train s": Math.round(run.trainSeconds),
  };
  for (const [column, key] of Object.entries(ABLATION_COLUMNS)) row[column] = run.mean[key] ?? NaN;
  return row as AblationRow;
}

/**
 * Reads `<dir>/table.json`; `null` values become NaN.
 * @param dir The results folder.
 * @returns The table, or null when the folder has no `table.json`.
 * @throws When the file exists but is not a table (no `rows` array of objects with a `row` label).
 */
export async function readAblationTable(dir: string): Promise<AblationTable | null> {
  const path = join(dir, "table.json");
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const json = JSON.parse(text);
  if (
    !json || !Array.isArray(json.rows) || json.rows.some((r: { row?: unknown }) => typeof r?.row !== "string")
  ) {
    throw new Error(
      `${path}: expected { rows: [{ row: "<label>", ... }] } as writeAblationTable or runAblation writes`,
    );
  }
  const rows = json.rows.map((r: Record<string, string | number | null>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? NaN : v]))
  );
  return { data: json.data, base: json.base, budget: json.budget, rows };
}

/**
 * The rows as a {@linkcode MetricTable} (Markdown in notebooks, `toMarkdown()` to paste): PSNR columns
 * with 2 decimals, the other metrics with 4, steps and seconds as integers; a missing value is "n/a"
 * with a footnote.
 * @param rows Table rows.
 * @param options Columns (default: steps, training seconds and every metric column) and a title.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ablationMetricTable, ablationRow } from "./ablation_results.ts";
 * const t = ablationMetricTable([ablationRow("w/o parsing", { steps: 1, trainSeconds: 1, mean: { psnr: 20 } })], {
 *   columns: ["PSNR", "parsing mIoU"],
 * });
 * assertEquals(t.toMarkdown().split("\n")[2], "| w/o parsing | 20.00 | n/a [1] |");
 * ```
 */
export function ablationMetricTable(
  rows: readonly AblationRow[],
  options: { readonly columns?: readonly string[]; readonly title?: string } = {},
): MetricTable {
  const columns = options.columns ?? ["steps", "train s", ...Object.keys(ABLATION_COLUMNS)];
  return metricTable(
    rows.map((r) => ({
      label: r.row,
      metrics: columns.map((name): MetricResult => {
        const v = r[name];
        const value = typeof v === "number" && Number.isFinite(v) ? v : null;
        const note = value !== null
          ? undefined
          : name === "parsing mIoU"
          ? "no parsing branch in this row"
          : "not measured";
        const digits = /PSNR/.test(name) ? 2 : name in ABLATION_COLUMNS ? 4 : 0;
        return { name, value, digits, ...(note ? { note } : {}) };
      }),
    })),
    { title: options.title, rowHeader: "ablation" },
  );
}

/**
 * Writes `<dir>/table.json` and `<dir>/table.md` (atomically), NaN as `null` in JSON.
 * @param dir The results folder (created if needed).
 * @param table Rows and what they were computed on.
 */
export async function writeAblationTable(dir: string, table: AblationTable): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "table.json"), JSON.stringify(table, null, 1));
  await writeFileAtomic(join(dir, "table.md"), ablationMetricTable(table.rows).toMarkdown() + "\n");
}

/** What a training run folder (lib/train/run.ts) holds for plots and pictures. */
export interface RunFolder {
  /** Every step's loss terms (from `history.json`); empty when the file is missing. */
  readonly history: readonly { readonly step: number; readonly losses: Readonly<Record<string, number>> }[];
  /** Rendered validation frames (`val/<imgId>.png`), by image id. */
  readonly frames: readonly { readonly imgId: number; readonly image: Image }[];
}

/**
 * Reads the loss history and the rendered validation frames of one run folder.
 * @param runDir The run folder.
 * @param options `maxFrames`: read at most this many frames (lowest ids first).
 * @returns History and frames (either may be empty).
 * @throws When the folder does not exist.
 */
export async function readRunFolder(
  runDir: string,
  options: { readonly maxFrames?: number } = {},
): Promise<RunFolder> {
  await Deno.stat(runDir).catch(() => {
    throw new Error(`readRunFolder: ${runDir} does not exist: expected a run folder written by trainRun`);
  });
  let history: RunFolder["history"] = [];
  try {
    history = JSON.parse(await Deno.readTextFile(join(runDir, "history.json")));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const ids: number[] = [];
  try {
    for await (const e of Deno.readDir(join(runDir, "val"))) {
      const m = /^(\d+)\.png$/.exec(e.name);
      if (e.isFile && m) ids.push(Number(m[1]));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  ids.sort((a, b) => a - b);
  const frames = [];
  for (const imgId of ids.slice(0, options.maxFrames ?? ids.length)) {
    frames.push({ imgId, image: await readImage(join(runDir, "val", `${imgId}.png`)) });
  }
  return { history, frames };
}
