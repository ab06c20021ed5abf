/**
 * The table of an ablation study over seeds, in the paper's layout (rows = ablations, columns =
 * metrics): per row and metric the mean over seeds with its 95 % Student-t interval, and each row's
 * paired difference to the reference row ("full"), marked where its interval excludes 0. As Markdown,
 * JSON and HTML.
 *
 * A row that differs from "full" by several things at once (AD-NeRF's two NeRFs also drop the parsing
 * branch, sample the face box and have no torso deformation) can also be compared with a matched row that
 * shares all but one of them: the table's matched comparisons ({@linkcode AblationPair}) give such a pair's
 * paired difference, row minus its named reference, beside the differences to "full".
 *
 * `table.json` keeps each row's plain means under the column names (`PSNR`, `SSIM`, ...) beside the
 * intervals, so a reader of the older one-seed tables (`readAblationTable`) still reads the means.
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../io/mod.ts";
import { ABLATION_COLUMN_PROTOCOLS, ABLATION_COLUMNS } from "../metrics/ablation_results.ts";
import { PROTOCOL_NAMES } from "../metrics/protocols.ts";
import { JUNCTION_RADIUS_AT_128 } from "../metrics/junction.ts";
import { type MetricResult, type MetricTable, metricTable } from "../metrics/report.ts";
import { type MeanInterval, meanInterval, type PairedDifference, pairedDifference } from "./statistics.ts";
import { readTextIfExists } from "../io/atomic.ts";

/** One finished (row, seed) training run: what `ablation_run.json` in its run folder holds. */
export interface AblationRunRecord {
  /** Row label (the ablation's name, e.g. "w/o parsing branch"). */
  readonly row: string;
  readonly seed: number;
  /** Name of the run's config. */
  readonly config: string;
  /** Steps trained. */
  readonly steps: number;
  /** Seconds of training (excluding evaluation). */
  readonly trainSeconds: number;
  /** The budget the run was given: a step count, and a time limit when one was set. */
  readonly budget: { readonly steps: number; readonly seconds?: number };
  /** Dataset folder. */
  readonly data?: string;
  /** Mean metrics over the held-out frames (`evaluateFrames(...).mean`: full frame and `headOnly_*`). */
  readonly mean: Readonly<Record<string, number>>;
  /** The run folder it was read from or written to (not stored in the file). */
  readonly runDir?: string;
}

/** The metric columns of a study table, in order (see `ABLATION_COLUMNS` for what each reads). */
export const STUDY_COLUMNS: readonly string[] = [
  "PSNR",
  "SSIM",
  "face PSNR",
  "mouth PSNR",
  "torso PSNR",
  "junction PSNR",
  "parsing mIoU",
  "head-only PSNR",
  "head-only SSIM",
];

/** A matched comparison of a study: `row` minus `reference`, paired by seed. */
export interface AblationPair {
  /** Label of the row. */
  readonly row: string;
  /** Label of the row it is compared with. */
  readonly reference: string;
  /** What the difference measures, for the tables' notes (e.g. "the architecture alone"). */
  readonly claim?: string;
}

/** A matched comparison with its paired differences per column. */
export interface StudyComparison extends AblationPair {
  /** `row - reference` per column, paired by seed. */
  readonly differences: Readonly<Record<string, PairedDifference>>;
}

/** One row of a study table. */
export interface StudyRow {
  readonly row: string;
  /** Seeds the row has, ascending. */
  readonly seeds: readonly number[];
  /** Mean steps trained over the seeds (equal to the budget unless a time limit stopped a run). */
  readonly steps: number;
  /** Mean training seconds over the seeds. */
  readonly trainSeconds: number;
  /** Mean over seeds and its interval, per column. */
  readonly metrics: Readonly<Record<string, MeanInterval>>;
  /** Paired difference to the reference row per column; absent on the reference row itself, and
   * when the study has no reference row. */
  readonly differences?: Readonly<Record<string, PairedDifference>>;
}

/** A study table with what it was computed on. */
export interface AblationStudyTable {
  readonly data?: string;
  /** Name of the base config the rows override. */
  readonly base?: string;
  /** Label of the row the differences are taken to. */
  readonly reference: string;
  /** Confidence level of every interval. */
  readonly level: number;
  /** The budget of every run (one budget per table). */
  readonly budget: { readonly steps: number; readonly seconds?: number };
  /** Metric columns, in order. */
  readonly columns: readonly string[];
  /** The evaluation protocol of each column (by name). */
  readonly protocols: Readonly<Record<string, string>>;
  readonly rows: readonly StudyRow[];
  /** The matched comparisons whose two rows both have runs (absent when none). */
  readonly comparisons?: readonly StudyComparison[];
}

/** Options of {@linkcode summarizeAblation}. */
export interface SummarizeOptions {
  /** Row the differences are taken to. @default {"full"} */
  readonly reference?: string;
  /** Matched comparisons, each `row - reference` paired by seed; a pair whose row or reference has no
   * runs is left out. `ABLATION_PAIRS` (lib/ablation/rows.ts) holds the study's. @default {none} */
  readonly pairs?: readonly AblationPair[];
  /** Metric columns. @default {STUDY_COLUMNS} */
  readonly columns?: readonly string[];
  /** Confidence level. @default {0.95} */
  readonly level?: number;
  /** Row order; rows not listed follow in first-seen order. @default {first-seen order} */
  readonly rowOrder?: readonly string[];
  /** Dataset folder, recorded in the table. */
  readonly data?: string;
  /** Base config name, recorded in the table. */
  readonly base?: string;
}

/**
 * The study table of finished runs: per row and column the mean over seeds with its Student-t interval;
 * per row its paired difference (same seed) to the reference row, marked significant where the interval
 * excludes 0; per matched pair (`options.pairs`) the same paired difference between its two rows.
 * @param runs One record per (row, seed).
 * @param options Reference row, matched pairs, columns, level, row order, provenance.
 * @returns The table.
 * @throws When there are no runs, a (row, seed) occurs twice, the runs have different budgets, or a
 *   column is not one of `ABLATION_COLUMNS`.
 * @example
 * ```ts
 * import { assert, assertAlmostEquals } from "@std/assert";
 * import { summarizeAblation } from "./study_table.ts";
 * const run = (row: string, seed: number, psnr: number) =>
 *   ({ row, seed, config: row, steps: 10, trainSeconds: 1, budget: { steps: 10 }, mean: { psnr } });
 * const t = summarizeAblation([
 *   run("full", 1, 20), run("full", 2, 21), run("full", 3, 22),
 *   run("w/o parsing branch", 1, 19), run("w/o parsing branch", 2, 19.8), run("w/o parsing branch", 3, 21.2),
 * ], { columns: ["PSNR"] });
 * assertAlmostEquals(t.rows[0].metrics.PSNR.halfWidth, 4.303 / Math.sqrt(3), 1e-3); // s = 1
 * const d = t.rows[1].differences!.PSNR; // -1, -1.2, -0.8
 * assert(Math.abs(d.mean + 1) < 1e-12 && d.significant);
 * // A matched pair: "full" minus "w/o parsing branch" (+1, +1.2 by seed).
 * const p = summarizeAblation(
 *   [run("full", 1, 20), run("full", 2, 21), run("w/o parsing branch", 1, 19), run("w/o parsing branch", 2, 19.8)],
 *   { columns: ["PSNR"], pairs: [{ row: "full", reference: "w/o parsing branch" }] },
 * );
 * assertAlmostEquals(p.comparisons![0].differences.PSNR.mean, 1.1, 1e-12);
 * ```
 */
export function summarizeAblation(
  runs: readonly AblationRunRecord[],
  options: SummarizeOptions = {},
): AblationStudyTable {
  if (!runs.length) throw new Error("ablation table: no runs: expected at least one finished (row, seed)");
  const reference = options.reference ?? "full";
  const columns = options.columns ?? STUDY_COLUMNS;
  const level = options.level ?? 0.95;
  for (const c of columns) {
    if (!(c in ABLATION_COLUMNS)) {
      throw new Error(
        `ablation table: unknown column "${c}" (known: ${Object.keys(ABLATION_COLUMNS).join(", ")})`,
      );
    }
  }
  const byRow = new Map<string, Map<number, AblationRunRecord>>();
  for (const name of options.rowOrder ?? []) if (runs.some((r) => r.row === name)) byRow.set(name, new Map());
  for (const r of runs) {
    const seeds = byRow.get(r.row) ?? new Map<number, AblationRunRecord>();
    const other = seeds.get(r.seed);
    if (other) {
      throw new Error(
        `ablation table: row "${r.row}" seed ${r.seed} twice (${other.runDir ?? "?"} and ${
          r.runDir ?? "?"
        }): ` +
          `expected one run per row and seed`,
      );
    }
    byRow.set(r.row, seeds.set(r.seed, r));
  }
  const valueBySeed = (seeds: Map<number, AblationRunRecord>, column: string) =>
    new Map([...seeds].map(([s, r]) => [s, r.mean[ABLATION_COLUMNS[column]] ?? NaN]));
  const ref = byRow.get(reference);
  const rows: StudyRow[] = [...byRow].map(([row, seeds]) => {
    const records = [...seeds.values()];
    const avg = (f: (r: AblationRunRecord) => number) =>
      records.reduce((s, r) => s + f(r), 0) / records.length;
    const metrics = Object.fromEntries(
      columns.map((c) => [c, meanInterval([...valueBySeed(seeds, c).values()], level)]),
    );
    const differences = ref && row !== reference
      ? Object.fromEntries(
        columns.map((c) => [c, pairedDifference(valueBySeed(seeds, c), valueBySeed(ref, c), level)]),
      )
      : undefined;
    return {
      row,
      seeds: [...seeds.keys()].sort((a, b) => a - b),
      steps: avg((r) => r.steps),
      trainSeconds: avg((r) => r.trainSeconds),
      metrics,
      ...(differences && { differences }),
    };
  });
  const budgets = [...new Set(runs.map((r) => JSON.stringify(r.budget)))];
  if (budgets.length > 1) {
    throw new Error(
      `ablation table: the runs have different budgets (${budgets.join(", ")}): a table compares runs of ` +
        `one budget; collect each budget's run folders separately`,
    );
  }
  const budget = runs[0].budget;
  const comparisons: StudyComparison[] = [];
  for (const pair of options.pairs ?? []) {
    const a = byRow.get(pair.row), b = byRow.get(pair.reference);
    if (!a || !b) continue;
    comparisons.push({
      ...pair,
      differences: Object.fromEntries(
        columns.map((c) => [c, pairedDifference(valueBySeed(a, c), valueBySeed(b, c), level)]),
      ),
    });
  }
  return {
    ...(options.data !== undefined && { data: options.data }),
    ...(options.base !== undefined && { base: options.base }),
    reference,
    level,
    budget,
    columns: [...columns],
    protocols: Object.fromEntries(columns.map((c) => [c, ABLATION_COLUMN_PROTOCOLS[c]])),
    rows,
    ...(comparisons.length && { comparisons }),
  };
}

/** What the junction column measures (lib/metrics/junction.ts), under the means table. */
const JUNCTION_NOTE = "junction PSNR: over the neck and the pixels within " +
  `${JUNCTION_RADIUS_AT_128} px (at 128 px; scaled with the image) of the head's boundary with neck and torso, ` +
  "by the ground-truth parsing; mean over the frames that have one.";

function digitsOf(column: string): number {
  return /PSNR/.test(column) ? 2 : 4;
}

function protocolNote(table: AblationStudyTable): string {
  const groups = new Map<string, string[]>();
  for (const c of table.columns) {
    groups.set(table.protocols[c], [...(groups.get(table.protocols[c]) ?? []), c]);
  }
  return "Protocols: " + [...groups].map(([p, cols]) => `${cols.join(", ")}: ${p}`).join("; ") + ".";
}

/**
 * The study table as {@linkcode MetricTable}s (Markdown in a notebook, `toMarkdown()`, `toHtml()`,
 * `toJSON()`): the means over seeds with their intervals, the paired differences to the reference
 * row with their intervals, `*` where the interval excludes 0, and the matched comparisons likewise.
 * Every table notes the protocol of each column.
 * @param table A study table ({@linkcode summarizeAblation}).
 * @returns `means`; `differences` when the study has its reference row and another row; `comparisons`
 *   when it has matched comparisons.
 */
export function studyMetricTables(
  table: AblationStudyTable,
): { means: MetricTable; differences?: MetricTable; comparisons?: MetricTable } {
  const pct = Math.round(table.level * 100);
  const missing = (row: string, column: string) =>
    column === "parsing mIoU" ? "no parsing branch in this row" : `not measured in ${row}`;
  const cell = (
    row: string,
    column: string,
    m: MeanInterval,
    marked?: boolean,
  ): MetricResult => {
    const value = Number.isFinite(m.mean) ? m.mean : null;
    return {
      name: column,
      value,
      digits: digitsOf(column),
      ...(value !== null && { interval: m.halfWidth }),
      ...(value === null && { note: missing(row, column) }),
      ...(marked && { marked }),
    };
  };
  const seedsOf = (r: StudyRow) => ({ name: "seeds", value: r.seeds.length, digits: 0 });
  const means = metricTable(
    table.rows.map((r) => ({
      label: r.row,
      metrics: [
        seedsOf(r),
        { name: "steps", value: r.steps, digits: 0 },
        ...table.columns.map((c) => cell(r.row, c, r.metrics[c])),
      ],
    })),
    {
      title: `Held-out frames: mean ± ${pct} % interval over seeds (Student t)`,
      rowHeader: "ablation",
      notes: [
        `± half-width of the ${pct} % Student-t interval of the mean over the row's seeds (none with one seed).`,
        ...(table.columns.includes("junction PSNR") ? [JUNCTION_NOTE] : []),
        protocolNote(table),
      ],
    },
  );
  const pairRows = table.comparisons ?? [];
  const comparisons = pairRows.length
    ? metricTable(
      pairRows.map((p) => ({
        label: `${p.row} minus ${p.reference}`,
        metrics: [
          { name: "pairs", value: p.differences[table.columns[0]]?.seeds.length ?? 0, digits: 0 },
          ...table.columns.map((c) =>
            cell(`${p.row} or ${p.reference}`, c, p.differences[c], p.differences[c].significant)
          ),
        ],
      })),
      {
        title: `Matched comparisons: row minus its matched row, paired by seed: mean ± ${pct} % interval`,
        rowHeader: "comparison",
        notes: [
          ...pairRows.filter((p) => p.claim).map((p) => `${p.row} minus ${p.reference}: ${p.claim}.`),
          `* the ${pct} % interval of the paired difference excludes 0: larger than the seed noise.`,
          protocolNote(table),
        ],
      },
    )
    : undefined;
  const diffRows = table.rows.filter((r) => r.differences);
  if (!diffRows.length) return { means, ...(comparisons && { comparisons }) };
  const differences = metricTable(
    diffRows.map((r) => ({
      label: r.row,
      metrics: [
        { name: "pairs", value: r.differences![table.columns[0]]?.seeds.length ?? 0, digits: 0 },
        ...table.columns.map((c) => cell(r.row, c, r.differences![c], r.differences![c].significant)),
      ],
    })),
    {
      title: `Difference to "${table.reference}", paired by seed: mean ± ${pct} % interval`,
      rowHeader: "ablation",
      notes: [
        `* the ${pct} % interval of the paired difference excludes 0: larger than the seed noise.`,
        protocolNote(table),
      ],
    },
  );
  return { means, differences, ...(comparisons && { comparisons }) };
}

/**
 * The study table as Markdown: the means table, then the differences table, then the matched comparisons.
 * @param table A study table.
 */
export function studyMarkdown(table: AblationStudyTable): string {
  const { means, differences, comparisons } = studyMetricTables(table);
  return [means, differences, comparisons].filter((t) => t).map((t) => t!.toMarkdown()).join("\n\n") + "\n";
}

/** The JSON form of a study table: each row with its plain means under the column names too. */
export function studyJson(table: AblationStudyTable): unknown {
  return {
    ...table,
    headOnlyProtocol: PROTOCOL_NAMES.headOnly,
    rows: table.rows.map((r) => ({
      row: r.row,
      seeds: r.seeds,
      steps: r.steps,
      trainSeconds: r.trainSeconds,
      "train s": Math.round(r.trainSeconds),
      ...Object.fromEntries(table.columns.map((c) => [c, r.metrics[c].mean])),
      metrics: r.metrics,
      ...(r.differences && { differences: r.differences }),
    })),
  };
}

/**
 * Writes `<dir>/table.json` and `<dir>/table.md` atomically (non-finite numbers as `null` in JSON).
 * @param dir Results folder (created if needed).
 * @param table The study table.
 */
export async function writeStudyTable(dir: string, table: AblationStudyTable): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "table.json"), JSON.stringify(studyJson(table), null, 1) + "\n");
  await writeFileAtomic(join(dir, "table.md"), studyMarkdown(table));
}

/**
 * Reads a study table written by {@linkcode writeStudyTable} (`null` back to NaN).
 * @param dir Results folder.
 * @returns The table, or null when the folder has no `table.json`.
 * @throws When `table.json` is not a study table (e.g. a one-seed table of an older version).
 */
export async function readStudyTable(dir: string): Promise<AblationStudyTable | null> {
  const path = join(dir, "table.json");
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const json = JSON.parse(text);
  const ok = json && typeof json.reference === "string" && Array.isArray(json.columns) &&
    Array.isArray(json.rows) && json.rows.every((r: StudyRow) => typeof r?.row === "string" && r.metrics);
  if (!ok) {
    throw new Error(
      `${path}: expected a study table { reference, columns, rows: [{ row, metrics, ... }] } as runAblation writes`,
    );
  }
  const nan = <T>(o: T): T =>
    Object.fromEntries(Object.entries(o as object).map(([k, v]) => [k, v === null ? NaN : v])) as T;
  const cells = <T>(o: Record<string, T>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, nan(v)]));
  return {
    ...json,
    rows: json.rows.map((r: StudyRow) => ({
      row: r.row,
      seeds: r.seeds,
      steps: r.steps,
      trainSeconds: r.trainSeconds,
      metrics: cells(r.metrics),
      ...(r.differences && { differences: cells(r.differences) }),
    })),
    ...(Array.isArray(json.comparisons) && {
      comparisons: json.comparisons.map((p: StudyComparison) => ({
        ...p,
        differences: cells(p.differences),
      })),
    }),
  };
}
