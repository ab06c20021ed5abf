/**
 * Benchmark of the presets on one dataset, in one run: training throughput (rays/s, points/s, achieved
 * GFLOP/s of the MLP heads beside a plain 1024x1024 matMul), whole-frame rendering at the dataset's size
 * and at twice it, on one thread and on two (lib/render/parallel_render.ts), with the rendering's empty-space
 * skipping and without, time to reach a held-out PSNR, and peak memory.
 *
 *   deno task bench                                   # presets small, triplane, demo, paper on the fixture
 *   deno task bench --presets small --budget 120 --psnr 24
 *   deno task bench --presets demo --psnr 26,30 --budget 1200   # higher bars need longer budgets
 *   deno task bench --quick                           # smoke run (seconds): tiny budgets, same JSON shape
 *   deno task bench --presets "" --threads 1,2         # only training steps/s with 1 and 2 threads
 *
 * Writes `runs/bench/bench.json` (atomically) and prints a markdown table. Method notes:
 * - Throughput: median StepLog.ms over `--steps` steps after `--warmup` steps. Points per ray count every
 *   field query: coarse samples + (coarse + fine) samples of the fine pass. The 1024 matMul beside the
 *   achieved GFLOP/s is the median of one timing after each of those steps (same load as the steps).
 * - FLOPs per point: 2 in out per dense layer of the field (and of the torso deformation MLP, and of the
 *   parsing-weighted probe forward that the renderer runs on every point), from the layer shapes; layers
 *   applied to the per-frame audio/pose codes and grid lookups are not counted. Training = 3x forward
 *   (forward + backward) for the differentiated layers, 1x for the probe.
 * - PAPER (8x256 MLP, 64 + 128 samples, 2048 rays) is ~1 TFLOP per step and its backward pass exceeds the
 *   wasm heap ("memory access out of bounds") beyond ~100 rays per step here: it trains at `--paper-rays`
 *   (default 64) and its numbers per ray are scaled linearly to 2048 rays where stated. Its frames are
 *   timed on a crop of `--crop-rays` rays and extrapolated; it is evaluated on a strided pixel subset.
 * - Time to PSNR: training seconds and steps (evaluation excluded) until the mean full-frame PSNR of the
 *   first 2 validation frames reaches each of the `--psnr` thresholds (26 and 30 dB by default), evaluated
 *   every `--eval-every` training seconds, on one thread, the preset's own schedule (its learning-rate decay
 *   is set in steps, so a budget shorter than the decay stops before the rate has come down); training goes
 *   on until the highest threshold or the budget. A threshold the budget does not reach is extrapolated
 *   (method named in the JSON).
 * - Training threads (experiments/bench_threads.ts): steps/s of the demo config with `--threads` (1,2),
 *   interleaved rounds in one run after `--thread-warmup` steps each (150: the steady state), and the ratio
 *   to 1 thread.
 * Timings share 2 cores with other jobs: the load average is recorded before and after.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { scaleIntrinsics } from "../lib/camera/mod.ts";
import { override, PRESETS, type SspNerfConfig } from "../lib/config/mod.ts";
import { type Dataset, type FrameMeta, loadDataset } from "../lib/data/mod.ts";
import { writeFileAtomic } from "../lib/io/mod.ts";
import type { Module } from "../lib/nn/mod.ts";
import { Trainer } from "../lib/train/mod.ts";
import {
  type FrameCodes,
  type FrameRenderSetup,
  ParallelRenderer,
  renderFrameChunks,
  renderPixels,
  type SkipSpace,
} from "../lib/render/mod.ts";
import { BACKEND_FLAGS, backendOptions, parseCli, runMain } from "./cli.ts";
import { benchThreads, threadTable } from "./bench_threads.ts";

const USAGE =
  "usage: deno task bench [--presets small,triplane,demo,paper] [--psnr 26,30] [--budget 300] [--quick]";

/** Options after parsing. */
interface BenchOptions {
  readonly data: string;
  readonly presets: string[];
  /** Held-out PSNR thresholds, dB, ascending. */
  readonly psnr: readonly number[];
  readonly budget: number;
  readonly paperBudget: number;
  readonly paperRays: number;
  readonly evalEvery: number;
  readonly warmup: number;
  readonly steps: number;
  readonly cropRays: number;
  readonly workers: number;
  readonly grid: number;
  readonly quick: boolean;
  readonly out: string;
  /** Thread counts of the training-threads comparison on the demo config (empty: skipped). */
  readonly threads: number[];
  /** Steps per thread count before the threads comparison times. */
  readonly threadWarmup: number;
  readonly threadSteps: number;
  readonly threadRounds: number;
}

/** Peak memory seen at the sampling points (after steps, renders, evaluations). */
class MemoryPeak {
  tfBytes = 0;
  rssBytes = 0;
  sample(): void {
    this.tfBytes = Math.max(this.tfBytes, tf.memory().numBytes);
    this.rssBytes = Math.max(this.rssBytes, Deno.memoryUsage().rss);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function loadAverage(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return Deno.loadavg();
  }
}

/** Median GFLOP/s of a plain size x size matMul (2 size^3 FLOPs). */
function matmulGflops(size: number, reps: number): { gflops: number; ms: number } {
  const a = tf.randomNormal([size, size]) as tf.Tensor2D;
  tf.tidy(() => void tf.matMul(a, a).dataSync());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    tf.tidy(() => void tf.matMul(a, a).dataSync());
    times.push(performance.now() - t0);
  }
  a.dispose();
  const ms = median(times);
  return { gflops: 2 * size ** 3 / (ms * 1e6), ms };
}

/** Forward FLOPs per point of a module's dense layers (2 in out each), leaving out per-frame code layers. */
function denseFlopsPerPoint(module: Module | null | undefined): number {
  if (!module) return 0;
  let flops = 0;
  for (const [name, v] of module.params) {
    if (!name.endsWith(".w") || v.rank !== 2) continue;
    if (name.endsWith(".aud.w") || name.endsWith(".l0c.w")) continue; // [1, A] codes: once per batch
    if (name.includes(".rigid.")) continue; // the torso's rigid motion: once per frame
    const [rows, cols] = v.shape as [number, number];
    flops += 2 * rows * cols;
  }
  return flops;
}

/** FLOP counts of a trainer's model per ray, for training and rendering. */
function flopCounts(trainer: Trainer) {
  const c = trainer.config, m = trainer.model;
  const kc = c.points.numCoarse, kf = c.points.numFine;
  const coarse = denseFlopsPerPoint(m.coarse), fine = denseFlopsPerPoint(m.fineField);
  const movesPoints = m.torso.deformPoints !== undefined;
  const deform = movesPoints ? denseFlopsPerPoint(m.torso.module) : 0;
  const probe = movesPoints && "weighting" in c.torso && c.torso.weighting === "parsing" && c.parsing.enabled;
  const torsoField = denseFlopsPerPoint(m.torsoField);
  const passes: [number, number][] = [[kc, coarse]];
  if (kf > 0) passes.push([kc + kf, fine]);
  let train = 0, render = 0, points = 0;
  for (const [p, f] of passes) {
    points += p;
    train += p * (3 * (f + deform + torsoField) + (probe ? f : 0));
    render += p * (f + deform + torsoField + (probe ? f : 0));
  }
  return {
    fieldForwardPerPoint: coarse,
    fineFieldForwardPerPoint: fine,
    deformForwardPerPoint: deform,
    torsoFieldForwardPerPoint: torsoField,
    probeForward: probe,
    pointsPerRay: points,
    trainFlopsPerRay: train,
    renderFlopsPerRay: render,
  };
}

/** A camera over a centred window of about `rays` pixels of `setup`'s image, with its background: a crop
 * for timing, cut into two chunks (one per thread). */
function cropSetup(setup: FrameRenderSetup, rays: number): FrameRenderSetup {
  const { width, height } = setup.intrinsics;
  const cw = Math.max(1, Math.min(width, rays));
  const rows = Math.max(1, Math.min(height, Math.ceil(rays / cw)));
  const x0 = Math.floor((width - cw) / 2), y0 = Math.floor((height - rows) / 2);
  const bg = new Float32Array(cw * rows * 3);
  for (let y = 0; y < rows; y++) {
    bg.set(
      setup.background.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + cw) * 3),
      y * cw * 3,
    );
  }
  return {
    ...setup,
    config: override(setup.config, { render: { chunk: Math.ceil(rows * cw / 2) } }),
    intrinsics: {
      ...setup.intrinsics,
      cx: setup.intrinsics.cx - x0,
      cy: setup.intrinsics.cy - y0,
      width: cw,
      height: rows,
    },
    background: bg,
  };
}

/** `setup` at `factor` times the resolution (intrinsics scaled, background resampled by nearest pixel). */
function scaledSetup(setup: FrameRenderSetup, factor: number): FrameRenderSetup {
  const intr = scaleIntrinsics(setup.intrinsics, factor);
  const { width: w0, height: h0 } = setup.intrinsics;
  const bg = new Float32Array(intr.width * intr.height * 3);
  for (let y = 0; y < intr.height; y++) {
    for (let x = 0; x < intr.width; x++) {
      const sx = Math.min(w0 - 1, Math.floor(x / factor)), sy = Math.min(h0 - 1, Math.floor(y / factor));
      bg.set(setup.background.subarray((sy * w0 + sx) * 3, (sy * w0 + sx) * 3 + 3), (y * intr.width + x) * 3);
    }
  }
  return { ...setup, intrinsics: intr, background: bg };
}

/** Pixel ids of a strided subset: (stride/2 + i stride, stride/2 + j stride). */
function stridedIds(width: number, height: number, stride: number): Int32Array {
  const ids: number[] = [];
  for (let y = Math.floor(stride / 2); y < height; y += stride) {
    for (let x = Math.floor(stride / 2); x < width; x += stride) ids.push(y * width + x);
  }
  return Int32Array.from(ids);
}

function psnrOf(pred: Float32Array, gt: Float32Array, ids?: Int32Array): number {
  let s = 0, count = 0;
  if (ids) {
    for (let j = 0; j < ids.length; j++) {
      for (let c = 0; c < 3; c++) s += (pred[3 * j + c] - gt[3 * ids[j] + c]) ** 2;
    }
    count = ids.length * 3;
  } else {
    for (let i = 0; i < pred.length; i++) s += (pred[i] - gt[i]) ** 2;
    count = pred.length;
  }
  return 10 * Math.log10(1 / Math.max(s / count, 1e-12));
}

/** Render timings of one image size. */
interface RenderTiming {
  readonly width: number;
  readonly height: number;
  /** Rays actually timed (the whole frame, or a crop). */
  readonly raysTimed: number;
  /** Frame time extrapolated from a crop. */
  readonly extrapolated: boolean;
  /** Empty-space skipping used by the timed renders ("aligned" with early termination, or none). */
  readonly skipping: string;
  /** Plain render (every sample), one thread. */
  readonly secondsPerFramePlain: number;
  readonly secondsPerFrame1: number;
  readonly secondsPerFrame2: number;
  readonly fps1: number;
  readonly fps2: number;
  readonly speedup: number;
  /** Threads of the parallel render (workers + this one). */
  readonly threads: number;
  /** Max |parallel - single| over the rendered RGB (0 = bit-identical). */
  readonly maxAbsDiff: number;
  /** Max |skipping - plain| over the rendered RGB. */
  readonly maxAbsDiffPlain: number;
}

async function timeRender(
  trainer: Trainer,
  renderer: ParallelRenderer,
  setup: FrameRenderSetup,
  codes: FrameCodes,
  crop: number | null,
  mem: MemoryPeak,
  skip: SkipSpace | undefined,
): Promise<RenderTiming> {
  const { width, height } = setup.intrinsics;
  const s = crop ? cropSetup(setup, crop) : setup;
  const rays = s.intrinsics.width * s.intrinsics.height;
  const scale = (width * height) / rays;
  const tp = performance.now();
  const plain = renderFrameChunks(trainer.model, s, codes);
  const tPlain = (performance.now() - tp) / 1000 * scale;
  const t0 = performance.now();
  const single = renderFrameChunks(trainer.model, s, codes, skip);
  const t1 = (performance.now() - t0) / 1000 * scale;
  mem.sample();
  const t2s = performance.now();
  const par = await renderer.render([codes], { setup: s, skip });
  const t2 = (performance.now() - t2s) / 1000 * scale;
  mem.sample();
  let diff = 0, diffPlain = 0;
  for (let i = 0; i < single.rgb.length; i++) {
    diff = Math.max(diff, Math.abs(single.rgb[i] - par[0].rgb[i]));
    diffPlain = Math.max(diffPlain, Math.abs(single.rgb[i] - plain.rgb[i]));
  }
  return {
    width,
    height,
    raysTimed: rays,
    extrapolated: crop !== null,
    skipping: skip ? skip.sampling : "none",
    secondsPerFramePlain: tPlain,
    secondsPerFrame1: t1,
    secondsPerFrame2: t2,
    fps1: 1 / t1,
    fps2: 1 / t2,
    speedup: t1 / t2,
    threads: renderer.threads,
    maxAbsDiff: diff,
    maxAbsDiffPlain: diffPlain,
  };
}

/** One periodic evaluation. */
interface EvalPoint {
  readonly step: number;
  readonly trainSeconds: number;
  readonly psnr: number;
  readonly evalSeconds: number;
}

/** Mean PSNR over frames, full frames on the parallel renderer or a strided subset on this thread. */
class Evaluator {
  private constructor(
    private readonly trainer: Trainer,
    private readonly setup: FrameRenderSetup,
    private readonly frames: readonly FrameMeta[],
    private readonly gts: readonly Float32Array[],
    private readonly renderer: ParallelRenderer | null,
    readonly ids: Int32Array | null,
  ) {}

  /** Full frames on `renderer` when `stride` is null, else a strided pixel subset on this thread. */
  static async create(
    trainer: Trainer,
    frames: readonly FrameMeta[],
    stride: number | null,
    renderer: ParallelRenderer,
  ): Promise<Evaluator> {
    const setup = trainer.scene.setup;
    const gts = await Promise.all(frames.map((f) => trainer.dataset.imageFloat(f.imgId)));
    const { width, height } = setup.intrinsics;
    const ids = stride ? stridedIds(width, height, stride) : null;
    return new Evaluator(trainer, setup, frames, gts, ids ? null : renderer, ids);
  }

  codes(): FrameCodes[] {
    return this.frames.map((f) =>
      this.trainer.scene.frameCodes(f.c2w, { features: this.trainer.dataset.audio!, index: f.audId })
    );
  }

  /** Mean PSNR (dB) of the frames: on the parallel renderer with the trainer's own skipping, or, with
   * `single`, on this thread with the given skipping (or none), counting the samples evaluated. */
  async psnr(
    single?: { readonly skip?: SkipSpace },
  ): Promise<{ psnr: number; seconds: number; samples: number; rays: number }> {
    const t0 = performance.now();
    const codes = this.codes();
    const values: number[] = [];
    let samples = 0, rays = 0;
    const { width, height } = this.setup.intrinsics;
    const all = this.ids ?? Int32Array.from({ length: width * height }, (_, i) => i);
    if (!single && this.renderer) {
      this.renderer.setParams();
      const out = await this.renderer.render(codes, { skip: this.trainer.scene.renderSkip() });
      out.forEach((f, i) => values.push(psnrOf(f.rgb, this.gts[i])));
      rays = all.length * codes.length;
    } else {
      codes.forEach((c, i) => {
        const chunk = this.setup.config.render.chunk;
        const rgb = new Float32Array(all.length * 3);
        for (let s = 0; s < all.length; s += chunk) {
          const r = renderPixels(this.trainer.model, this.setup, c, all.subarray(s, s + chunk), single?.skip);
          rgb.set(r.rgb, 3 * s);
          samples += r.samplesEvaluated;
        }
        rays += all.length;
        values.push(psnrOf(rgb, this.gts[i], this.ids ?? undefined));
      });
    }
    return {
      psnr: values.reduce((a, b) => a + b, 0) / values.length,
      seconds: (performance.now() - t0) / 1000,
      samples,
      rays,
    };
  }
}

/** A preset's time to one PSNR threshold, which PAPER's extrapolation reads. */
interface ThresholdRef {
  readonly secondsToThreshold: number;
  readonly stepsToThreshold: number;
  readonly extrapolated: boolean;
}

/** What the bench reports per preset. */
interface PresetResult {
  readonly config: Record<string, unknown>;
  readonly train: Record<string, unknown>;
  readonly render: Record<string, RenderTiming>;
  readonly psnr: Record<string, unknown>;
  readonly grid: Record<string, unknown> | null;
  readonly memory: { readonly maxTfBytes: number; readonly maxRssBytes: number };
}

function configSummary(c: SspNerfConfig): Record<string, unknown> {
  const f = c.field;
  return {
    name: c.name,
    field: f.kind === "mlp"
      ? `mlp ${f.depth}x${f.width}`
      : `triplane ${f.levels} levels ${f.baseResolution}-${f.maxResolution}, heads ${f.hiddenLayers}x${f.hiddenWidth}`,
    numCoarse: c.points.numCoarse,
    numFine: c.points.numFine,
    raysPerStep: c.train.raysPerStep,
    torso: c.torso.kind,
    parsing: c.parsing.enabled,
    chunk: c.render.chunk,
  };
}

async function benchPreset(
  name: string,
  ds: Dataset,
  o: BenchOptions,
  ref: Map<string, Map<number, ThresholdRef>>,
  log: (s: string) => void,
): Promise<PresetResult> {
  const base = PRESETS[name];
  if (!base) throw new Error(`--presets: unknown preset ${name} (known: ${Object.keys(PRESETS).join(", ")})`);
  const isPaper = name === "paper";
  const configuredRays = base.train.raysPerStep;
  let rays = isPaper ? Math.min(o.paperRays, configuredRays) : configuredRays;
  if (o.quick) rays = isPaper ? 8 : 32;
  const config = override(base, {
    train: { raysPerStep: rays },
    render: { emptySpace: { enabled: o.grid > 0, resolution: o.grid > 0 ? o.grid : 32 } },
  });
  const mem = new MemoryPeak();
  const trainer = Trainer.create(ds, config);
  const budget = isPaper ? o.paperBudget : o.budget;
  try {
    // 1. Throughput, with a 1024 matMul timed after every timed step (alternating, so that both medians
    // see the same load on a shared machine).
    const mmRuns = [matmulGflops(1024, o.quick ? 1 : 3)];
    let trainSeconds = 0;
    const stepMs: number[] = [];
    for (let i = 0; i < o.warmup + o.steps; i++) {
      const s = await trainer.trainStep();
      trainSeconds += s.ms / 1000;
      if (i >= o.warmup) {
        stepMs.push(s.ms);
        if (!o.quick) mmRuns.push(matmulGflops(1024, 1));
      }
      mem.sample();
    }
    const mmMs = median(mmRuns.map((r) => r.ms));
    const mm = { gflops: 2 * 1024 ** 3 / (mmMs * 1e6), ms: mmMs };
    const ms = median(stepMs);
    const flops = flopCounts(trainer);
    const raysPerSec = rays / (ms / 1000);
    const train = {
      raysPerStep: rays,
      configuredRaysPerStep: configuredRays,
      stepMsMedian: ms,
      stepMsAll: stepMs,
      raysPerSec,
      pointsPerSec: raysPerSec * flops.pointsPerRay,
      ...flops,
      trainFlopsPerStep: flops.trainFlopsPerRay * rays,
      gflopsAchieved: flops.trainFlopsPerRay * raysPerSec / 1e9,
      matmul1024Gflops: mm.gflops,
      matmul1024Ms: mm.ms,
      /** Seconds per step at the configured rays per step, linear in rays (PAPER trains at fewer). */
      secondsPerConfiguredStep: ms / 1000 * configuredRays / rays,
    };
    log(
      `${name}: ${rays} rays/step, ${ms.toFixed(0)} ms/step, ${raysPerSec.toFixed(0)} rays/s, ` +
        `${train.gflopsAchieved.toFixed(2)} GFLOP/s (matMul ${mm.gflops.toFixed(1)})`,
    );

    // 2. Time to PSNR (training continues from the throughput steps).
    const evalFrames = ds.val.length >= 2 ? ds.val.slice(0, 2) : [...ds.val, ...ds.train].slice(0, 2);
    const stride = o.quick ? 32 : isPaper ? 8 : null;
    const renderer = await ParallelRenderer.create(trainer.model, trainer.scene.setup, {
      workers: o.workers,
    });
    try {
      const evaluator = await Evaluator.create(trainer, evalFrames, stride, renderer);
      const evals: EvalPoint[] = [];
      // the first evaluation at or above each threshold
      const reached = new Map<number, EvalPoint>();
      const top = o.psnr[o.psnr.length - 1];
      {
        const evaluate = async () => {
          const r = await evaluator.psnr();
          mem.sample();
          const p = { step: trainer.step, trainSeconds, psnr: r.psnr, evalSeconds: r.seconds };
          evals.push(p);
          log(
            `${name}: step ${p.step}, ${trainSeconds.toFixed(1)} s of training: PSNR ${
              p.psnr.toFixed(2)
            } dB (eval ${r.seconds.toFixed(1)} s)`,
          );
          for (const t of o.psnr) if (p.psnr >= t && !reached.has(t)) reached.set(t, p);
        };
        await evaluate();
        let nextEval = trainSeconds + o.evalEvery;
        while (!reached.has(top) && trainSeconds < budget) {
          const s = await trainer.trainStep();
          trainSeconds += s.ms / 1000;
          mem.sample();
          if (trainSeconds >= nextEval || trainSeconds >= budget) {
            await evaluate();
            nextEval = trainSeconds + o.evalEvery;
          }
        }
      }
      const last = evals[evals.length - 1];
      const secondsPerStep = ms / 1000;
      // Own rate, for thresholds the budget did not reach: linear in time through the last evaluations (the
      // last third of the run, at least two).
      const tail = evals.slice(Math.max(0, evals.length - Math.max(2, Math.ceil(evals.length / 3))));
      const first = tail[0];
      const slope = tail.length >= 2 && last.trainSeconds > first.trainSeconds
        ? (last.psnr - first.psnr) / (last.trainSeconds - first.trainSeconds)
        : 0;
      const ownRateMethod =
        "linear in training time through the last third of the evaluations (optimistic: gains slow down)";
      // PAPER extrapolates from the steps another preset needed (small's, else the first's).
      const refName = ref.has("small") ? "small" : [...ref.keys()][0];
      const own = new Map<number, ThresholdRef>();
      const thresholds = o.psnr.map((threshold) => {
        const hit = reached.get(threshold);
        let rec: Record<string, unknown>;
        if (hit) {
          rec = {
            threshold,
            reached: true,
            extrapolated: false,
            secondsToThreshold: hit.trainSeconds,
            stepsToThreshold: hit.step,
            method: "measured (first evaluation at or above the threshold)",
          };
        } else {
          const ownSeconds = slope > 0 ? last.trainSeconds + (threshold - last.psnr) / slope : null;
          rec = {
            threshold,
            reached: false,
            extrapolated: true,
            dbPerMinute: slope * 60,
            ownRateSeconds: ownSeconds,
            ownRateMethod,
          };
          const r = refName === undefined ? undefined : ref.get(refName)!.get(threshold);
          if (isPaper && r) {
            const steps = r.stepsToThreshold;
            rec = {
              ...rec,
              secondsToThreshold: steps * train.secondsPerConfiguredStep,
              stepsToThreshold: steps,
              method: `steps the ${refName === "small" ? "small" : "first"} preset needed${
                r.extrapolated ? " (itself extrapolated)" : ""
              } (${steps}) x PAPER's seconds per step at its configured ${configuredRays} rays (${
                train.secondsPerConfiguredStep.toFixed(1)
              } s, from ${rays} rays, linear in rays)`,
            };
          } else {
            rec = {
              ...rec,
              secondsToThreshold: ownSeconds,
              stepsToThreshold: ownSeconds === null ? null : Math.round(ownSeconds / secondsPerStep),
              method: ownRateMethod,
            };
          }
        }
        if (typeof rec.secondsToThreshold === "number" && typeof rec.stepsToThreshold === "number") {
          own.set(threshold, {
            secondsToThreshold: rec.secondsToThreshold,
            stepsToThreshold: rec.stepsToThreshold,
            extrapolated: !hit,
          });
        }
        return rec;
      });
      ref.set(name, own);
      const psnr = {
        thresholds,
        finalPsnr: last.psnr,
        trainSeconds,
        steps: trainer.step,
        evalPixels: evaluator.ids ? evaluator.ids.length : "full frames",
        evals,
      };

      // 3. Render timings (1 vs 2 threads) at the dataset's size and twice it, with the trainer's
      // empty-space skipping (its grid built once from the trained field, timed apart), and plain.
      const setup = trainer.scene.setup;
      const tg = performance.now();
      const skip = trainer.scene.renderSkip();
      const gridSeconds = (performance.now() - tg) / 1000;
      const meta = evalFrames[0];
      const codes = trainer.scene.frameCodes(meta.c2w, { features: ds.audio!, index: meta.audId });
      const crop = o.quick ? o.cropRays : isPaper ? o.cropRays : null;
      const render: Record<string, RenderTiming> = {};
      for (const factor of [1, 2]) {
        const s = factor === 1 ? setup : scaledSetup(setup, factor);
        renderer.setParams();
        const r = await timeRender(trainer, renderer, s, codes, crop, mem, skip);
        render[`${s.intrinsics.width}x${s.intrinsics.height}`] = r;
        log(
          `${name}: render ${r.width}x${r.height}: ${r.secondsPerFrame1.toFixed(2)} s/frame on 1 thread, ` +
            `${r.secondsPerFrame2.toFixed(2)} s on ${r.threads} (x${r.speedup.toFixed(2)})${
              r.extrapolated ? ` (from ${r.raysTimed} rays)` : ""
            }, max diff ${r.maxAbsDiff}`,
        );
      }

      // 4. Empty-space skipping on the trained model (what rendering uses): grid, PSNR and time vs plain.
      let grid: Record<string, unknown> | null = null;
      if (skip) {
        const ev = await Evaluator.create(trainer, evalFrames, stride ?? 1, renderer);
        const plain = await ev.psnr({}); // stride 1: this thread, like the skipping render
        const skipped = await ev.psnr({ skip });
        mem.sample();
        const kc = config.points.numCoarse + config.points.numFine;
        const layers = config.architecture === "twoNerf" ? 2 : 1;
        grid = {
          sampling: skip.sampling,
          resolution: skip.grid.resolution,
          secondsToBuild: gridSeconds,
          fractionOccupied: skip.grid.fractionOccupied(),
          samplesEvaluatedFraction: skipped.samples / (skipped.rays * kc * layers),
          psnrWithout: plain.psnr,
          psnrWith: skipped.psnr,
          secondsWithout: plain.seconds,
          secondsWith: skipped.seconds,
          speedup: plain.seconds / skipped.seconds,
          pixels: ev.ids ? ev.ids.length * evalFrames.length : "full frames",
        };
        log(
          `${name}: empty-space skipping (${skip.sampling}, grid ${skip.grid.resolution}^3 built in ${
            gridSeconds.toFixed(2)
          } s): ${(100 * skip.grid.fractionOccupied()).toFixed(1)}% occupied, ${
            (100 * (grid.samplesEvaluatedFraction as number)).toFixed(1)
          }% of the samples evaluated, render x${(plain.seconds / skipped.seconds).toFixed(2)}, PSNR ${
            plain.psnr.toFixed(2)
          } -> ${skipped.psnr.toFixed(2)} dB`,
        );
      }
      return {
        config: configSummary(config),
        train,
        render,
        psnr,
        grid,
        memory: { maxTfBytes: mem.tfBytes, maxRssBytes: mem.rssBytes },
      };
    } finally {
      renderer.dispose();
    }
  } finally {
    trainer.dispose();
  }
}

/** `--psnr`: one or more thresholds in dB, comma-separated; ascending, without repeats. */
export function thresholdList(text: string): number[] {
  const xs = text.split(",").map((x) => x.trim()).filter(Boolean).map(Number);
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0)) {
    throw new Error(
      `--psnr must list one or more thresholds in dB > 0, comma-separated: got ${JSON.stringify(text)}`,
    );
  }
  return [...new Set(xs)].sort((x, y) => x - y);
}

function fmt(x: unknown, digits = 1): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "-";
}

/** The markdown table of a bench result. */
export function benchTable(
  result: { presets: Record<string, PresetResult>; psnrThresholds: readonly number[] },
): string {
  const sizes = [...new Set(Object.values(result.presets).flatMap((p) => Object.keys(p.render)))];
  const head = [
    "preset",
    "rays/step",
    "ms/step",
    "rays/s",
    "points/s",
    "GFLOP/s (matMul)",
    ...sizes.map((s) => `fps ${s} 1 thr / 2 thr (plain 1 thr)`),
    ...result.psnrThresholds.map((t) => `time to ${t} dB (steps)`),
    "final PSNR",
    "skipping: grid occupied, samples evaluated, render x (PSNR change)",
    "peak tf / rss MB",
  ];
  const rows = Object.entries(result.presets).map(([name, p]) => {
    const t = p.train as Record<string, number>;
    const ps = p.psnr as Record<string, unknown>;
    const g = p.grid as Record<string, number> | null;
    const times = (ps.thresholds as Record<string, unknown>[]).map((th) =>
      typeof th.secondsToThreshold === "number"
        ? `${fmt(th.secondsToThreshold, 0)} s (${fmt(th.stepsToThreshold, 0)})${
          th.extrapolated ? " extrapolated" : ""
        }`
        : "not reached, no gain"
    );
    return [
      name,
      String(t.raysPerStep),
      fmt(t.stepMsMedian, 0),
      fmt(t.raysPerSec, 0),
      fmt(t.pointsPerSec, 0),
      `${fmt(t.gflopsAchieved, 2)} (${fmt(t.matmul1024Gflops)})`,
      ...sizes.map((s) => {
        const r = p.render[s];
        return r
          ? `${fmt(r.fps1, 2)} / ${fmt(r.fps2, 2)} (plain ${fmt(1 / r.secondsPerFramePlain, 2)})${
            r.extrapolated ? "*" : ""
          }`
          : "-";
      }),
      ...times,
      `${fmt(ps.finalPsnr, 2)}${ps.evalPixels === "full frames" ? "" : "*"}`,
      g
        ? `${fmt(100 * g.fractionOccupied)}%, ${fmt(100 * g.samplesEvaluatedFraction)}%, x${
          fmt(g.speedup, 2)
        } (${fmt(g.psnrWith - g.psnrWithout, 2)} dB)`
        : "-",
      `${fmt(p.memory.maxTfBytes / 1e6, 0)} / ${fmt(p.memory.maxRssBytes / 1e6, 0)}`,
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n") +
    "\n\n* extrapolated from a crop (render) or measured on a strided pixel subset (PSNR).";
}

if (import.meta.main) {
  await runMain(async () => {
    const a = parseCli(Deno.args, {
      data: { type: "string", default: "fixtures/synthetic_portrait", help: "dataset folder" },
      presets: { type: "string", default: "small,triplane,demo,paper", help: "comma-separated presets" },
      psnr: {
        type: "string",
        default: "26,30",
        help:
          "held-out PSNR thresholds, dB, comma-separated: training goes on until the highest or the budget",
      },
      budget: { type: "string", default: "300", help: "training seconds per preset (small, triplane)" },
      "paper-budget": { type: "string", default: "120", help: "training seconds for the paper preset" },
      "paper-rays": {
        type: "string",
        default: "64",
        help: "rays per step of the paper preset (its 2048 overflow the wasm heap)",
      },
      "eval-every": { type: "string", default: "30", help: "training seconds between evaluations" },
      warmup: { type: "string", default: "2", help: "training steps before timing" },
      steps: { type: "string", default: "5", help: "timed training steps (median)" },
      "crop-rays": {
        type: "string",
        default: "512",
        help: "rays timed for frames extrapolated from a crop (paper)",
      },
      workers: {
        type: "string",
        default: "1",
        help: "worker threads of the parallel render (plus this one)",
      },
      grid: {
        type: "string",
        default: "32",
        help: "resolution of the rendering's empty-space grid (0 = render every sample)",
      },
      quick: {
        type: "boolean",
        default: false,
        help: "smoke run: tiny budgets and batches, same JSON shape",
      },
      out: { type: "string", default: "runs/bench/bench.json", help: "result file" },
      ...BACKEND_FLAGS,
      threads: {
        type: "string",
        default: "1,2",
        help: "thread counts of the training-threads comparison on the demo config (empty: skip it)",
      },
      "thread-warmup": {
        type: "string",
        default: "150",
        help: "steps per thread count before the threads comparison times (V8 optimises the code meanwhile)",
      },
      "thread-steps": { type: "string", default: "20", help: "steps per round of the threads comparison" },
      "thread-rounds": { type: "string", default: "3", help: "rounds of the threads comparison" },
    }, USAGE);
    const num = (k: string, v: string | undefined) => {
      const x = Number(v);
      if (!Number.isFinite(x) || x < 0) throw new Error(`--${k} must be a number >= 0: got ${v}`);
      return x;
    };
    const quick = a.quick;
    const o: BenchOptions = {
      data: a.data!,
      presets: a.presets!.split(",").map((s) => s.trim()).filter(Boolean),
      psnr: thresholdList(a.psnr!),
      budget: quick ? 1 : num("budget", a.budget),
      paperBudget: quick ? 1 : num("paper-budget", a["paper-budget"]),
      paperRays: Math.max(1, Math.round(num("paper-rays", a["paper-rays"]))),
      evalEvery: quick ? 0.5 : num("eval-every", a["eval-every"]),
      warmup: quick ? 1 : Math.round(num("warmup", a.warmup)),
      steps: quick ? 2 : Math.max(1, Math.round(num("steps", a.steps))),
      cropRays: quick ? 16 : Math.max(2, Math.round(num("crop-rays", a["crop-rays"]))),
      workers: Math.round(num("workers", a.workers)),
      grid: quick ? 4 : Math.round(num("grid", a.grid)),
      quick,
      out: a.out!,
      threads: a.threads!.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n < 1) {
          throw new Error(`--threads must list integers >= 1: got ${a.threads}`);
        }
        return n;
      }),
      threadWarmup: quick ? 1 : Math.max(0, Math.round(num("thread-warmup", a["thread-warmup"]))),
      threadSteps: quick ? 2 : Math.max(1, Math.round(num("thread-steps", a["thread-steps"]))),
      threadRounds: quick ? 1 : Math.max(1, Math.round(num("thread-rounds", a["thread-rounds"]))),
    };
    const backend = await initBackend({ ...backendOptions(a), log: null });
    const ds = await loadDataset(o.data);
    const log = (s: string) => console.error(s);
    const loadBefore = loadAverage();
    const t0 = performance.now();
    const matmul = matmulGflops(1024, quick ? 1 : 5);
    log(
      `bench on ${o.data} (${ds.intrinsics.width}x${ds.intrinsics.height}), ${backend.description}, ` +
        `load ${loadBefore.join(" ")}, matMul 1024: ${matmul.gflops.toFixed(1)} GFLOP/s`,
    );
    // Training threads first: the presets' renders below leave wasm heaps grown.
    const threads = o.threads.length > 0
      ? await benchThreads(ds, {
        threads: o.threads,
        warmup: o.threadWarmup,
        steps: o.threadSteps,
        rounds: o.threadRounds,
        raysPerStep: quick ? 32 : undefined,
      }, log)
      : null;
    const presets: Record<string, PresetResult> = {};
    const ref = new Map<string, Map<number, ThresholdRef>>();
    // PAPER last: it extrapolates from the others, and its wasm heap growth stays for the rest of the run.
    const order = [...o.presets.filter((p) => p !== "paper"), ...o.presets.filter((p) => p === "paper")];
    for (const name of order) presets[name] = await benchPreset(name, ds, o, ref, log);
    const result = {
      format: "ssp-bench/1",
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      backend: backend.description,
      cpus: navigator.hardwareConcurrency,
      loadAverage: { before: loadBefore, after: loadAverage() },
      dataset: { root: o.data, width: ds.intrinsics.width, height: ds.intrinsics.height },
      options: o,
      psnrThresholds: o.psnr,
      matmul1024: matmul,
      wallSeconds: (performance.now() - t0) / 1000,
      presets,
      threads,
      memory: {
        maxTfBytes: Math.max(0, ...Object.values(presets).map((p) => p.memory.maxTfBytes)),
        maxRssBytes: Math.max(0, ...Object.values(presets).map((p) => p.memory.maxRssBytes)),
      },
    };
    const table = benchTable(result) + (threads ? `\n\n${threadTable(threads)}` : "");
    await Deno.mkdir(join(o.out, ".."), { recursive: true });
    await writeFileAtomic(o.out, JSON.stringify({ ...result, table }, null, 1));
    console.log(table);
    console.log(
      `\nwritten ${o.out} (${result.wallSeconds.toFixed(0)} s, load ${result.loadAverage.after.join(" ")})`,
    );
  });
}
