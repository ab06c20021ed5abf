/**
 * Trains every ablation row with the same seed and budget and writes a results folder: a table
 * (markdown + JSON) with PSNR/SSIM over the full frame and the face crop, PSNR over the mouth and torso
 * regions (from the ground-truth parsing), parsing mIoU; plots of the loss curves and of the semantic
 * sampler's class allocation over training; a report.html.
 *
 *   deno task ablation [--steps 400] [--seconds 300] [--rows "full,w/o torso deformation"] [--out runs/ablation]
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { override } from "../lib/config/mod.ts";
import { writeFileAtomic } from "../lib/io/mod.ts";
import { trainRun } from "../lib/train/mod.ts";
import { markdownTable, movingAverage, type Series, svgLineChart, writeReport } from "../lib/viz/mod.ts";
import { ablations } from "./ablations.ts";
import { ABLATION_BASE } from "./configs.ts";
import { BACKEND_FLAGS, backendOptions, parseCli, runMain } from "./cli.ts";

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: { type: "string", default: "fixtures/synthetic_portrait", help: "dataset folder" },
      out: { type: "string", default: "runs/ablation", help: "results folder" },
      steps: { type: "string", help: "training steps per row (default: the base config's)" },
      seconds: { type: "string", help: "training time budget per row in seconds" },
      rows: { type: "string", help: "comma-separated row labels to run (default: all)" },
      seed: { type: "string", help: "seed shared by every row" },
      ...BACKEND_FLAGS,
    }, "usage: deno task ablation [options]");
    await initBackend(backendOptions(a));
    const dataset = await loadDataset(a.data!);
    let base = ABLATION_BASE;
    if (a.steps) base = override(base, { train: { steps: Number(a.steps) } });
    if (a.seed) base = override(base, { train: { seed: Number(a.seed) } });
    const all = ablations(base);
    const wanted = a.rows ? a.rows.split(",").map((s) => s.trim()) : Object.keys(all);
    for (const w of wanted) {
      if (!(w in all)) {
        throw new Error(`--rows: unknown row "${w}" (known: ${Object.keys(all).join("; ")})`);
      }
    }
    const rows: Record<string, string | number>[] = [];
    const lossSeries: Series[] = [];
    const allocations: Record<string, { step: number; allocation: readonly number[] }[]> = {};
    for (const label of wanted) {
      const config = all[label];
      console.error(`\n=== ${label} (${config.name})`);
      const run = await trainRun(dataset, config, {
        runDir: join(a.out!, config.name),
        timeBudgetS: a.seconds ? Number(a.seconds) : undefined,
        saveFrames: true,
      });
      const m = run.evaluation.mean;
      rows.push({
        row: label,
        steps: run.trainer.step,
        "train s": Math.round(run.trainSeconds),
        "PSNR": m.psnr,
        "SSIM": m.ssim,
        "face PSNR": m.psnrFace ?? NaN,
        "face SSIM": m.ssimFace ?? NaN,
        "mouth PSNR": m.psnr_mouth ?? NaN,
        "torso PSNR": m.psnr_torso ?? NaN,
        "parsing mIoU": m.parsingMIoU ?? NaN,
      });
      const h = run.history;
      lossSeries.push({
        name: label,
        x: h.map((s) => s.step),
        y: movingAverage(h.map((s) => s.losses.total), 25),
      });
      const alloc = h.filter((s) => s.allocation && s.allocation.length).map((s) => ({
        step: s.step,
        allocation: s.allocation!,
      }));
      if (alloc.length) allocations[label] = alloc;
      run.trainer.dispose();
    }
    const table = markdownTable(rows);
    console.log(`\n${table}`);
    await Deno.mkdir(a.out!, { recursive: true });
    await writeFileAtomic(join(a.out!, "table.md"), table);
    await writeFileAtomic(
      join(a.out!, "table.json"),
      JSON.stringify({ data: a.data, base: base.name, rows }, null, 1),
    );
    await writeFileAtomic(join(a.out!, "allocations.json"), JSON.stringify(allocations));
    const names = dataset.palette?.classNames ?? [];
    const allocCharts = Object.entries(allocations).map(([label, al]) =>
      svgLineChart(
        names.map((name, k) => ({
          name,
          x: al.map((s) => s.step),
          y: movingAverage(al.map((s) => s.allocation[k] ?? 0), 25),
        })),
        {
          title: `Ray allocation per class: ${label}`,
          xLabel: "step",
          yLabel: "fraction of rays",
          height: 360,
        },
      )
    );
    await writeReport(join(a.out!, "report.html"), "SSP-NeRF ablation", [
      {
        kind: "text",
        text: `Dataset ${a.data}; base config ${base.name}; same seed and budget for every row.`,
      },
      {
        kind: "table",
        rows,
        caption: "Held-out frames (PSNR in dB; SSIM Wang 2004; regions from ground-truth parsing)",
      },
      {
        kind: "html",
        html: svgLineChart(lossSeries, {
          title: "Training loss (moving average of 25)",
          xLabel: "step",
          logY: true,
        }),
      },
      ...allocCharts.map((html) => ({ kind: "html" as const, html })),
    ]);
    console.log(`results: ${a.out}/table.md, table.json, report.html`);
  });
}
