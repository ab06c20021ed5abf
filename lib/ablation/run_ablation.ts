/**
 * The ablation runner: every row of an ablation set trained with several seeds at one step budget,
 * evaluated on the held-out frames under both protocols (full frame, head-only), one run folder per
 * (row, seed), and the table with intervals over seeds.
 * @module
 */
import { join } from "node:path";
import { override, type SspNerfConfig } from "../config/mod.ts";
import type { Dataset } from "../data/mod.ts";
import { writeFileAtomic } from "../io/mod.ts";
import type { MetricTable } from "../metrics/report.ts";
import { type ProgressOptions, trainRun } from "../train/mod.ts";
import { movingAverage, type ReportBlock, type Series, svgLineChart, writeReport } from "../viz/mod.ts";
import { ablationRunDir, readRunRecord, writeRunRecord } from "./collect.ts";
import { ABLATION_PAIRS } from "./rows.ts";
import {
  type AblationPair,
  type AblationRunRecord,
  type AblationStudyTable,
  studyMetricTables,
  summarizeAblation,
  writeStudyTable,
} from "./study_table.ts";

/** The seeds of a study unless told otherwise. */
export const DEFAULT_SEEDS: readonly number[] = [1, 2, 3];

/** Options of {@linkcode runAblation}. */
export interface RunAblationOptions {
  /** Results folder: run folders `<outDir>/<config name>/seed-<seed>/`, and `table.json`, `table.md`,
   * `report.html`. */
  readonly outDir: string;
  /** Seeds; each row trains once per seed. @default {DEFAULT_SEEDS} ([1, 2, 3]) */
  readonly seeds?: readonly number[];
  /** Training steps of every run (the budget). @default {each row's `train.steps`} */
  readonly steps?: number;
  /**
   * Learning-rate decay of every run (`train.lrDecaySteps`: steps per 10x): a number, or "steps" = the
   * run's step budget (the decay spread over the budget, as the demo does). Without it a row keeps its
   * own, so a budget far from it ends at a learning rate that is still high (shorter) or already tiny
   * (longer). @default {each row's `train.lrDecaySteps`}
   */
  readonly lrDecaySteps?: number | "steps";
  /** Also stop a run after this many seconds of training. The numbers then depend on the machine's
   * speed and load: use a step budget for results others can reproduce. @default {no time limit} */
  readonly seconds?: number;
  /** The row the differences are taken to. @default {"full"} */
  readonly reference?: string;
  /** Matched comparisons, row minus its named reference, paired by seed (reported when both rows are
   * among `rows`). @default {ABLATION_PAIRS} */
  readonly pairs?: readonly AblationPair[];
  /** Evaluate on the first this many validation frames only. @default {all} */
  readonly evalFrames?: number;
  /** Worker threads rendering the evaluation beside this one (frames equal bit for bit). @default {1} */
  readonly renderWorkers?: number;
  /** Write rendered validation frames into each run folder. @default {true} */
  readonly saveFrames?: boolean;
  /** Write `table.json`, `table.md` and `report.html` at the end; `false` for one (row, seed) of a
   * scheduler's array, whose folders are collected afterwards. @default {true} */
  readonly writeTable?: boolean;
  /** Name of the base config, recorded in the table. */
  readonly base?: string;
  /** Messages, one line each. @default {console.error} */
  readonly log?: (line: string) => void;
  /** Each run's progress bar; `false` turns it off. */
  readonly progress?: ProgressOptions | false;
}

/** What {@linkcode runAblation} returns. */
export interface AblationStudy {
  /** One record per (row, seed), trained now or found finished. */
  readonly runs: readonly AblationRunRecord[];
  /** Means, intervals and paired differences. */
  readonly table: AblationStudyTable;
  /** The table to show: means with intervals. */
  readonly means: MetricTable;
  /** The table to show: paired differences to the reference, `*` beyond the seed noise. */
  readonly differences?: MetricTable;
  /** The table to show: the matched comparisons, `*` beyond the seed noise. */
  readonly comparisons?: MetricTable;
}

function checkOptions(
  rows: Readonly<Record<string, SspNerfConfig>>,
  o: RunAblationOptions,
): readonly number[] {
  const labels = Object.keys(rows);
  if (!labels.length) throw new Error("runAblation: rows is empty: expected at least one { label: config }");
  const names = labels.map((l) => rows[l].name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new Error(
      `runAblation: two rows have config name "${dup}": each row needs its own run folder name`,
    );
  }
  const seeds = o.seeds ?? DEFAULT_SEEDS;
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s)) || new Set(seeds).size !== seeds.length) {
    throw new Error(`runAblation: seeds must be distinct integers: got [${seeds.join(", ")}]`);
  }
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0)) {
    throw new Error(`runAblation: steps must be a positive integer: got ${o.steps}`);
  }
  const d = o.lrDecaySteps;
  if (d !== undefined && d !== "steps" && !(Number.isInteger(d) && d > 0)) {
    throw new Error(`runAblation: lrDecaySteps must be a positive integer or "steps": got ${d}`);
  }
  if (o.seconds !== undefined && !(o.seconds > 0)) {
    throw new Error(`runAblation: seconds must be > 0: got ${o.seconds}`);
  }
  return seeds;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Trains every row of `rows` once per seed at one budget and tabulates the held-out metrics: per row
 * and metric the mean over seeds with its 95 % Student-t interval, and each row's difference to the
 * reference row ("full") paired by seed, marked where its interval excludes 0, and the matched
 * comparisons (`options.pairs`, e.g. two NeRFs minus one NeRF with AD-NeRF's settings). Metrics are measured
 * under two protocols, named in every table: the full rendered frame, and head-only (the rendered
 * head over the real torso and background, by the ground-truth parsing).
 *
 * Resumable: a run folder holding a finished record (`ablation_run.json`, written last) is read, not
 * retrained, so an interrupted study continues where it stopped; a folder holding a run of another
 * config or budget is an error rather than silently mixed in. The same config, seed and step budget
 * give the same numbers on every run.
 *
 * @param dataset The dataset (validation frames are the held-out set).
 * @param rows Row label -> config (e.g. `ablations(base)` of `experiments/ablations.ts`); config names
 *   name the run folders, so they must differ.
 * @param options Results folder, seeds, budget, reference row, evaluation and output options.
 * @returns The run records and the table (with `means` / `differences` ready to display).
 * @throws On bad options, or a run folder of another config.
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { ablation, backend, config, data } from "../../mod.ts";
 * await backend.initBackend({ log: null });
 * const dir = await Deno.makeTempDir();
 * await data.writeTinyDataset(`${dir}/data`, { frames: 12, width: 16, height: 16, audioDim: 13 });
 * const dataset = await data.loadDataset(`${dir}/data`);
 * const rows = {
 *   "full": config.override(config.TINY, { name: "full" }),
 *   "w/o parsing branch": config.override(config.TINY, { name: "no-parsing", parsing: { enabled: false } }),
 * };
 * const study = await ablation.runAblation(dataset, rows, {
 *   outDir: `${dir}/out`, seeds: [1, 2], steps: 2, log: () => {}, progress: false,
 * });
 * assertEquals(study.runs.length, 4); // 2 rows x 2 seeds
 * assertEquals(study.table.rows[1].differences!.PSNR.seeds, [1, 2]); // paired with "full" by seed
 * assert(study.means.toMarkdown().includes("±"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runAblation(
  dataset: Dataset,
  rows: Readonly<Record<string, SspNerfConfig>>,
  options: RunAblationOptions,
): Promise<AblationStudy> {
  const seeds = checkOptions(rows, options);
  const log = options.log ?? ((l: string) => console.error(l));
  const labels = Object.keys(rows);
  const total = labels.length * seeds.length;
  const records: AblationRunRecord[] = [];
  let done = 0;
  for (const label of labels) {
    for (const seed of seeds) {
      done++;
      const steps = options.steps ?? rows[label].train.steps;
      const decay = options.lrDecaySteps === "steps" ? steps : options.lrDecaySteps;
      const config = override(rows[label], {
        train: { seed, steps, ...(decay !== undefined && { lrDecaySteps: decay }) },
      });
      const runDir = ablationRunDir(options.outDir, config.name, seed);
      const budget = { steps, ...(options.seconds !== undefined && { seconds: options.seconds }) };
      const stored = await readJson(join(runDir, "config.json"));
      if (
        stored !== undefined && JSON.stringify(stored) !== JSON.stringify(JSON.parse(JSON.stringify(config)))
      ) {
        throw new Error(
          `runAblation: ${runDir} holds a run of another config (config.json differs, e.g. its steps or ` +
            `sizes): remove the folder or choose another outDir`,
        );
      }
      const finished = await readRunRecord(runDir);
      if (finished) {
        if (JSON.stringify(finished.budget) !== JSON.stringify(budget)) {
          throw new Error(
            `runAblation: ${runDir} was trained with budget ${JSON.stringify(finished.budget)}, not ` +
              `${JSON.stringify(budget)}: remove the folder or choose another outDir`,
          );
        }
        log(`[${done}/${total}] ${label}, seed ${seed}: finished earlier (${runDir}), read`);
        records.push(finished);
        continue;
      }
      log(`[${done}/${total}] ${label}, seed ${seed}: training ${steps} steps into ${runDir}`);
      const run = await trainRun(dataset, config, {
        runDir,
        resume: true,
        log,
        progress: options.progress,
        timeBudgetS: options.seconds,
        finalEvalFrames: options.evalFrames,
        renderWorkers: options.renderWorkers,
        saveFrames: options.saveFrames ?? true,
      });
      run.trainer.dispose();
      const record: AblationRunRecord = {
        row: label,
        seed,
        config: config.name,
        steps: run.trainer.step,
        trainSeconds: run.trainSeconds,
        budget,
        data: dataset.root,
        mean: run.evaluation.mean,
        runDir,
      };
      await writeRunRecord(runDir, record);
      records.push(record);
    }
  }
  const table = summarizeAblation(records, {
    reference: options.reference,
    pairs: options.pairs ?? ABLATION_PAIRS,
    rowOrder: labels,
    data: dataset.root,
    base: options.base,
  });
  if (options.writeTable ?? true) {
    await writeAblationResults(options.outDir, table, records, { classNames: dataset.palette?.classNames });
  }
  return { runs: records, table, ...studyMetricTables(table) };
}

/**
 * Writes a study's results folder: `table.json`, `table.md` and `report.html` (both tables, the
 * training loss of each row and, for rows with the semantic sampler, its ray allocation per class;
 * curves of each row's first seed).
 * @param dir Results folder.
 * @param table The study table.
 * @param runs The records, with their `runDir` (for the loss curves).
 * @param options `classNames`: parsing class names for the allocation charts.
 */
export async function writeAblationResults(
  dir: string,
  table: AblationStudyTable,
  runs: readonly AblationRunRecord[],
  options: { readonly classNames?: readonly string[] } = {},
): Promise<void> {
  await writeStudyTable(dir, table);
  const { means, differences, comparisons } = studyMetricTables(table);
  const losses: Series[] = [];
  const allocationCharts: string[] = [];
  for (const row of table.rows) {
    const first = runs.find((r) => r.row === row.row && r.seed === row.seeds[0]);
    const history = first?.runDir
      ? (await readJson(join(first.runDir, "history.json")) as
        | { step: number; losses: Record<string, number>; allocation?: number[] }[]
        | undefined) ?? []
      : [];
    if (!history.length) continue;
    losses.push({
      name: row.row,
      x: history.map((h) => h.step),
      y: movingAverage(history.map((h) => h.losses.total), 25),
    });
    const alloc = history.filter((h) => h.allocation?.length);
    if (alloc.length) {
      const k = alloc[0].allocation!.length;
      allocationCharts.push(svgLineChart(
        Array.from({ length: k }, (_, c) => ({
          name: options.classNames?.[c] ?? `class ${c}`,
          x: alloc.map((h) => h.step),
          y: movingAverage(alloc.map((h) => h.allocation![c] ?? 0), 25),
        })),
        { title: `Ray allocation per class: ${row.row} (seed ${row.seeds[0]})`, xLabel: "step", height: 360 },
      ));
    }
  }
  const budget = `${table.budget.steps} steps` +
    (table.budget.seconds !== undefined ? ` (at most ${table.budget.seconds} s)` : "");
  const blocks: ReportBlock[] = [
    {
      kind: "text",
      text: `Dataset ${table.data ?? "?"}; base config ${table.base ?? "?"}; ${budget} per run; ` +
        `seeds per row: ${[...new Set(table.rows.map((r) => r.seeds.length))].join(", ")}.`,
    },
    { kind: "html", html: means.toHtml() },
    ...(differences ? [{ kind: "html" as const, html: differences.toHtml() }] : []),
    ...(comparisons ? [{ kind: "html" as const, html: comparisons.toHtml() }] : []),
    ...(losses.length
      ? [{
        kind: "html" as const,
        html: svgLineChart(losses, {
          title: "Training loss (moving average of 25), first seed",
          xLabel: "step",
          logY: true,
        }),
      }]
      : []),
    ...allocationCharts.map((html) => ({ kind: "html" as const, html })),
  ];
  await writeReport(join(dir, "report.html"), "SSP-NeRF ablation", blocks);
  await writeFileAtomic(join(dir, "runs.json"), JSON.stringify(runs.map((r) => r.runDir), null, 1) + "\n");
}
