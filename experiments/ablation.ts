/**
 * The ablation study (lib/ablation `runAblation`): every row of `experiments/ablations.ts` trained with
 * several seeds at a step budget, evaluated on the held-out frames under the full-frame and head-only
 * protocols; a table of means with 95 % intervals over seeds and of paired differences to "full"
 * (Markdown, JSON, report.html), and of the matched comparisons (`ABLATION_PAIRS`: two NeRFs minus one
 * NeRF with AD-NeRF's settings). `--reference ROW` takes the differences to another row than "full".
 * Finished run folders are kept: running it again continues a study.
 *
 *   deno task ablation [--steps 2400] [--seeds 1,2,3] [--rows "full,w/o torso deformation"] [--out runs/ablation]
 *
 * On a cluster, one command per (row, seed), then one table:
 *
 *   deno task ablation --emit-commands --steps 2400 --out runs/ablation > commands.txt
 *   parallel -j 4 < commands.txt            # or a Slurm array / Kubernetes Jobs, one line each
 *   deno task ablation --collect runs/ablation [--data DIR]   # --data: the dataset the table names (default: the runs' own)
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ABLATION_PAIRS,
  ablationCommands,
  collectRunRecords,
  DEFAULT_SEEDS,
  runAblation,
  studyDataset,
  studyMarkdown,
  summarizeAblation,
  writeAblationResults,
} from "../lib/ablation/mod.ts";
import { initBackend } from "../lib/backend/mod.ts";
import type { SspNerfConfig } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { ablations } from "./ablations.ts";
import { ABLATION_BASE } from "./configs.ts";
import { BACKEND_FLAGS, backendOptions, loadConfig, parseCli, runMain } from "./cli.ts";

const DEFAULT_OUT = "runs/ablation";
const DEFAULT_DATA = "fixtures/synthetic_portrait";

/** `--collect DIR...`: the folders after the flag, and the other arguments. */
function splitCollectDirs(args: readonly string[]): { dirs: string[]; rest: string[] } {
  const i = args.indexOf("--collect");
  if (i < 0) return { dirs: [], rest: [...args] };
  let j = i + 1;
  while (j < args.length && !args[j].startsWith("--")) j++;
  return { dirs: args.slice(i + 1, j), rest: [...args.slice(0, i + 1), ...args.slice(j)] };
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer: got ${v}`);
  return n;
}

function seedList(flag: string, v: string): number[] {
  const seeds = v.split(",").map((s) => Number(s.trim()));
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s))) {
    throw new Error(`--${flag} must be integers separated by commas: got ${v}`);
  }
  return seeds;
}

if (import.meta.main) {
  await runMain(async () => {
    const { dirs, rest } = splitCollectDirs(Deno.args);
    const a = parseCli(rest, {
      data: {
        type: "string",
        help: `dataset folder (default: ${DEFAULT_DATA}; with --collect, the runs' own)`,
      },
      out: {
        type: "string",
        help: `results folder (default: ${DEFAULT_OUT}; with --collect, the first folder collected)`,
      },
      base: {
        type: "string",
        help: "base config the rows override: a preset (tiny, small, triplane, ...) or a .json file " +
          "(default: experiments/configs.ts ABLATION_BASE)",
      },
      steps: { type: "string", help: "training steps of every run (default: the base config's train.steps)" },
      "lr-decay-steps": {
        type: "string",
        help: 'learning-rate decay of every run, steps per 10x: N, or "steps" = the --steps budget ' +
          "(default: the base config's train.lrDecaySteps)",
      },
      seconds: {
        type: "string",
        help: "also stop each run after this many seconds (the numbers then depend on the machine)",
      },
      seeds: { type: "string", default: DEFAULT_SEEDS.join(","), help: "seeds, comma-separated" },
      seed: { type: "string", help: "one seed (same as --seeds N)" },
      rows: { type: "string", help: "comma-separated row labels (default: all)" },
      reference: {
        type: "string",
        default: "full",
        help: "row the table's differences are taken to (the matched comparisons keep their own)",
      },
      row: { type: "string", help: "one row label: train its run folder(s) only, no table (cluster use)" },
      "eval-frames": { type: "string", help: "evaluate on the first N validation frames (default: all)" },
      workers: { type: "string", help: "worker threads rendering the evaluation (default: 1)" },
      "emit-commands": {
        type: "boolean",
        default: false,
        help: "print one self-contained command per (row, seed) instead of training",
      },
      collect: {
        type: "boolean",
        default: false,
        help: "--collect DIR...: merge finished run folders under DIR... into the table",
      },
      ...BACKEND_FLAGS,
    }, "usage: deno task ablation [options] | --emit-commands [options] | --collect DIR... [--out DIR]");

    const base: SspNerfConfig = a.base ? await loadConfig(a.base) : ABLATION_BASE;
    const baseName = a.base ?? "ABLATION_BASE of experiments/configs.ts";
    const all = ablations(base);
    const known = Object.keys(all);
    const check = (label: string, flag: string) => {
      if (!(label in all)) throw new Error(`--${flag}: unknown row "${label}" (known: ${known.join("; ")})`);
    };
    const wanted = a.row ? [a.row] : a.rows ? a.rows.split(",").map((s) => s.trim()) : known;
    for (const w of wanted) check(w, a.row ? "row" : "rows");
    check(a.reference!, "reference");
    const seeds = a.seed !== undefined ? seedList("seed", a.seed) : seedList("seeds", a.seeds!);
    const steps = positiveInt("steps", a.steps) ?? base.train.steps;
    const lrDecayFlag = a["lr-decay-steps"];
    const lrDecaySteps = lrDecayFlag === undefined || lrDecayFlag === "steps"
      ? lrDecayFlag
      : Number(lrDecayFlag);
    if (typeof lrDecaySteps === "number" && !(Number.isInteger(lrDecaySteps) && lrDecaySteps > 0)) {
      throw new Error(`--lr-decay-steps must be a positive integer or "steps": got ${lrDecayFlag}`);
    }
    const seconds = a.seconds !== undefined ? Number(a.seconds) : undefined;
    if (seconds !== undefined && !(seconds > 0)) throw new Error(`--seconds must be > 0: got ${a.seconds}`);
    const evalFrames = positiveInt("eval-frames", a["eval-frames"]);
    const workers = a.workers !== undefined ? Number(a.workers) : undefined;
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) {
      throw new Error(`--workers must be an integer >= 0: got ${a.workers}`);
    }

    if (a["emit-commands"]) {
      // Absolute paths, so a command runs the same from any folder or node that shares the file system.
      const script = fileURLToPath(import.meta.url);
      const lines = ablationCommands(["deno", "run", "-A", script], wanted, seeds, {
        data: resolve(a.data ?? DEFAULT_DATA),
        out: resolve(a.out ?? DEFAULT_OUT),
        ...(a.base && { base: a.base.endsWith(".json") ? resolve(a.base) : a.base }),
        steps,
        "lr-decay-steps": lrDecaySteps,
        seconds,
        "eval-frames": evalFrames,
        workers,
      });
      console.log(lines.join("\n"));
      return;
    }

    if (a.collect) {
      if (!dirs.length) throw new Error("--collect needs at least one folder: --collect DIR...");
      const runs = await collectRunRecords(dirs);
      if (!runs.length) {
        throw new Error(`--collect: no finished run (ablation_run.json) under ${dirs.join(", ")}`);
      }
      const out = a.out ?? dirs[0];
      const table = summarizeAblation(runs, {
        reference: a.reference,
        pairs: ABLATION_PAIRS,
        rowOrder: known,
        // --data names the study's dataset when given (runs trained in another checkout record its path).
        data: studyDataset(runs, a.data),
        base: baseName,
      });
      await writeAblationResults(out, table, runs);
      console.log(studyMarkdown(table));
      console.log(`${runs.length} runs collected; results: ${out}/table.md, table.json, report.html`);
      return;
    }

    await initBackend(backendOptions(a));
    const dataset = await loadDataset(a.data ?? DEFAULT_DATA);
    const rows = Object.fromEntries(wanted.map((w) => [w, all[w]]));
    const out = a.out ?? DEFAULT_OUT;
    const study = await runAblation(dataset, rows, {
      outDir: out,
      seeds,
      steps,
      lrDecaySteps,
      seconds,
      evalFrames,
      renderWorkers: workers,
      reference: a.reference,
      base: baseName,
      writeTable: !a.row,
    });
    if (a.row) {
      console.log(`finished: ${study.runs.map((r) => r.runDir).join(", ")}`);
      return;
    }
    console.log(`\n${studyMarkdown(study.table)}`);
    console.log(`results: ${out}/table.md, table.json, report.html`);
  });
}
