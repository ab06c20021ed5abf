/**
 * Where a trained run's error is, on training frames and on held-out frames: the squared error split by
 * ground-truth parsing region (pixel share, error share, PSNR), full-frame and head-only PSNR, PSNR over
 * the head-torso junction (neck plus a band around the head's seam with neck and torso, which the
 * class regions split between face, hair, neck and torso; lib/metrics/junction.ts), and the
 * haze the model puts in front of the static background (opacity and PSNR on background pixels away from
 * the person's outline, beside how well the background image itself matches the frames there).
 *
 *   deno task diagnose --run runs/demo [--train-frames 23] [--json out.json]
 * @module
 */
import { initBackend } from "../lib/backend/mod.ts";
import { type FrameMeta, loadDataset } from "../lib/data/mod.ts";
import { imageToFloat, writeFileAtomic } from "../lib/io/mod.ts";
import { ErrorBudget, type RegionBudget, SSP11_BUDGET_REGIONS } from "../lib/metrics/mod.ts";
import { evaluateFrames, loadScene, readCheckpointMeta } from "../lib/train/mod.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, parseCli, runMain } from "./cli.ts";

/** Background pixels at least `r` pixels (Chebyshev) from any other class. */
function erodedBackground(labels: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let ok = labels[y * width + x] === 0;
      for (let dy = -r; ok && dy <= r; dy++) {
        for (let dx = -r; ok && dx <= r; dx++) {
          const u = Math.min(width - 1, Math.max(0, x + dx)), v = Math.min(height - 1, Math.max(0, y + dy));
          if (labels[v * width + u] !== 0) ok = false;
        }
      }
      out[y * width + x] = ok ? 1 : 0;
    }
  }
  return out;
}

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      run: { type: "string", help: "run folder (with checkpoint.json)" },
      data: { type: "string", help: "dataset folder (default: the run's)" },
      "train-frames": { type: "string", default: "23", help: "training frames rendered, evenly spaced" },
      json: { type: "string", help: "also write the numbers to this JSON file" },
      ...BACKEND_FLAGS,
    }, "usage: deno task diagnose --run <run folder> [options]");
    if (!a.run) throw new Error("--run is required: the folder of a training run");
    const nTrain = intFlag(a["train-frames"], "train-frames")!;
    const backend = backendOptions(a);
    await initBackend(backend);
    const { meta } = await readCheckpointMeta(a.run);
    const dataset = await loadDataset(a.data ?? meta.dataset.root);
    if (dataset.numClasses !== 11) {
      throw new Error(`${dataset.root}: the error budget needs the 11-class parsing maps`);
    }
    const { scene } = await loadScene(a.run, dataset);
    const { width, height } = dataset.intrinsics;
    const bg = imageToFloat(dataset.background);
    const report: Record<string, unknown> = { run: a.run, step: meta.step };
    try {
      const count = Math.min(nTrain, dataset.train.length);
      const trainSet: FrameMeta[] = Array.from(
        { length: count },
        (_, i) => dataset.train[Math.floor((i * dataset.train.length) / count)],
      );
      for (const [split, frames] of [["train", trainSet], ["held-out", dataset.val]] as const) {
        const budget = new ErrorBudget(SSP11_BUDGET_REGIONS);
        let hazeOpacity = 0, hazeSse = 0, bgSse = 0, hazeN = 0;
        const e = await evaluateFrames(scene, frames, async (m, f) => {
          const gt = await dataset.imageFloat(m.imgId);
          const labels = await dataset.parsing(m.imgId);
          budget.add(f.rgb, gt, labels);
          const far = erodedBackground(labels, width, height, 3);
          for (let i = 0; i < far.length; i++) {
            if (!far[i]) continue;
            hazeOpacity += f.accumulation[i];
            for (let c = 0; c < 3; c++) {
              hazeSse += (f.rgb[3 * i + c] - gt[3 * i + c]) ** 2;
              bgSse += (bg[3 * i + c] - gt[3 * i + c]) ** 2;
            }
            hazeN++;
          }
        }, { workers: 1 });
        const regions = budget.result();
        const haze = {
          meanOpacity: hazeOpacity / hazeN,
          renderPsnr: -10 * Math.log10(hazeSse / (3 * hazeN)),
          backgroundImagePsnr: -10 * Math.log10(bgSse / (3 * hazeN)),
        };
        report[split] = {
          frames: frames.length,
          psnr: e.mean.psnr,
          headOnlyPsnr: e.mean.headOnly_psnr,
          junctionPsnr: e.mean.psnr_junction,
          regions,
          haze,
        };
        console.log(
          `\n${split} (${frames.length} frames, step ${meta.step}): full-frame PSNR ${
            e.mean.psnr.toFixed(2)
          } dB, ` +
            `head-only ${e.mean.headOnly_psnr?.toFixed(2) ?? "-"} dB, ` +
            `junction ${e.mean.psnr_junction?.toFixed(2) ?? "-"} dB (full frame)`,
        );
        console.log("| region | pixels | squared error | PSNR (dB) |\n|---|---|---|---|");
        for (const [name, r] of Object.entries(regions) as [string, RegionBudget][]) {
          console.log(
            `| ${name} | ${(100 * r.pixelShare).toFixed(1)} % | ${(100 * r.errorShare).toFixed(1)} % | ${
              r.psnr.toFixed(2)
            } |`,
          );
        }
        console.log(
          `background away from the outline (eroded 3 px): mean opacity ${haze.meanOpacity.toFixed(4)}, ` +
            `render ${haze.renderPsnr.toFixed(2)} dB, bc.jpg itself ${
              haze.backgroundImagePsnr.toFixed(2)
            } dB`,
        );
      }
      if (a.json) await writeFileAtomic(a.json, JSON.stringify(report, null, 1));
    } finally {
      scene.dispose();
    }
  });
}
