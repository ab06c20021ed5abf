/**
 * Where a trained run's error is, on training frames and on held-out frames: the squared error split by
 * ground-truth parsing region (pixel share, error share, PSNR), full-frame and head-only PSNR, PSNR over
 * the head-torso junction (neck plus a band around the head's seam with neck and torso, which the
 * class regions split between face, hair, neck and torso; lib/metrics/junction.ts), and the
 * haze the model puts in front of the static background (opacity and PSNR on background pixels away from
 * the person's outline, beside how well the background image itself matches the frames there); how far
 * the held-out head poses lie from the training poses (Mahalanobis distance, and how the held-out PSNR
 * falls with it: a split that holds out the clip's last frames can ask the torso to extrapolate); and,
 * for a rigid torso motion, whether that motion changes from frame to frame at all (and, with per-frame
 * pose codes, how much of it the codes carry).
 *
 *   deno task diagnose --run runs/demo [--train-frames 23] [--json out.json]
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend/mod.ts";
import { c2wToPose } from "../lib/camera/mod.ts";
import { poseCoverage } from "../lib/camera/pose_coverage.ts";
import { type FrameMeta, loadDataset } from "../lib/data/mod.ts";
import { imageToFloat, writeFileAtomic } from "../lib/io/mod.ts";
import { ErrorBudget, type RegionBudget, SSP11_BUDGET_REGIONS } from "../lib/metrics/mod.ts";
import type { Scene } from "../lib/render/mod.ts";
import { Deform3dTorso, FRAME_CODE_INIT_STD, FrameCodeEncoder } from "../lib/torso/mod.ts";
import { evaluateFrames, type FrameMetrics, loadScene, readCheckpointMeta } from "../lib/train/mod.ts";
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

/** Pearson correlation of two equally long series (NaN when either is constant). */
function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length, ma = a.reduce((s, v) => s + v, 0) / n, mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The head pose of a frame as 6 numbers: Euler angles (radians) and translation. */
function headPose(m: FrameMeta): number[] {
  const p = c2wToPose(m.c2w);
  return [...p.euler, ...p.trans];
}

/** How far the held-out head poses are from the training ones, and how the held-out PSNR follows. */
function poseReport(
  dataset: { train: readonly FrameMeta[]; val: readonly FrameMeta[] },
  heldOut: readonly FrameMetrics[],
) {
  const c = poseCoverage(dataset.train.map(headPose), dataset.val.map(headPose));
  const d = Array.from(c.mahalanobis);
  const sorted = [...d].sort((x, y) => x - y);
  const beyond = d.filter((v) => v > c.reference95).length;
  const byId = new Map(heldOut.map((f) => [f.imgId, f]));
  const rows = dataset.val.map((m, i) => ({ d: d[i], f: byId.get(m.imgId) })).filter((r) => r.f);
  const torso = rows.filter((r) => r.f!.regionPsnr.torso !== undefined);
  const report = {
    mahalanobisMedian: sorted[Math.floor(sorted.length / 2)],
    mahalanobisMax: sorted[sorted.length - 1],
    trainingPercentile95: c.reference95,
    heldOutBeyond95: beyond,
    nearestMax: Math.max(...c.nearest),
    correlationPsnr: pearson(rows.map((r) => r.d), rows.map((r) => r.f!.psnr)),
    correlationTorsoPsnr: torso.length > 2
      ? pearson(torso.map((r) => r.d), torso.map((r) => r.f!.regionPsnr.torso))
      : null,
  };
  console.log(
    `\nheld-out head poses against the training poses: Mahalanobis distance median ${
      report.mahalanobisMedian.toFixed(2)
    }, max ${report.mahalanobisMax.toFixed(2)} (95 % of training frames within ${
      c.reference95.toFixed(2)
    }): ${beyond} of ${d.length} held-out frames beyond; nearest training pose up to ${
      report.nearestMax.toFixed(2)
    } standard deviations away. Correlation of the distance with the frame's PSNR: full frame ${
      report.correlationPsnr.toFixed(2)
    }${report.correlationTorsoPsnr === null ? "" : `, torso ${report.correlationTorsoPsnr.toFixed(2)}`}`,
  );
  return report;
}

/** For a rigid torso motion: its spread over the training frames (0: the same motion for every frame). */
function rigidReport(scene: Scene, frames: readonly FrameMeta[]) {
  const torso = scene.model.torso;
  if (!(torso instanceof Deform3dTorso) || torso.module.motion !== "rigid") return null;
  const rows = frames.map((m) =>
    tf.tidy(() => {
      const [omega, tau] = torso.module.rigidMotion(scene.poseCode(m.c2w, m.imgId));
      return [...omega.dataSync(), ...tau.dataSync()];
    })
  );
  const std = columnStd(rows);
  const constant = Math.max(...std) < 1e-6;
  const codes = frameCodeReport(scene, frames, rows);
  console.log(
    `\nrigid torso motion (poseMap "${torso.module.poseMap}") over the training frames: standard deviation of ` +
      `omega [${std.slice(0, 3).map((v) => v.toExponential(2)).join(", ")}] rad, tau [${
        std.slice(3).map((v) => v.toExponential(2)).join(", ")
      }]` +
      (constant
        ? ": the SAME motion for every frame (the pose map has no live input; see torso.poseMap)"
        : ""),
  );
  return {
    poseMap: torso.module.poseMap,
    omegaStd: std.slice(0, 3),
    tauStd: std.slice(3),
    constant,
    ...(codes && { frameCodes: codes }),
  };
}

/** Standard deviation of each column of a list of rows (over the rows). */
function columnStd(rows: readonly number[][]): number[] {
  return rows[0].map((_, j) => {
    const mean = rows.reduce((s, r) => s + r[j], 0) / rows.length;
    return Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean) ** 2, 0) / rows.length);
  });
}

/**
 * With per-frame pose codes (`pose.frameCode`): how far the codes have moved (their spread; 0.1 at the
 * start) and how much of the training frames' rigid motion they carry (the motion with the frame's own code
 * minus the motion with the mean code, which held-out frames get).
 */
function frameCodeReport(scene: Scene, frames: readonly FrameMeta[], ownMotion: readonly number[][]) {
  const enc = scene.model.poseEncoder;
  const torso = scene.model.torso;
  if (!(enc instanceof FrameCodeEncoder) || !(torso instanceof Deform3dTorso)) return null;
  const codeStd = columnStd(enc.codes.arraySync());
  const fromCodes = frames.map((m, i) =>
    tf.tidy(() => {
      const [omega, tau] = torso.module.rigidMotion(scene.poseCode(m.c2w));
      return [...omega.dataSync(), ...tau.dataSync()].map((v, j) => ownMotion[i][j] - v);
    })
  );
  const motionStd = columnStd(fromCodes);
  const fmt = (v: readonly number[]) => v.map((x) => x.toExponential(2)).join(", ");
  console.log(
    `per-frame pose codes (pose.frameCode ${codeStd.length}): standard deviation of the codes [${
      codeStd.map((v) => v.toFixed(3)).join(", ")
    }] (${FRAME_CODE_INIT_STD} at the start); the part of the rigid motion they carry (own code minus the ` +
      `mean code that held-out frames read): omega [${fmt(motionStd.slice(0, 3))}] rad, tau [${
        fmt(motionStd.slice(3))
      }]`,
  );
  return { codeStd, omegaStdFromCodes: motionStd.slice(0, 3), tauStdFromCodes: motionStd.slice(3) };
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
      let heldOut: readonly FrameMetrics[] = [];
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
        if (split === "held-out") heldOut = e.frames;
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
      if (dataset.train.length >= 2 && dataset.val.length > 0) report.poses = poseReport(dataset, heldOut);
      const rigid = rigidReport(scene, dataset.train);
      if (rigid) report.rigidMotion = rigid;
      if (a.json) await writeFileAtomic(a.json, JSON.stringify(report, null, 1));
    } finally {
      scene.dispose();
    }
  });
}
