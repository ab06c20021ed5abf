/**
 * Eye-blink control, measured: the demo preset trained with and without eye conditioning (`eye.enabled`)
 * at the same step budget and seed, evaluated on the held-out frames, split by the frames' eye openness
 * (`FrameMeta.eye` < 0.5: eyes closing or shut). Reports the eye-region PSNR (the landmarks' eye box,
 * `eyeRegionMask`) on the closed-eye and on the open-eye frames, and the full-frame PSNR; writes a
 * side-by-side PNG (ground truth | with eye control | without) of the most closed held-out frame.
 *
 *   deno run -A experiments/eye_control.ts [--steps 1200] [--seeds 1,2] [--variant on|off|both] [--out runs/eye_control]
 *   deno run -A experiments/eye_control.ts --collect --out runs/eye_control      # the table of finished runs
 *
 * Each (variant, seed) writes `<out>/<variant>_s<seed>.json` (and its render of the chosen frame), so the
 * two variants can train in separate processes and `--collect` tabulates them. `--attention` turns on the
 * field's region attention on the code and `--eye-region` the sampler's eye region class
 * (`pixelSampler.eyeRegion`: the landmarks' eye box sampled as the eye class, open or shut) in both
 * variants, and `--closed-eye-share Q` draws a share Q of the steps from the closed-eye training frames
 * (`train.closedEyeShare`); use another `--out` for each such setting. The recipe that shuts the lids on the
 * fixture: `--attention --eye-region --closed-eye-share 0.25`.
 * @module
 */
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { override } from "../lib/config/mod.ts";
import { decodePng, encodePng, floatToImage, writeFileAtomic } from "../lib/io/mod.ts";
import { evaluateFrames, Trainer } from "../lib/train/mod.ts";
import { ABLATION_BASE } from "./configs.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, parseCli, runMain } from "./cli.ts";

/** Eye openness under which a held-out frame counts as closed. */
const CLOSED = 0.5;

/** What one (variant, seed) run records. */
interface EyeRunRecord {
  readonly variant: "on" | "off";
  readonly seed: number;
  readonly steps: number;
  readonly closedFrames: number[];
  readonly openFrames: number;
  readonly psnr: number;
  readonly psnrEyesClosed: number;
  readonly psnrEyesOpen: number;
  readonly psnrEyesAll: number;
  /** The held-out frame shown in the PNG (lowest eye openness). */
  readonly shownImgId: number;
  readonly shownEye: number;
  /** Whether the sampler's eye region class was on (`--eye-region`); absent in runs before the flag. */
  readonly eyeRegion?: boolean;
  /** Eye-region PSNR on the training frames with the eyes closing or shut (absent in older runs). */
  readonly psnrEyesClosedTrain?: number;
  /** `train.closedEyeShare` of the run (absent: uniform frame draws). */
  readonly closedEyeShare?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function trainAndMeasure(
  dataPath: string,
  variant: "on" | "off",
  seed: number,
  steps: number,
  out: string,
  attention: boolean,
  eyeRegion: boolean,
  closedEyeShare: number | undefined,
): Promise<EyeRunRecord> {
  const dataset = await loadDataset(dataPath);
  const config = override(ABLATION_BASE, {
    name: variant === "on" ? "eye-control" : "no-eye-control",
    eye: { enabled: variant === "on" },
    train: { steps, seed, ...(closedEyeShare !== undefined && { closedEyeShare }) },
    ...(attention && { field: { codeAttention: true } }),
    ...(eyeRegion && { pixelSampler: { eyeRegion: true } }),
  });
  const val = dataset.val;
  const eyeOf = (imgId: number) => val.find((f) => f.imgId === imgId)!.eye!;
  const shown = val.reduce((a, b) => (b.eye ?? 1) < (a.eye ?? 1) ? b : a);
  const trainer = Trainer.create(dataset, config);
  try {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const log = await trainer.trainStep();
      if ((s + 1) % 100 === 0 || s + 1 === steps) {
        console.error(
          `eye ${variant} seed ${seed}: step ${s + 1}/${steps} psnr ${log.psnr.toFixed(2)} (${
            ((performance.now() - t0) / 1000).toFixed(0)
          } s)`,
        );
      }
    }
    const r = await evaluateFrames(trainer.scene, val, async (m, f) => {
      if (m.imgId === shown.imgId) {
        await writeFileAtomic(
          join(out, `${variant}_s${seed}_${m.imgId}.png`),
          encodePng(floatToImage(f.rgb, f.width, f.height)),
        );
      }
    });
    const closed = r.frames.filter((f) => eyeOf(f.imgId) < CLOSED);
    const open = r.frames.filter((f) => eyeOf(f.imgId) >= CLOSED);
    const eyes = (rows: typeof r.frames) => mean(rows.map((f) => f.regionPsnr.eyes));
    // The training frames with shut eyes: whether the model fits them at all (not only whether it
    // generalises to the held-out blinks).
    const closedTrain = dataset.train.filter((f) => (f.eye ?? 1) < CLOSED);
    const rt = closedTrain.length > 0 ? await evaluateFrames(trainer.scene, closedTrain) : undefined;
    return {
      variant,
      seed,
      steps,
      closedFrames: closed.map((f) => f.imgId),
      openFrames: open.length,
      psnr: r.mean.psnr,
      psnrEyesClosed: eyes(closed),
      psnrEyesOpen: eyes(open),
      psnrEyesAll: r.mean.psnr_eyes,
      psnrEyesClosedTrain: rt ? eyes(rt.frames) : undefined,
      closedEyeShare,
      shownImgId: shown.imgId,
      shownEye: shown.eye!,
      eyeRegion,
    };
  } finally {
    trainer.dispose();
  }
}

/** Side by side: ground truth | with eye control | without, 2x nearest-neighbour upscaled. */
async function sideBySide(
  dataPath: string,
  out: string,
  recs: readonly EyeRunRecord[],
): Promise<string | undefined> {
  const on = recs.find((r) => r.variant === "on"),
    off = recs.find((r) => r.variant === "off" && r.seed === on?.seed);
  if (!on || !off) return undefined;
  const dataset = await loadDataset(dataPath);
  const { width: w, height: h } = dataset.intrinsics;
  const gt = floatToImage(await dataset.imageFloat(on.shownImgId), w, h);
  const read = async (v: string) =>
    decodePng(await Deno.readFile(join(out, `${v}_s${on.seed}_${on.shownImgId}.png`)));
  const panels = [gt, await read("on"), await read("off")];
  const s = 2, W = 3 * w * s, H = h * s;
  const data = new Uint8Array(W * H * 3);
  panels.forEach((p, k) => {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < w * s; x++) {
        const src = (Math.floor(y / s) * w + Math.floor(x / s)) * p.channels;
        const dst = (y * W + k * w * s + x) * 3;
        for (let c = 0; c < 3; c++) data[dst + c] = p.data[src + c];
      }
    }
  });
  const path = join(out, `closed_eye_frame_${on.shownImgId}_gt_on_off.png`);
  await writeFileAtomic(path, encodePng({ width: W, height: H, channels: 3, data }));
  return path;
}

async function collect(dataPath: string, out: string): Promise<void> {
  const recs: EyeRunRecord[] = [];
  for await (const e of Deno.readDir(out)) {
    if (/^(on|off)_s-?\d+\.json$/.test(e.name)) {
      recs.push(JSON.parse(await Deno.readTextFile(join(out, e.name))));
    }
  }
  if (!recs.length) {
    throw new Error(`--collect: no finished run (on_s<seed>.json / off_s<seed>.json) in ${out}`);
  }
  recs.sort((a, b) => a.seed - b.seed || a.variant.localeCompare(b.variant));
  const f = (x: number) => x.toFixed(2);
  const lines = [
    `Held-out frames of ${dataPath}: ${recs[0].closedFrames.length} with eye < ${CLOSED} ` +
    `(img ${recs[0].closedFrames.join(", ")}), ${recs[0].openFrames} open; ${
      recs[0].steps
    } steps, demo preset${recs[0].eyeRegion ? ", sampler eye region class on (--eye-region)" : ""}${
      recs[0].closedEyeShare !== undefined ? `, closed-eye frame share ${recs[0].closedEyeShare}` : ""
    }.`,
    "",
    "| eye control | seed | eye-region PSNR, closed (dB) | eye-region PSNR, open (dB) | eye-region PSNR, all (dB) | full-frame PSNR (dB) | eye-region PSNR, closed training frames (dB) |",
    "|---|---|---|---|---|---|---|",
    ...recs.map((r) =>
      `| ${r.variant} | ${r.seed} | ${f(r.psnrEyesClosed)} | ${f(r.psnrEyesOpen)} | ${f(r.psnrEyesAll)} | ${
        f(r.psnr)
      } | ${r.psnrEyesClosedTrain === undefined ? "-" : f(r.psnrEyesClosedTrain)} |`
    ),
  ];
  for (const v of ["on", "off"] as const) {
    const rs = recs.filter((r) => r.variant === v);
    if (rs.length > 1) {
      lines.push(
        `| ${v} | mean | ${f(mean(rs.map((r) => r.psnrEyesClosed)))} | ${
          f(mean(rs.map((r) => r.psnrEyesOpen)))
        } | ${f(mean(rs.map((r) => r.psnrEyesAll)))} | ${f(mean(rs.map((r) => r.psnr)))} | ${
          rs.every((r) => r.psnrEyesClosedTrain !== undefined)
            ? f(mean(rs.map((r) => r.psnrEyesClosedTrain!)))
            : "-"
        } |`,
      );
    }
  }
  const png = await sideBySide(dataPath, out, recs);
  if (png) lines.push("", `side by side (ground truth | with | without eye control): ${png}`);
  const md = lines.join("\n");
  await writeFileAtomic(join(out, "table.md"), md + "\n");
  console.log(md);
}

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: { type: "string", default: "fixtures/synthetic_portrait", help: "dataset folder" },
      out: { type: "string", default: "runs/eye_control", help: "results folder" },
      steps: { type: "string", default: "1200", help: "training steps of each run" },
      seeds: { type: "string", default: "1", help: "seeds, comma-separated" },
      variant: { type: "string", default: "both", help: "on | off | both (eye conditioning)" },
      collect: { type: "boolean", default: false, help: "tabulate the finished runs in --out" },
      attention: {
        type: "boolean",
        default: false,
        help: "both variants with the field's region attention on the code (field.codeAttention)",
      },
      "eye-region": {
        type: "boolean",
        default: false,
        help: "both variants with the sampler's eye region class (pixelSampler.eyeRegion)",
      },
      "closed-eye-share": {
        type: "string",
        help:
          "both variants draw this share of their steps from the closed-eye frames (train.closedEyeShare)",
      },
      ...BACKEND_FLAGS,
    }, "usage: deno run -A experiments/eye_control.ts [--steps N] [--seeds 1,2] [--variant on|off|both]");
    const out = a.out!;
    if (a.collect) return await collect(a.data!, out);
    const steps = intFlag(a.steps, "steps")!;
    const share = a["closed-eye-share"] === undefined ? undefined : Number(a["closed-eye-share"]);
    if (share !== undefined && !(share >= 0 && share <= 1)) {
      throw new Error(`--closed-eye-share must be a number in [0, 1]: got ${a["closed-eye-share"]}`);
    }
    const seeds = a.seeds!.split(",").map((s) => Number(s.trim()));
    if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds must be integers: got ${a.seeds}`);
    if (!["on", "off", "both"].includes(a.variant!)) {
      throw new Error(`--variant must be on, off or both: got ${a.variant}`);
    }
    const variants = a.variant === "both" ? ["on", "off"] as const : [a.variant as "on" | "off"];
    await initBackend(backendOptions(a));
    await Deno.mkdir(out, { recursive: true });
    for (const seed of seeds) {
      for (const v of variants) {
        const rec = await trainAndMeasure(
          a.data!,
          v,
          seed,
          steps,
          out,
          a.attention!,
          a["eye-region"]!,
          share,
        );
        await writeFileAtomic(join(out, `${v}_s${seed}.json`), JSON.stringify(rec, null, 2) + "\n");
        console.log(JSON.stringify(rec));
      }
    }
  });
}
