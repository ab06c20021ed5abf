/**
 * `deno task eval`: metrics of a generated talking-portrait clip against its ground truth.
 *
 *   deno task eval --pred out.mp4 --gt gt.mp4 [--audio drive.wav] [--sync-model ss.json | --train-sync]
 *                  [--face-crop] [--resize] [--lpips-weights lpips_alex.json] [--out results/x]
 *
 * Prints the table (text) and, with --out, writes metrics.txt / metrics.md / metrics.json there
 * (atomically), plus the SS-Sync model trained with --train-sync (ss_sync.json + .bin).
 * @module
 */
import { initBackend } from "../lib/backend/mod.ts";
import { readMono16k } from "../lib/io/mod.ts";
import { evaluateClips, writeEvalReport } from "../lib/metrics/eval.ts";
import { loadEvalClip } from "../lib/metrics/eval_frames.ts";
import { loadLpips } from "../lib/metrics/lpips.ts";
import { loadSsSync, saveSsSync } from "../lib/metrics/sync_net_file.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, numberFlag, parseCli, runMain } from "./cli.ts";

const USAGE = "deno task eval --pred <video | frames folder> --gt <video | frames folder> [options]";

await runMain(async () => {
  const args = parseCli(Deno.args, {
    pred: { type: "string", help: "generated clip: a video file or a folder of numbered frames" },
    gt: { type: "string", help: "ground-truth clip: a video file or a folder of numbered frames" },
    audio: { type: "string", help: "audio (wav) for both clips; default: each video's own track" },
    "sync-model": { type: "string", help: "SS-Sync model (.json from --train-sync) to score both clips" },
    "train-sync": {
      type: "boolean",
      default: false,
      help: "train an SS-Sync model on the ground truth first",
    },
    "face-crop": {
      type: "boolean",
      default: false,
      help: "also PSNR/SSIM inside the ground truth's face box",
    },
    resize: { type: "boolean", default: false, help: "resize predicted frames to the ground truth's size" },
    "lpips-weights": {
      type: "string",
      help: "LPIPS AlexNet weights (tfjs weights manifest, see lib/metrics/lpips.ts)",
    },
    "max-frames": { type: "string", help: "read at most this many frames of each clip" },
    fps: { type: "string", default: "25", help: "frame rate of frame folders" },
    out: { type: "string", help: "folder for metrics.txt/.md/.json" },
    ...BACKEND_FLAGS,
  }, USAGE);
  if (!args.pred || !args.gt) throw new Error(`--pred and --gt are required\n${USAGE}`);
  const maxFrames = intFlag(args["max-frames"], "max-frames");
  const fps = numberFlag(args.fps, "fps", { gt: 0 })!;
  if (args["sync-model"] && args["train-sync"]) {
    throw new Error("--sync-model and --train-sync exclude each other: score with a model, or train one");
  }
  const t0 = performance.now();
  await initBackend({ ...backendOptions(args), log: null });
  const [pred, gt] = await Promise.all([
    loadEvalClip(args.pred, { maxFrames, fps }),
    loadEvalClip(args.gt, { maxFrames, fps }),
  ]);
  const audio = args.audio ? await readMono16k(args.audio) : undefined;
  const lpipsModel = args["lpips-weights"] ? await loadLpips(args["lpips-weights"]) : null;
  const sync = args["sync-model"] ? await loadSsSync(args["sync-model"]) : null;
  try {
    const report = await evaluateClips(pred, gt, {
      audio,
      faceCrop: args["face-crop"],
      resize: args.resize,
      lpipsModel,
      syncModel: sync?.model,
      trainSync: args["train-sync"],
      log: (m) => console.error(m),
    });
    console.log(report.table.toText());
    if (args.out) {
      const written = await writeEvalReport(args.out, report);
      if (report.trainedSync) {
        const path = `${args.out}/ss_sync.json`;
        await saveSsSync(report.trainedSync.model, path, {
          clip: args.gt,
          windows: report.trainedSync.windows,
          steps: report.trainedSync.steps,
          finalLoss: report.trainedSync.finalLoss,
          seconds: report.trainedSync.seconds,
        });
        written.push(path);
      }
      console.error(`wrote ${written.join(", ")}`);
    }
    report.trainedSync?.model.dispose();
    console.error(`eval took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    lpipsModel?.dispose();
    sync?.model.dispose();
  }
});
