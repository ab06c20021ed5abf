/**
 * Renders a trained run: its validation frames, or a video for new audio along a pose path.
 *
 *   deno task render --run runs/small --audio fixtures/speech/heldout.wav --out runs/small/heldout.mp4
 *   deno task render --run runs/small --audio aud.npy --poses still
 *   deno task render --run runs/small --val          # validation frames as PNG + metrics
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { floatToImage, writeImage } from "../lib/io/mod.ts";
import {
  evaluateFrames,
  loadAudioFeatures,
  loadCheckpoint,
  readCheckpointMeta,
  renderAudioVideo,
  Trainer,
} from "../lib/train/mod.ts";
import { BACKEND_FLAGS, backendOptions, parseCli, runMain } from "./cli.ts";

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      run: { type: "string", help: "run folder holding checkpoint.json (required)" },
      data: { type: "string", help: "dataset folder (default: the one the run was trained on)" },
      audio: { type: "string", help: "new audio: a .wav, or an aud.npy of the training features' kind" },
      poses: { type: "string", default: "dataset", help: "pose path: dataset | still" },
      out: { type: "string", help: "output mp4 (default <run>/render.mp4)" },
      frames: { type: "string", help: "render at most this many frames" },
      val: { type: "boolean", default: false, help: "render the validation frames and measure them instead" },
      workers: {
        type: "string",
        default: "1",
        help: "worker threads rendering beside this one (0: one thread)",
      },
      ...BACKEND_FLAGS,
    }, "usage: deno task render --run <run folder> (--audio <wav|npy> | --val) [options]");
    if (!a.run) throw new Error("--run is required: the folder of a training run");
    const workers = Number(a.workers);
    if (!Number.isInteger(workers) || workers < 0) {
      throw new Error(`--workers must be an integer >= 0: got ${a.workers}`);
    }
    if (!a.val && !a.audio) {
      throw new Error("give --audio <wav|npy> to render a video, or --val for the validation frames");
    }
    if (a.poses !== "dataset" && a.poses !== "still") {
      throw new Error(`--poses must be dataset or still: got ${a.poses}`);
    }
    await initBackend(backendOptions(a));
    const { meta } = await readCheckpointMeta(a.run);
    const dataset = await loadDataset(a.data ?? meta.dataset.root);
    const trainer = Trainer.create(dataset, meta.config);
    try {
      await loadCheckpoint(trainer, a.run);
      if (a.val) {
        const r = await evaluateFrames(trainer, dataset.val, async (m, f) => {
          await writeImage(
            join(a.run!, "render_val", `${m.imgId}.png`),
            floatToImage(f.rgb, f.width, f.height),
          );
        }, { workers });
        console.log(
          `validation (${dataset.val.length} frames): PSNR ${r.mean.psnr.toFixed(2)} dB, SSIM ${
            r.mean.ssim.toFixed(4)
          }`,
        );
        return;
      }
      const audio = await loadAudioFeatures(a.audio!, dataset.audio!.shape[2]);
      const out = a.out ?? join(a.run, "render.mp4");
      const r = await renderAudioVideo(trainer, audio, {
        out,
        wav: a.audio!.endsWith(".wav") ? a.audio : undefined,
        poses: a.poses as "dataset" | "still",
        maxFrames: a.frames ? Number(a.frames) : undefined,
        workers,
        onFrame: (i, n) => {
          if (i % 25 === 0 || i === n) console.error(`frame ${i}/${n}`);
        },
      });
      console.log(`wrote ${out}: ${r.frames} frames, ${r.secondsPerFrame.toFixed(2)} s per frame`);
    } finally {
      trainer.dispose();
    }
  });
}
