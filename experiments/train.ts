/**
 * Trains a model on a dataset folder into a run folder.
 *
 *   deno task train --data fixtures/synthetic_portrait --config small --out runs/small
 *   deno task train --out runs/small --resume          # continue where it stopped
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { trainRun } from "../lib/train/mod.ts";
import { BACKEND_FLAGS, backendOptions, loadConfig, parseCli, runMain } from "./cli.ts";

const USAGE =
  "usage: deno task train --data <dataset folder> [--config small|paper|tiny|file.json] [--out runs/name]";

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: {
        type: "string",
        default: "fixtures/synthetic_portrait",
        help: "dataset folder (AD-NeRF / SSP-NeRF layout)",
      },
      config: { type: "string", default: "small", help: "preset name or JSON config file" },
      out: { type: "string", help: "run folder (default runs/<config name>)" },
      steps: { type: "string", help: "override train.steps" },
      resume: { type: "boolean", default: false, help: "continue from the run folder's checkpoint" },
      ...BACKEND_FLAGS,
      "eval-frames": {
        type: "string",
        help: "evaluate on the first N validation frames only (default: all)",
      },
    }, USAGE);
    let resumeConfig: string | undefined;
    if (a.resume && a.out) {
      try {
        await Deno.stat(join(a.out, "config.json"));
        resumeConfig = join(a.out, "config.json");
      } catch { /* no previous config: use --config */ }
    }
    const patch = a.steps ? { train: { steps: Number(a.steps) } } : {};
    const config = await loadConfig(resumeConfig ?? a.config!, patch);
    await initBackend(backendOptions(a));
    const dataset = await loadDataset(a.data!);
    const runDir = a.out ?? join("runs", config.name);
    const evalFrames = a["eval-frames"] ? Number(a["eval-frames"]) : undefined;
    const r = await trainRun(dataset, config, { runDir, resume: a.resume, finalEvalFrames: evalFrames });
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
