/**
 * Trains a model on a dataset folder into a run folder.
 *
 *   deno task train --data fixtures/synthetic_portrait --config small --out runs/small
 *   deno task train --out runs/small --resume          # continue where it stopped
 *   deno task train --out runs/small --overwrite       # replace that run (kept until the new one's first checkpoint)
 *
 * Every flag is checked before any work; the dataset is then decoded in full (every frame, parsing map
 * and audio row, validation frames too) before step 1, unless --skip-validation. `--check-leaks N` (or
 * the environment variable SSP_CHECK_LEAKS=N) prints the live tensor count every N steps.
 * @module
 */
import { join } from "node:path";
import { override } from "../lib/config/mod.ts";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import {
  createProgress,
  existingRunError,
  inspectRunFolder,
  type Progress,
  readCheckpointMeta,
  resumeConfig,
  trainRun,
} from "../lib/train/mod.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, loadConfig, parseCli, runMain } from "./cli.ts";

const USAGE =
  "usage: deno task train --data <dataset folder> [--config small|paper|tiny|file.json] [--out runs/name] " +
  "[--resume | --overwrite]";

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: {
        type: "string",
        help: "dataset folder (AD-NeRF / SSP-NeRF layout) (default: fixtures/synthetic_portrait, " +
          "or with --resume the run's own)",
      },
      config: {
        type: "string",
        help: "preset name or JSON config file (default: small; with --resume the run's)",
      },
      out: { type: "string", help: "run folder (default runs/<config name>)" },
      steps: { type: "string", help: "override train.steps" },
      threads: { type: "string", help: "override train.threads (threads computing each step's gradients)" },
      resume: { type: "boolean", default: false, help: "continue from the run folder's checkpoint" },
      overwrite: {
        type: "boolean",
        default: false,
        help: "replace the run in --out (the old run stays until the new run's first checkpoint)",
      },
      ...BACKEND_FLAGS,
      "eval-frames": {
        type: "string",
        help: "evaluate on the first N validation frames only (default: all)",
      },
      "skip-validation": {
        type: "boolean",
        default: false,
        help: "do not decode the whole dataset before step 1 (broken frames then stop training when met)",
      },
      "check-leaks": {
        type: "string",
        help: "print the live tensor count every N steps (also: environment variable SSP_CHECK_LEAKS=N)",
      },
    }, USAGE);
    // Every flag first, so that a typo fails now rather than after the training.
    const steps = intFlag(a.steps, "steps");
    const threads = intFlag(a.threads, "threads");
    const evalFrames = intFlag(a["eval-frames"], "eval-frames");
    const backend = backendOptions(a);
    const leaksText = a["check-leaks"] ?? Deno.env.get("SSP_CHECK_LEAKS");
    const checkLeaksEvery = intFlag(
      leaksText,
      a["check-leaks"] === undefined ? "check-leaks (SSP_CHECK_LEAKS)" : "check-leaks",
    );
    if (a.resume && a.overwrite) throw new Error("--resume and --overwrite exclude each other: choose one");
    const trainPatch = { ...(steps !== undefined && { steps }), ...(threads !== undefined && { threads }) };
    const patch = Object.keys(trainPatch).length > 0 ? { train: trainPatch } : {};
    let runDir = a.out;
    let config;
    let data = a.data;
    let configSource = a.config ? `--config ${a.config}` : "--steps";
    const found = a.out ? await inspectRunFolder(a.out) : undefined;
    if (a.resume && a.out && found?.step !== undefined) {
      // The run's own config, from its checkpoint; --config may only change what a resumed run may change.
      const { meta } = await readCheckpointMeta(a.out);
      data ??= meta.dataset.root;
      const requested = a.config ? await loadConfig(a.config, patch) : override(
        // Runs saved before train.threads existed trained on one thread.
        { ...meta.config, train: { threads: 1, ...meta.config.train } },
        patch as never,
      );
      resumeConfig(meta.config, requested, { requested: configSource, run: a.out });
      config = requested;
    } else {
      config = await loadConfig(a.config ?? "small", patch);
      configSource = `--config ${a.config ?? "small"}`;
    }
    runDir ??= join("runs", config.name);
    const state = found ?? await inspectRunFolder(runDir);
    if (state.holdsRun && !a.resume && !a.overwrite) throw existingRunError(runDir, state);
    data ??= "fixtures/synthetic_portrait";
    await initBackend(backend);
    let bar: Progress | undefined;
    let phase = "";
    const t0 = performance.now();
    if (!a["skip-validation"]) {
      console.error(
        `validating ${data}: decoding every frame and parsing map (--skip-validation skips this)`,
      );
    }
    const dataset = await loadDataset(data, {
      check: a["skip-validation"] ? "files" : "full",
      onProgress: (what, done, total) => {
        if (what !== phase) {
          bar?.finish();
          phase = what;
          bar = createProgress(total, {
            label: `validate ${what}`,
            every: Math.max(1, Math.ceil(total / 4)),
          });
        }
        bar!.update(done);
      },
    });
    bar?.finish();
    if (!a["skip-validation"]) {
      console.error(
        `${data}: valid (${dataset.train.length} training + ${dataset.val.length} validation frames) in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s`,
      );
    }
    const r = await trainRun(dataset, config, {
      runDir,
      resume: a.resume,
      existing: a.overwrite ? "overwrite" : "refuse",
      configSource,
      finalEvalFrames: evalFrames,
      checkLeaksEvery,
    });
    const m = r.evaluation.mean;
    console.log(
      `validation (${r.evaluation.frames.length} frames): PSNR ${m.psnr.toFixed(2)} dB, SSIM ${
        m.ssim.toFixed(4)
      }`,
    );
    console.log(`run folder: ${runDir}`);
    r.trainer.dispose();
  });
}
