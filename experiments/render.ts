/**
 * Renders a trained run: its validation frames, or a video for new audio along a pose path.
 *
 *   deno task render --run runs/small --audio fixtures/speech/heldout.wav --out runs/small/heldout.mp4
 *   deno task render --run runs/small --audio aud.npy --poses still
 *   deno task render --run runs/small --val          # validation frames as PNG + metrics
 *   deno task render --run runs/small --audio new.wav --poses smooth:9 --paste-back talk.mp4
 *   deno task render --run runs/eyes --audio new.wav --eyes blink:3,0.25   # eye-conditioned model
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { floatToImage, writeImage } from "../lib/io/mod.ts";
import { evaluateFrames, loadScene, readCheckpointMeta } from "../lib/train/mod.ts";
import { loadAudioFeatures, renderAudioVideo, renderFrameSequence } from "../lib/render/mod.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, parseCli, runMain } from "./cli.ts";
import { parsePosePathSpec, resolvePosePath } from "../lib/camera/pose_path.ts";
import { readSourceRecord } from "../lib/preprocess/source_record.ts";
import { renderedCrops, renderPasteBack } from "../lib/video/paste_back.ts";
import { PROTOCOL_NAMES } from "../lib/metrics/mod.ts";
import { parseEyeTrackSpec, resolveEyeTrack } from "../lib/render/eye_track.ts";
import { VIDEO_FPS } from "../lib/render/render_video.ts";

/**
 * The render command on its arguments (what `deno task render` runs).
 * @param argv Command-line arguments.
 */
export async function renderCommand(argv: string[]): Promise<void> {
  {
    const a = parseCli(argv, {
      run: { type: "string", help: "run folder holding checkpoint.json (required)" },
      data: { type: "string", help: "dataset folder (default: the one the run was trained on)" },
      audio: { type: "string", help: "new audio: a .wav, or an aud.npy of the training features' kind" },
      poses: {
        type: "string",
        default: "dataset",
        help:
          'pose path: dataset | still | smooth:<odd window> | FILE.json ({"poses": [{euler, trans}, ...]})',
      },
      eyes: {
        type: "string",
        default: "dataset",
        help:
          "eye openness (models with eye conditioning): dataset | open | closed | <constant in [0,1]> | " +
          "blink:<period_s>[,<duration_s>]",
      },
      "paste-back": {
        type: "string",
        help: "source video the dataset was preprocessed from: write the render pasted back into it",
      },
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
    const poseSpec = parsePosePathSpec(a.poses!);
    const eyeSpec = parseEyeTrackSpec(a.eyes!);
    const maxFrames = intFlag(a.frames, "frames");
    if (a.audio && !/\.(wav|npy)$/i.test(a.audio)) {
      throw new Error(
        `--audio must be a .wav file or an aud.npy of features: got ${JSON.stringify(a.audio)}`,
      );
    }
    await initBackend(backendOptions(a));
    const { meta } = await readCheckpointMeta(a.run);
    const dataset = await loadDataset(a.data ?? meta.dataset.root);
    // The scene alone (model + camera, bounds, background): rendering needs no trainer and no optimizer.
    const { scene } = await loadScene(a.run, dataset);
    try {
      if (a.val) {
        const r = await evaluateFrames(scene, dataset.val, async (m, f) => {
          await writeImage(
            join(a.run!, "render_val", `${m.imgId}.png`),
            floatToImage(f.rgb, f.width, f.height),
          );
        }, { workers });
        for (const [prefix, protocol] of [["", "fullFrame"], ["headOnly_", "headOnly"]] as const) {
          if (r.mean[`${prefix}psnr`] === undefined) continue;
          console.log(
            `validation (${dataset.val.length} frames): PSNR ${r.mean[`${prefix}psnr`].toFixed(2)} dB, SSIM ${
              r.mean[`${prefix}ssim`].toFixed(4)
            } [${PROTOCOL_NAMES[protocol]}]`,
          );
        }
        return;
      }
      const audio = await loadAudioFeatures(a.audio!, dataset.audio!.shape[2]);
      const out = a.out ?? join(a.run, "render.mp4");
      // Pose path and paste-back (lib/camera/pose_path.ts, lib/video/paste_back.ts): with --paste-back,
      // rendered frame k goes onto source frame k, so the recorded path is the dataset's in source order.
      let n = Math.min(audio.shape[0], maxFrames ?? Infinity);
      const record = a["paste-back"] ? await readSourceRecord(dataset.root) : undefined;
      if (record && n > record.frames) {
        console.error(
          `--paste-back: the source has ${record.frames} frames: rendering ${record.frames} of ${n}`,
        );
        n = record.frames;
      }
      const recorded = record
        ? [...dataset.train, ...dataset.val].sort((p, q) => p.imgId - q.imgId).map((f) => f.c2w)
        : dataset.train.map((f) => f.c2w);
      const path = await resolvePosePath(poseSpec, recorded, n);
      // The eye track (models with eye conditioning): the clip's own, along the same recorded order.
      const eyeOn = scene.config.eye?.enabled ?? false;
      if (!eyeOn && argv.some((x) => x === "--eyes" || x.startsWith("--eyes="))) {
        console.error(`--eyes: the run's model has no eye conditioning (eye.enabled is false): ignored`);
      }
      const recordedEyes = (record
        ? [...dataset.train, ...dataset.val].sort((p, q) => p.imgId - q.imgId)
        : dataset.train)
        .map((f) => f.eye);
      const eyes = eyeOn ? resolveEyeTrack(eyeSpec, recordedEyes, n, VIDEO_FPS, dataset.root) : undefined;
      console.log(
        `pose path ${a.poses}: jitter ${
          path.unsmoothedJitterDeg !== undefined ? `${path.unsmoothedJitterDeg.toFixed(3)} -> ` : ""
        }${path.jitterDeg.toFixed(3)} deg/frame (mean rotation change between frames)`,
      );
      if (record) {
        const frames = renderFrameSequence(scene, n, (k) => ({
          c2w: path.poses[k],
          audio: { features: audio, index: k, eye: eyes?.[k] },
        }), workers);
        const crops = renderedCrops(
          frames,
          (k) => dataset.has.parsing ? dataset.parsing(k) : Promise.resolve(undefined),
        );
        const p = await renderPasteBack(crops, a["paste-back"]!, record, {
          out,
          audio: /\.wav$/i.test(a.audio!) ? a.audio : undefined,
          recordFile: join(dataset.root, "transforms_train.json"),
          onFrame: (i) => {
            if ((i + 1) % 25 === 0 || i + 1 === n) console.error(`frame ${i + 1}/${n}`);
          },
        });
        console.log(`wrote ${out}: ${p.frames} frames pasted back into ${a["paste-back"]}`);
        return;
      }
      const r = await renderAudioVideo(scene, audio, {
        out,
        wav: /\.wav$/i.test(a.audio!) ? a.audio : undefined,
        poses: path.poses,
        eyes,
        maxFrames,
        workers,
        onFrame: (i, n) => {
          if (i % 25 === 0 || i === n) console.error(`frame ${i}/${n}`);
        },
      });
      console.log(`wrote ${out}: ${r.frames} frames, ${r.secondsPerFrame.toFixed(2)} s per frame`);
    } finally {
      scene.dispose();
    }
  }
}

if (import.meta.main) await runMain(() => renderCommand(Deno.args));
