/**
 * A training run into a result folder: progress on the terminal, periodic evaluation and checkpoints,
 * resume, and files a person or a notebook can read afterwards.
 *
 * Folder contents: `config.json`, `history.json` (every step's loss terms, PSNR and time),
 * `checkpoint.json` + `checkpoint-<step>.bin`, `metrics.json` (the final evaluation), `evals.json`
 * (periodic evaluations), `val/<imgId>.png` (rendered validation frames of the final evaluation).
 * @module
 */
import { join } from "node:path";
import type { SspNerfConfig } from "../config/config.ts";
import type { Dataset } from "../data/mod.ts";
import { floatToImage, writeFileAtomic, writeImage } from "../io/mod.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { type EvalResult, evaluateFrames } from "./evaluate.ts";
import { createProgress, formatDuration, type ProgressOptions } from "./progress.ts";
import { type StepLog, Trainer } from "./trainer.ts";

/** Options of {@linkcode trainRun}. */
export interface RunOptions {
  /** Result folder; created if absent. */
  readonly runDir: string;
  /** Continue from `runDir/checkpoint.json` when it exists. @default {false} */
  readonly resume?: boolean;
  /** Messages (one line each). @default {console.error} */
  readonly log?: (line: string) => void;
  /** Progress bar options; `false` turns it off. */
  readonly progress?: ProgressOptions | false;
  /** Write rendered validation frames as PNG. @default {true} */
  readonly saveFrames?: boolean;
  /** Stop after this many seconds of training even if steps remain (the run is still evaluated). */
  readonly timeBudgetS?: number;
  /** Evaluate at the end on the first this many validation frames only. @default {all} */
  readonly finalEvalFrames?: number;
  /** Worker threads rendering the final evaluation beside this one (0: one thread). @default {1} */
  readonly renderWorkers?: number;
}

/** What a finished run returns. */
export interface RunResult {
  readonly trainer: Trainer;
  readonly evaluation: EvalResult;
  readonly history: readonly StepLog[];
  readonly trainSeconds: number;
  readonly stepsDone: number;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 1));
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
  const dir = options.runDir;
  await Deno.mkdir(dir, { recursive: true });
  const trainer = Trainer.create(dataset, config);
  try {
    let history: StepLog[] = [];
    if (options.resume) {
      try {
        await Deno.stat(join(dir, "checkpoint.json"));
        const meta = await loadCheckpoint(trainer, dir);
        try {
          history = JSON.parse(await Deno.readTextFile(join(dir, "history.json"))).filter((h: StepLog) =>
            h.step <= meta.step
          );
        } catch { /* a missing history only loses the old curve */ }
        log(`resumed ${dir} at step ${meta.step}`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        log(`no checkpoint in ${dir}: starting from step 0`);
      }
    }
    await writeJson(join(dir, "config.json"), config);
    const c = config.train;
    const evals: { step: number; mean: Record<string, number> }[] = [];
    const total = c.steps;
    const progress = options.progress === false
      ? null
      : createProgress(total, { label: config.name, ...(options.progress ?? {}) });
    const t0 = performance.now();
    let rays = 0;
    let stepsDone = 0;
    let lastCkpt = "none yet";
    while (trainer.step < total) {
      if (options.timeBudgetS !== undefined && (performance.now() - t0) / 1000 > options.timeBudgetS) {
        log(`time budget of ${options.timeBudgetS} s reached at step ${trainer.step}`);
        break;
      }
      let s: StepLog;
      try {
        s = await trainer.trainStep();
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(`${msg} (last checkpoint: ${lastCkpt})`);
      }
      history.push(s);
      stepsDone++;
      rays += c.raysPerStep;
      const secs = (performance.now() - t0) / 1000;
      progress?.update(trainer.step, {
        loss: s.losses.total,
        psnr: s.psnr,
        "rays/s": Math.round(rays / secs),
      });
      if (c.evalEvery > 0 && trainer.step % c.evalEvery === 0 && trainer.step < total) {
        const e = await evaluateFrames(trainer.scene, dataset.val.slice(0, c.evalFrames));
        evals.push({ step: trainer.step, mean: e.mean as Record<string, number> });
        log(`\nstep ${trainer.step}: val PSNR ${e.mean.psnr.toFixed(2)} dB on ${c.evalFrames} frame(s)`);
      }
      if (c.checkpointEvery > 0 && trainer.step % c.checkpointEvery === 0) {
        lastCkpt = await saveCheckpoint(trainer, dir);
        await writeJson(join(dir, "history.json"), history);
      }
    }
    progress?.finish();
    const trainSeconds = (performance.now() - t0) / 1000;
    lastCkpt = await saveCheckpoint(trainer, dir);
    await writeJson(join(dir, "history.json"), history);
    log(`trained ${stepsDone} steps in ${formatDuration(trainSeconds)}; checkpoint ${lastCkpt}`);
    const saveFrames = options.saveFrames ?? true;
    const evalSet = dataset.val.slice(0, options.finalEvalFrames ?? dataset.val.length);
    const evaluation = await evaluateFrames(trainer.scene, evalSet, async (meta, frame) => {
      if (saveFrames) {
        await writeImage(
          join(dir, "val", `${meta.imgId}.png`),
          floatToImage(frame.rgb, frame.width, frame.height),
        );
      }
    }, { workers: options.renderWorkers ?? 1 });
    evals.push({ step: trainer.step, mean: evaluation.mean as Record<string, number> });
    await writeJson(join(dir, "evals.json"), evals);
    await writeJson(join(dir, "metrics.json"), {
      config: config.name,
      step: trainer.step,
      trainSeconds,
      secondsPerFrame: evaluation.secondsPerFrame,
      mean: evaluation.mean,
      frames: evaluation.frames,
    });
    return { trainer, evaluation, history, trainSeconds, stepsDone };
  } catch (e) {
    trainer.dispose();
    throw e;
  }
}
