/**
 * The main job: train a talking-portrait NeRF on the bundled fixture, render the held-out frames and a
 * video driven by held-out audio, and report quality (terminal table + an HTML report).
 *
 *   deno task demo [--data fixtures/synthetic_portrait] [--out runs/demo] [--steps 4800] [--threads 2] [--seconds 420]
 *
 * It trains a fixed number of steps on a fixed number of threads (the same numbers on every machine;
 * `demoConfig`); `--seconds` adds a time limit.
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { floatToImage, type Image } from "../lib/io/mod.ts";
import { trainRun } from "../lib/train/mod.ts";
import { loadAudioFeatures, renderAudioVideo } from "../lib/render/mod.ts";
import { markdownTable, movingAverage, svgLineChart, writeReport } from "../lib/viz/mod.ts";
import { PROTOCOL_NAMES } from "../lib/metrics/mod.ts";
import { DEMO_STEPS, DEMO_THREADS, DEMO_TRAIN_SECONDS, demoConfig } from "./configs.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, parseCli, runMain } from "./cli.ts";

/** |a - b| per pixel, amplified 4x, as a grey-to-red heat image. */
function errorImage(a: Float32Array, b: Float32Array, width: number, height: number): Image {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const e = (Math.abs(a[3 * i] - b[3 * i]) + Math.abs(a[3 * i + 1] - b[3 * i + 1]) +
      Math.abs(a[3 * i + 2] - b[3 * i + 2])) / 3;
    const v = Math.min(255, Math.round(e * 4 * 255));
    data[3 * i] = v;
    data[3 * i + 1] = Math.round(v * 0.3);
    data[3 * i + 2] = Math.round(v * 0.3);
  }
  return { width, height, channels: 3, data };
}

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: { type: "string", default: "fixtures/synthetic_portrait", help: "dataset folder" },
      out: { type: "string", default: "runs/demo", help: "result folder" },
      seconds: {
        type: "string",
        help:
          `also stop training after this many seconds (e.g. ${DEMO_TRAIN_SECONDS}; the numbers then depend on the machine)`,
      },
      steps: {
        type: "string",
        default: String(DEMO_STEPS),
        help: "training steps (the learning-rate decay follows them)",
      },
      threads: {
        type: "string",
        default: String(DEMO_THREADS),
        help: "threads computing each step's gradients (train.threads)",
      },
      audio: {
        type: "string",
        default: "fixtures/speech/heldout.wav",
        help: "held-out speech for the video",
      },
      ...BACKEND_FLAGS,
    }, "usage: deno task demo [options]");
    const t0 = performance.now();
    await initBackend(backendOptions(a));
    const dataset = await loadDataset(a.data!);
    const threads = intFlag(a.threads, "threads")!;
    const config = demoConfig(intFlag(a.steps, "steps")!, threads);
    const runDir = a.out!;
    console.error(
      `demo: training "${config.name}" on ${a.data} (${dataset.train.length} train / ${dataset.val.length} val frames, ` +
        `${dataset.intrinsics.width}x${dataset.intrinsics.height}) for ${config.train.steps} steps` +
        (a.seconds ? ` or ${a.seconds} s` : ""),
    );
    const run = await trainRun(dataset, config, {
      runDir,
      timeBudgetS: a.seconds ? Number(a.seconds) : undefined,
    });
    const { trainer, evaluation } = run;
    try {
      console.error(`demo: rendering a video for held-out audio ${a.audio}`);
      const audio = await loadAudioFeatures(a.audio!, dataset.audio!.shape[2]);
      const videoPath = join(runDir, "heldout_audio.mp4");
      const video = await renderAudioVideo(trainer.scene, audio, {
        out: videoPath,
        wav: a.audio,
        onFrame: (i, n) => {
          if (i % 25 === 0 || i === n) console.error(`  frame ${i}/${n}`);
        },
      });
      const { width, height } = dataset.intrinsics;
      const shown = dataset.val.slice(0, 4);
      const images: { image: Image; caption: string }[] = [];
      for (const meta of shown) {
        const f = trainer.scene.renderDatasetFrame(meta);
        const gt = await dataset.imageFloat(meta.imgId);
        images.push({ image: floatToImage(gt, width, height), caption: `ground truth ${meta.imgId}` });
        images.push({ image: floatToImage(f.rgb, width, height), caption: `rendered ${meta.imgId}` });
        images.push({ image: errorImage(f.rgb, gt, width, height), caption: `|error| x4` });
      }
      const m = evaluation.mean;
      const table = [{
        config: config.name,
        steps: trainer.step,
        "train time (s)": Math.round(run.trainSeconds),
        "val PSNR (dB)": m.psnr,
        "val SSIM (Wang 2004)": m.ssim,
        "face PSNR (dB)": m.psnrFace ?? NaN,
        "mouth PSNR (dB)": m.psnr_mouth ?? NaN,
        "torso PSNR (dB)": m.psnr_torso ?? NaN,
        "head-only PSNR (dB)": m.headOnly_psnr ?? NaN,
        "head-only SSIM": m.headOnly_ssim ?? NaN,
        "render (s/frame)": evaluation.secondsPerFrame,
      }];
      const hist = run.history;
      await writeReport(join(runDir, "report.html"), `SSP-NeRF demo: ${config.name}`, [
        {
          kind: "text",
          text: `Trained on ${a.data} for ${trainer.step} steps (${Math.round(run.trainSeconds)} s). ` +
            `Validation: the last ${dataset.val.length} frames (held out). Video for held-out audio: heldout_audio.mp4 ` +
            `(${video.frames} frames, ${video.secondsPerFrame.toFixed(2)} s per frame).`,
        },
        {
          kind: "table",
          rows: table,
          caption: `Quality on held-out frames. PSNR/SSIM columns: ${PROTOCOL_NAMES.fullFrame}; ` +
            `head-only columns: ${PROTOCOL_NAMES.headOnly}`,
        },
        {
          kind: "html",
          html: svgLineChart([{
            name: "train PSNR",
            x: hist.map((h) => h.step),
            y: movingAverage(hist.map((h) => h.psnr), 25),
          }], {
            title: "Training PSNR of the step's rays (moving average of 25)",
            xLabel: "step",
            yLabel: "dB",
          }),
        },
        { kind: "heading", text: "Held-out frames" },
        { kind: "images", images, scale: 2 },
      ]);
      console.log(markdownTable(table));
      console.log(`head-only: ${PROTOCOL_NAMES.headOnly}; other columns: ${PROTOCOL_NAMES.fullFrame}`);
      console.log(`report: ${join(runDir, "report.html")}\nvideo:  ${videoPath}`);
      console.log(`demo total wall time: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    } finally {
      trainer.dispose();
    }
  });
}
