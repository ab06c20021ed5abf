/**
 * A training run into a result folder: progress on the terminal, periodic evaluation and checkpoints,
 * resume, and files a person or a notebook can read afterwards.
 *
 * Folder contents: `config.json`, `history.json` (every step's loss terms, PSNR and time),
 * `checkpoint.json` + `checkpoint-<step>.bin`, `metrics.json` (the final evaluation), `evals.json`
 * (periodic evaluations), `val/<imgId>.png` (rendered validation frames of the final evaluation).
 *
 * A run folder belongs to one run. One process at a time trains in it (a lock, see run_lock.ts). A
 * folder holding a run is refused, resumed, or replaced; a replacing run trains in a staging folder
 * beside it and takes the folder's place only once its first checkpoint is written, so a replacing run
 * that fails or is killed early leaves the old run as it was. Files appear with the first checkpoint
 * (`config.json` is written just before `checkpoint.json`). Leftovers of killed processes are cleaned at
 * the next start, and a resumed run's history marks where it resumed.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset } from "../data/mod.ts";
import { floatToImage, writeFileAtomic, writeImage } from "../io/mod.ts";
import { meanByProtocol } from "../metrics/protocols.ts";
import { loadCheckpoint, readCheckpointMeta, saveCheckpoint } from "./checkpoint.ts";
import { type EvalResult, evaluateFrames } from "./evaluate.ts";
import { createProgress, formatDuration, type ProgressOptions } from "./progress.ts";
import { acquireRunLock } from "./run_lock.ts";
import {
  cleanTempLeftovers,
  describeRun,
  existingRunError,
  inspectRunFolder,
  recoverReplacement,
  replaceRun,
  resumeConfig,
  stagingPath,
} from "./run_folder.ts";
import { type StepLog, Trainer } from "./trainer.ts";

/** Options of {@linkcode trainRun}. */
export interface RunOptions {
  /** Result folder; created if absent. */
  readonly runDir: string;
  /**
   * Continue from `runDir/checkpoint.json` when it exists. The run keeps its own config: `config` may
   * only differ from it in the fields of `RESUMABLE_FIELDS` (e.g. `train.steps`), which are taken from
   * `config`; any other difference is refused.
   * @default {false}
   */
  readonly resume?: boolean;
  /**
   * When `runDir` already holds a run and `resume` is off: `"refuse"` throws; `"overwrite"` replaces it,
   * the old run staying intact until the new run's first checkpoint is written.
   * @default {"overwrite"}
   */
  readonly existing?: "refuse" | "overwrite";
  /** Names `config` in messages (e.g. `--config tiny`). @default {"the requested config"} */
  readonly configSource?: string;
  /** Messages (one line each). @default {console.error} */
  readonly log?: (line: string) => void;
  /** Progress bar options; `false` turns it off. */
  readonly progress?: ProgressOptions | false;
  /** Write rendered validation frames as PNG. @default {true} */
  readonly saveFrames?: boolean;
  /** Stop after this many seconds of training even if steps remain (the run is still evaluated). */
  readonly timeBudgetS?: number;
  /** Evaluate at the end on the first this many validation frames only (an integer >= 1). @default {all} */
  readonly finalEvalFrames?: number;
  /** Worker threads rendering the final evaluation beside this one (0: one thread). @default {1} */
  readonly renderWorkers?: number;
  /**
   * Report the number of live tensors (`tf.memory().numTensors`) every this many steps, to watch for
   * leaks: it must stay flat. 0 turns it off. @default {0}
   */
  readonly checkLeaksEvery?: number;
}

/** A history entry; the first step after a resume says so. */
export type RunStepLog = StepLog & {
  /** Present on the first step trained after a resume. */
  readonly resumed?: {
    /** The checkpoint's step the run resumed from. */
    readonly fromStep: number;
    /** Steps up to the checkpoint that history.json lacks (a kill between the two writes), if any. */
    readonly missingSteps?: readonly [number, number];
  };
};

/** What a finished run returns. */
export interface RunResult {
  readonly trainer: Trainer;
  readonly evaluation: EvalResult;
  readonly history: readonly RunStepLog[];
  readonly trainSeconds: number;
  readonly stepsDone: number;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 1));
}

function checkRunOptions(o: RunOptions): void {
  const int = (v: number | undefined, name: string, min: number) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
      throw new Error(`trainRun: options.${name} must be an integer >= ${min}: got ${v}`);
    }
  };
  int(o.finalEvalFrames, "finalEvalFrames", 1);
  int(o.renderWorkers, "renderWorkers", 0);
  int(o.checkLeaksEvery, "checkLeaksEvery", 0);
  if (o.timeBudgetS !== undefined && !(o.timeBudgetS > 0)) {
    throw new Error(`trainRun: options.timeBudgetS must be a number > 0: got ${o.timeBudgetS}`);
  }
  if (o.existing !== undefined && o.existing !== "refuse" && o.existing !== "overwrite") {
    throw new Error(
      `trainRun: options.existing must be "refuse" or "overwrite": got ${JSON.stringify(o.existing)}`,
    );
  }
}

/**
 * Trains `config` on `dataset` into `options.runDir` and evaluates on the validation frames.
 * The caller owns the returned trainer (dispose it when done).
 */
export async function trainRun(
  dataset: Dataset,
  config: SspNerfConfig,
  options: RunOptions,
): Promise<RunResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  checkRunOptions(options);
  const runDir = options.runDir;
  const lock = await acquireRunLock(runDir, log);
  let staging: string | undefined;
  let trainer: Trainer | undefined;
  try {
    await recoverReplacement(runDir, log);
    await cleanTempLeftovers(runDir, log);
    const found = await inspectRunFolder(runDir);
    const resuming = options.resume === true && found.step !== undefined;
    if (resuming) {
      const { meta } = await readCheckpointMeta(runDir);
      const r = resumeConfig(meta.config, config, {
        requested: options.configSource ?? "the requested config",
        run: runDir,
      });
      for (const c of r.changes) log(`resume: ${c} (a field a resumed run may change)`);
      config = r.config;
    } else if (found.holdsRun) {
      if (!options.resume && (options.existing ?? "overwrite") === "refuse") {
        throw existingRunError(runDir, found);
      }
      staging = stagingPath(runDir);
      log(
        `${runDir} holds a run (${describeRun(found)}): training the new run in ${staging}; it replaces ` +
          `the old one at its first checkpoint`,
      );
    }
    if (options.resume && !resuming) log(`no checkpoint in ${runDir}: starting from step 0`);
    let dir = staging ?? runDir;
    await Deno.mkdir(dir, { recursive: true });
    const tr = trainer = Trainer.create(dataset, config);
    let history: RunStepLog[] = [];
    let resumeMark: RunStepLog["resumed"];
    if (resuming) {
      const meta = await loadCheckpoint(tr, runDir);
      try {
        history = JSON.parse(await Deno.readTextFile(join(runDir, "history.json"))).filter((h: StepLog) =>
          h.step <= meta.step
        );
      } catch { /* a missing history only loses the old curve */ }
      const last = history.length ? history[history.length - 1].step : 0;
      resumeMark = { fromStep: meta.step, ...(last < meta.step && { missingSteps: [last + 1, meta.step] }) };
      log(
        `resumed ${runDir} at step ${meta.step}` +
          (last < meta.step
            ? `; history.json lacks steps ${last + 1}-${meta.step} (killed before it was written)`
            : ""),
      );
    }
    let savedAt: number | undefined;
    const checkpoint = async (): Promise<string> => {
      await writeJson(join(dir, "config.json"), config);
      const path = await saveCheckpoint(tr, dir);
      savedAt = tr.step;
      await writeJson(join(dir, "history.json"), history);
      if (staging) {
        await replaceRun(staging, runDir);
        staging = undefined;
        dir = runDir;
        log(`replaced the previous run in ${runDir} (${describeRun(found)}) by this one at step ${tr.step}`);
        return join(runDir, "checkpoint.json");
      }
      return path;
    };
    const c = config.train;
    const evals: { step: number; mean: Record<string, number> }[] = [];
    const total = c.steps;
    const progress = options.progress === false
      ? null
      : createProgress(total, { label: config.name, ...(options.progress ?? {}) });
    const t0 = performance.now();
    let rays = 0;
    let stepsDone = 0;
    let lastCkpt = resuming ? join(runDir, "checkpoint.json") : "none yet";
    while (tr.step < total) {
      if (options.timeBudgetS !== undefined && (performance.now() - t0) / 1000 > options.timeBudgetS) {
        log(`time budget of ${options.timeBudgetS} s reached at step ${tr.step}`);
        break;
      }
      // Steps in runs up to the next evaluation, checkpoint or leak check (at most 8, so the progress line
      // and the time budget stay current): on webgpu `trainSteps` overlaps each step's read with the next
      // step's work; on the CPU backends it is `trainStep` in a loop (the same steps either way).
      const until = (every: number | undefined) => every && every > 0 ? every - (tr.step % every) : Infinity;
      const count = Math.min(
        8,
        total - tr.step,
        until(c.evalEvery),
        until(c.checkpointEvery),
        until(options.checkLeaksEvery),
      );
      let logs: StepLog[];
      try {
        logs = await tr.trainSteps(count);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`${msg} (last checkpoint: ${lastCkpt})`);
      }
      const secs = (performance.now() - t0) / 1000;
      for (const s of logs) {
        history.push(resumeMark ? { ...s, resumed: resumeMark } : s);
        resumeMark = undefined;
        stepsDone++;
        rays += c.raysPerStep;
        progress?.update(s.step, {
          loss: s.losses.total,
          psnr: s.psnr,
          "rays/s": Math.round(rays / secs),
        });
      }
      if (options.checkLeaksEvery && tr.step % options.checkLeaksEvery === 0) {
        log(`\nstep ${tr.step}: ${tf.memory().numTensors} tensors`);
      }
      if (c.evalEvery > 0 && tr.step % c.evalEvery === 0 && tr.step < total) {
        const e = await evaluateFrames(tr.scene, dataset.val.slice(0, c.evalFrames));
        evals.push({ step: tr.step, mean: e.mean as Record<string, number> });
        log(`\nstep ${tr.step}: val PSNR ${e.mean.psnr.toFixed(2)} dB on ${c.evalFrames} frame(s)`);
      }
      if (c.checkpointEvery > 0 && tr.step % c.checkpointEvery === 0) {
        lastCkpt = await checkpoint();
      }
    }
    progress?.finish();
    tr.releaseWorkers(); // gradient workers of train.threads > 1: not needed for evaluation
    const trainSeconds = (performance.now() - t0) / 1000;
    // The loop's last checkpoint may be at this very step: saving again would only drop the previous .bin.
    if (savedAt !== tr.step) lastCkpt = await checkpoint();
    log(`trained ${stepsDone} steps in ${formatDuration(trainSeconds)}; checkpoint ${lastCkpt}`);
    const saveFrames = options.saveFrames ?? true;
    const evalSet = dataset.val.slice(0, options.finalEvalFrames ?? dataset.val.length);
    const evaluation = await evaluateFrames(tr.scene, evalSet, async (meta, frame) => {
      if (saveFrames) {
        await writeImage(
          join(dir, "val", `${meta.imgId}.png`),
          floatToImage(frame.rgb, frame.width, frame.height),
        );
      }
    }, { workers: options.renderWorkers ?? 1 });
    evals.push({ step: tr.step, mean: evaluation.mean as Record<string, number> });
    await writeJson(join(dir, "evals.json"), evals);
    await writeJson(join(dir, "metrics.json"), {
      config: config.name,
      step: tr.step,
      trainSeconds,
      secondsPerFrame: evaluation.secondsPerFrame,
      mean: evaluation.mean,
      byProtocol: meanByProtocol(evaluation.mean),
      frames: evaluation.frames,
    });
    return { trainer: tr, evaluation, history, trainSeconds, stepsDone };
  } catch (e) {
    trainer?.dispose();
    if (staging) {
      try {
        await Deno.remove(staging, { recursive: true });
        log(`the new run failed before its first checkpoint: ${runDir} keeps the old run`);
      } catch { /* not created yet */ }
    }
    throw e;
  } finally {
    lock.release();
  }
}
