/**
 * GPU check: prints the WebGPU adapter, runs the webgpu-vs-wasm parity scenarios, times training steps and
 * frame renders on both backends, and writes everything as JSON.
 *
 *   deno run -A tools/gpu_check.ts [--out gpu_check.json] [--dataset DIR] [--size 512] [--steps 5]
 *     [--frames 1] [--skip-timing] [--require-gpu]
 *
 * tfjs keeps one backend per process in practice (tensors, variables and registered kernels belong to it),
 * so every scenario runs in its own `deno run` subprocess (this file with `--scenario NAME --backend B`)
 * that prints one JSON line; this process compares them. Scenarios:
 * - `kernels`: the tri-plane grid lookup (values, table and position gradients), the positional encoding
 *   (tensor op with gradient, and of CPU data), matMulT and addRows with their gradients, transpose2d, the
 *   torso deformation with motion "rigid" (offsets and parameter gradients).
 * - `field:<preset>`: a field of the preset (tiny: MLP, triplane: grid) on 4096 points: outputs, the
 *   gradient of every parameter, and the outputs after one Adam step.
 * - `trainer:<preset>`: `Trainer.create` on the fixture, one `trainStep`, one `renderDatasetFrame`.
 * - `render:<preset>`: one frame of the fixture rendered by `Scene.renderDatasetFrameAsync` with the
 *   preset's initial weights (audio smoothing on; the preset's empty-space skipping, its render grid
 *   built from 2 frames, and importance samples included): rgb, depth, accumulation, and the parsing map
 *   (compared as class agreement).
 * - `timing-render:<preset>`: `Scene.renderDatasetFrameAsync` at the dataset's size (e.g. a 512 px fixture).
 * - `timing-field:<preset>`: the field's compute of a training step (rays x samples points) and of a
 *   size x size frame, without the Trainer's CPU-side work.
 * - `timing:<preset>`: Trainer steps and frame renders on a dataset (e.g. a 512 px fixture).
 * Every scenario runs its work twice and reports `tf.memory().numTensors` after each (flat = no leak).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, describeGpuAdapter, initBackend } from "../lib/backend/mod.ts";
import { override, PRESETS } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { positionalEncoding, positionalEncodingJs, positionalEncodingOf } from "../lib/encoding/mod.ts";
import { createField, type GridLevel, gridLevels, triplaneLookup } from "../lib/field/mod.ts";
import { DeformationField3d } from "../lib/torso/mod.ts";
import { encodedDim } from "../lib/encoding/mod.ts";
import { addRows, matMulT, transpose2d } from "../lib/nn/matmul.ts";
import { createRng } from "../lib/nn/rng.ts";
import { Scene } from "../lib/render/mod.ts";
import { Trainer } from "../lib/train/mod.ts";
import { writeFileAtomic } from "../lib/io/atomic.ts";

/** Named outputs of a scenario, flattened. */
export type Outputs = Record<string, number[]>;

/** What a scenario subprocess prints. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly backend: string;
  readonly adapter?: string;
  readonly outputs: Outputs;
  /** `tf.memory().numTensors` after the first and after the second run of the work. */
  readonly tensorCounts: [number, number];
  readonly timings?: Record<string, number>;
  /** Class maps (e.g. a frame's parsing), compared as the fraction of pixels with the same class. */
  readonly classMaps?: Record<string, number[]>;
}

/** Per output: the largest difference relative to the reference's scale, max|a - b| / max|b|. */
export interface Comparison {
  readonly output: string;
  readonly maxRelDiff: number;
  readonly maxAbsDiff: number;
  readonly size: number;
}

/** Largest relative difference per output allowed between webgpu and wasm (tests/webgpu_parity_test.ts). */
export const PARITY_TOLERANCE = 1e-4;

/** The default fixture: the committed 128 px synthetic portrait. */
export const FIXTURE = new URL("../fixtures/synthetic_portrait", import.meta.url).pathname;

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data() as Float32Array);
}

/** Grid lookup, encodings and matmul helpers on fixed inputs. */
async function kernels(): Promise<Outputs> {
  const out: Outputs = {};
  // Power-of-two resolutions (16..128): the cell choice is then exact in float32 on every backend (the
  // JS kernel computes it in float64), so even the position gradient must agree. The last two levels
  // are hashed (129^2 vertices > 2^12 rows).
  const levels: GridLevel[] = gridLevels({
    levels: 4,
    baseResolution: 16,
    maxResolution: 128,
    log2HashSize: 12,
  });
  const F = 2, n = 8192, L = levels.length, D = 3 * L * F;
  const tables = Array.from(
    { length: 3 * L },
    (_, k) => tf.tensor2d(uniform(levels[k % L].tableSize * F, -1, 1, 100 + k), [levels[k % L].tableSize, F]),
  );
  const xyz = tf.tensor2d(uniform(3 * n, -1.1, 1.1, 1), [n, 3]);
  const r = tf.tensor2d(uniform(n * D, -1, 1, 2), [n, D]);
  const lookup = triplaneLookup(xyz, tables, levels);
  out["grid.values"] = await values(lookup);
  const grads = tf.grads((x: tf.Tensor, ...ts: tf.Tensor[]) =>
    tf.sum(tf.mul(triplaneLookup(x as tf.Tensor2D, ts as tf.Tensor2D[], levels), r))
  )([xyz, ...tables]);
  out["grid.dxyz"] = await values(grads[0]);
  for (let k = 1; k < grads.length; k++) out[`grid.dtable${k - 1}`] = await values(grads[k]);

  const m = 4096;
  const pts = uniform(3 * m, -1.5, 1.5, 3);
  const x = tf.tensor2d(pts, [m, 3]);
  const pe = positionalEncoding(x, 10);
  out["pe.values"] = await values(pe);
  const rPe = tf.tensor2d(uniform(m * encodedDim(3, 10), -1, 1, 4), [m, encodedDim(3, 10)]);
  const dPe = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(positionalEncoding(t as tf.Tensor2D, 10), rPe)))(x);
  out["pe.dx"] = await values(dPe);
  const peOf = positionalEncodingOf(pts, 3, 10);
  out["pe.of"] = await values(peOf);
  // The JS twin itself, as a fixed reference every backend must match.
  out["pe.js"] = Array.from(positionalEncodingJs(pts, 3, 10));

  const a = tf.tensor2d(uniform(m * 64, -1, 1, 5), [m, 64]);
  const b = tf.tensor2d(uniform(64 * 32, -1, 1, 6), [64, 32]);
  const v = tf.tensor1d(uniform(32, -1, 1, 7));
  const rMm = tf.tensor2d(uniform(m * 32, -1, 1, 8), [m, 32]);
  const mm = tf.grads((p: tf.Tensor, q: tf.Tensor, c: tf.Tensor) =>
    tf.sum(tf.mul(addRows(matMulT(p as tf.Tensor2D, q as tf.Tensor2D), c), rMm))
  );
  const [da, db, dv] = mm([a, b, v]);
  const y = tf.tidy(() => addRows(matMulT(a, b), v));
  out["matmul.values"] = await values(y);
  out["matmul.da"] = await values(da);
  out["matmul.db"] = await values(db);
  out["addRows.dv"] = await values(dv);
  const tt = transpose2d(a);
  out["transpose2d"] = await values(tt);
  tf.dispose([
    ...tables,
    xyz,
    r,
    lookup,
    ...grads,
    x,
    pe,
    rPe,
    dPe,
    peOf,
    a,
    b,
    v,
    rMm,
    da,
    db,
    dv,
    y,
    tt,
  ]);

  // The 3-D torso deformation with motion "rigid" (Rodrigues, gate, residual) on perturbed weights: offsets
  // and the gradient of every parameter.
  const deform = new DeformationField3d("kernels.rigid", 6, {
    width: 16,
    depth: 2,
    seed: 3,
    motion: "rigid",
  });
  let k = 200;
  for (const p of deform.params.values()) {
    tf.tidy(() => p.assign(tf.tensor(uniform(p.size, -0.5, 0.5, k++), p.shape)));
  }
  const dPts = tf.tensor2d(uniform(3 * m, -1, 1, 9), [m, 3]);
  const dPose = tf.tensor2d([[0.1, -0.2, 0.3, 0.05, 0, -0.1]]);
  const rD = tf.tensor2d(uniform(3 * m, -1, 1, 10), [m, 3]);
  const dx = deform.apply(dPts, dPose);
  out["rigid.dx"] = await values(dx);
  const { value: dValue, grads: dGrads } = tf.variableGrads(
    () => tf.sum(tf.mul(deform.apply(dPts, dPose), rD)) as tf.Scalar,
    [...deform.params.values()],
  );
  for (const [key, p] of deform.params) {
    out[`rigid.d${key.slice("kernels.rigid.".length)}`] = await values(dGrads[p.name]);
  }
  tf.dispose([dPts, dPose, rD, dx, dValue, ...Object.values(dGrads)]);
  deform.dispose();
  return out;
}

/** One preset's coarse field on 4096 points: outputs, parameter gradients, outputs after an Adam step. */
async function fieldStep(preset: string): Promise<Outputs> {
  const config = PRESETS[preset];
  if (!config) throw new Error(`gpu_check: unknown preset ${preset}`);
  const f = config.field;
  const numClasses = 5;
  const dims = {
    posDim: f.kind === "mlp" ? encodedDim(3, f.posFreqs) : 0,
    dirDim: f.viewDirs ? encodedDim(3, f.dirFreqs) : 0,
    audDim: config.audio.dimAud,
    numClasses,
  };
  const field = createField("coarse", f, dims, 7);
  const n = 4096;
  const pts = uniform(3 * n, -1, 1, 11);
  const dirs = uniform(3 * n, -1, 1, 12);
  const out: Outputs = {};
  const xyz = tf.tensor2d(pts, [n, 3]);
  const pos = dims.posDim > 0 ? positionalEncodingOf(pts, 3, f.kind === "mlp" ? f.posFreqs : 0) : undefined;
  const dir = dims.dirDim > 0 ? positionalEncodingOf(dirs, 3, f.dirFreqs) : undefined;
  const aud = tf.tensor2d(uniform(dims.audDim, -1, 1, 13), [1, dims.audDim]);
  const targetRgb = tf.tensor2d(uniform(3 * n, 0, 1, 14), [n, 3]);
  const labels = tf.tidy(() =>
    tf.oneHot(tf.tensor1d(Int32Array.from({ length: n }, (_, i) => i % numClasses), "int32"), numClasses)
  );
  const params = [...field.params.values()];
  const loss = () => {
    const o = field.apply({ xyz, pos, dir, aud });
    const rgb = tf.mean(tf.squaredDifference(o.rgb, targetRgb));
    const sigma = tf.mul(tf.mean(tf.square(o.sigma)), 1e-3);
    const sem = o.semanticLogits ? tf.losses.softmaxCrossEntropy(labels, o.semanticLogits) : tf.scalar(0);
    return tf.addN([rgb, sigma, sem]) as tf.Scalar;
  };
  const before = field.apply({ xyz, pos, dir, aud });
  out["sigma"] = await values(before.sigma);
  out["rgb"] = await values(before.rgb);
  if (before.semanticLogits) out["semanticLogits"] = await values(before.semanticLogits);
  const { value, grads } = tf.variableGrads(loss, params);
  out["loss"] = await values(value);
  for (const p of params) out[`grad.${p.name}`] = await values(grads[p.name]);
  const opt = tf.train.adam(1e-3);
  opt.applyGradients(grads as tf.NamedTensorMap as never);
  const after = field.apply({ xyz, pos, dir, aud });
  out["sigma.afterStep"] = await values(after.sigma);
  out["rgb.afterStep"] = await values(after.rgb);
  opt.dispose();
  const outs = [before, after].flatMap((o) => [o.sigma, o.rgb, o.semanticLogits]);
  tf.dispose(
    [xyz, pos, dir, aud, targetRgb, labels, value, grads, ...outs, ...params].filter((t) =>
      t
    ) as tf.TensorContainer[],
  );
  return out;
}

/** One frame of the fixture rendered with asynchronous reads by a Scene with the preset's initial weights. */
async function renderScenario(
  preset: string,
  dataset: string,
): Promise<{ outputs: Outputs; classMaps: Record<string, number[]> }> {
  if (!PRESETS[preset]) throw new Error(`gpu_check: unknown preset ${preset}`);
  // A render grid from 2 frames instead of the preset's 16: the same code, an eighth of the density
  // queries (the software GPU of CI runs them at CPU speed).
  const config = override(PRESETS[preset], { render: { emptySpace: { frames: 2 } } } as never);
  const ds = await loadDataset(dataset);
  const scene = Scene.create(ds, config);
  try {
    scene.step = Math.max(1, config.audio.smoothing.startStep); // audio smoothing on, as after training
    const frame = await scene.renderDatasetFrameAsync(ds.val[0] ?? ds.train[0]);
    return {
      outputs: {
        "frame.rgb": Array.from(frame.rgb),
        "frame.depth": Array.from(frame.depth),
        "frame.accumulation": Array.from(frame.accumulation),
      },
      classMaps: frame.parsing ? { "frame.parsing": Array.from(frame.parsing) } : {},
    };
  } finally {
    scene.dispose();
  }
}

/** Mean ms of `frames` frame renders by `Scene.renderDatasetFrameAsync` (after one warm-up). */
async function timingRender(preset: string, dataset: string, frames: number) {
  const config = PRESETS[preset];
  if (!config) throw new Error(`gpu_check: unknown preset ${preset}`);
  const ds = await loadDataset(dataset);
  const scene = Scene.create(ds, config);
  try {
    const meta = ds.val[0] ?? ds.train[0];
    let t0 = performance.now();
    await scene.renderDatasetFrameAsync(meta); // builds the render grid where the preset has one
    const firstMs = performance.now() - t0;
    t0 = performance.now();
    for (let f = 0; f < frames; f++) await scene.renderDatasetFrameAsync(meta);
    const frameMs = (performance.now() - t0) / frames;
    return { firstMs, frameMs, width: ds.intrinsics.width, height: ds.intrinsics.height, frames };
  } finally {
    scene.dispose();
  }
}

/**
 * One training step and one frame render through the public Trainer API, on the fixture: the frame before
 * the step and the step's loss terms (sampling, both passes, every loss, read back asynchronously on
 * webgpu). Not the parameters after the step: Adam's first update is lr * g / (|g| + eps), about lr *
 * sign(g), so a parameter whose true gradient is zero moves by +-lr with the sign of its rounding noise,
 * which differs between backends (measured on lavapipe: zero-initialised biases of tiny 2.0 apart in
 * relative terms after one step, the frame after it 0.13, while the losses and the frame before agree to
 * 1e-6). The gradients themselves are compared in the `field:<preset>` scenarios.
 */
async function trainerStep(preset: string, dataset: string): Promise<Outputs> {
  const config = override(PRESETS[preset], { train: { seed: 3 } } as never);
  const ds = await loadDataset(dataset);
  const trainer = Trainer.create(ds, config);
  try {
    const out: Outputs = {};
    const frame = await trainer.scene.renderDatasetFrameAsync(ds.val[0] ?? ds.train[0]);
    out["frame.rgb"] = Array.from(frame.rgb);
    const log = await trainer.trainStep();
    for (const [k, v] of Object.entries(log.losses)) out[`loss.${k}`] = [v];
    return out;
  } finally {
    trainer.dispose();
  }
}

/** Mean ms of `steps` training steps and `frames` frame renders (after one warm-up of each). */
async function timing(preset: string, dataset: string, steps: number, frames: number) {
  const ds = await loadDataset(dataset);
  const trainer = Trainer.create(ds, PRESETS[preset]);
  await trainer.trainStep();
  let t0 = performance.now();
  for (let s = 0; s < steps; s++) await trainer.trainStep();
  const stepMs = (performance.now() - t0) / steps;
  const meta = ds.val[0] ?? ds.train[0];
  await trainer.scene.renderDatasetFrameAsync(meta);
  t0 = performance.now();
  for (let f = 0; f < frames; f++) await trainer.scene.renderDatasetFrameAsync(meta);
  const frameMs = (performance.now() - t0) / frames;
  trainer.dispose();
  return { stepMs, frameMs, width: ds.intrinsics.width, height: ds.intrinsics.height, steps, frames };
}

/**
 * The compute of a training step and of a frame render, without the Trainer's CPU-side work: the preset's
 * coarse field trained on rays x samples points (forward, backward, Adam; the loss read with `await`
 * each step), and evaluated on size^2 x samples points in chunks of `render.chunk` x samples (each chunk's
 * rgb read with `await`, as a frame render needs its pixels). Runs where the Trainer cannot yet (webgpu).
 */
async function timingField(preset: string, size: number, steps: number, frames: number) {
  const config = PRESETS[preset];
  if (!config) throw new Error(`gpu_check: unknown preset ${preset}`);
  const f = config.field;
  const dims = {
    posDim: f.kind === "mlp" ? encodedDim(3, f.posFreqs) : 0,
    dirDim: f.viewDirs ? encodedDim(3, f.dirFreqs) : 0,
    audDim: config.audio.dimAud,
    numClasses: 12,
  };
  const field = createField("coarse", f, dims, 7);
  const k = config.points.numCoarse + config.points.numFine;
  const posFreqs = f.kind === "mlp" ? f.posFreqs : 0;
  const aud = tf.tensor2d(uniform(dims.audDim, -1, 1, 13), [1, dims.audDim]);
  const inputs = (n: number, seed: number) => {
    const pts = uniform(3 * n, -1, 1, seed);
    return {
      xyz: tf.tensor2d(pts, [n, 3]),
      pos: dims.posDim > 0 ? positionalEncodingOf(pts, 3, posFreqs) : undefined,
      dir: dims.dirDim > 0 ? positionalEncodingOf(uniform(3 * n, -1, 1, seed + 1), 3, f.dirFreqs) : undefined,
      aud,
    };
  };
  const stepPoints = config.train.raysPerStep * k;
  const batch = inputs(stepPoints, 21);
  const target = tf.tensor2d(uniform(3 * stepPoints, 0, 1, 22), [stepPoints, 3]);
  const opt = tf.train.adam(1e-3);
  const params = [...field.params.values()];
  const step = async () => {
    const loss = opt.minimize(
      () => {
        const o = field.apply(batch);
        return tf.add(
          tf.mean(tf.squaredDifference(o.rgb, target)),
          tf.mul(tf.mean(o.sigma), 1e-4),
        ) as tf.Scalar;
      },
      true,
      params,
    );
    await loss!.data();
    loss!.dispose();
  };
  await step();
  let t0 = performance.now();
  for (let s = 0; s < steps; s++) await step();
  const stepMs = (performance.now() - t0) / steps;
  const chunkPoints = config.render.chunk * k;
  const chunk = inputs(chunkPoints, 31);
  const frameRays = size * size;
  const renderFrame = async () => {
    for (let r = 0; r < frameRays; r += config.render.chunk) {
      const rgb = tf.tidy(() => field.apply(chunk).rgb);
      await rgb.data();
      rgb.dispose();
    }
  };
  await renderFrame();
  t0 = performance.now();
  for (let i = 0; i < frames; i++) await renderFrame();
  const frameMs = (performance.now() - t0) / frames;
  opt.dispose();
  tf.dispose([aud, target, ...Object.values(batch), ...Object.values(chunk), ...params] as tf.Tensor[]);
  return { stepMs, stepPoints, frameMs, framePoints: frameRays * k, size, steps, frames };
}

/**
 * Runs one scenario in this process on `backend` (twice, counting tensors) and returns its result.
 * @param scenario "kernels", "field:<preset>", "trainer:<preset>", "render:<preset>", "timing:<preset>",
 *   "timing-field:<preset>" or "timing-render:<preset>".
 * @param backend The tfjs backend.
 * @param opts Dataset folder, step and frame counts for the trainer and timing scenarios.
 * @returns Outputs and tensor counts.
 */
export async function runScenario(
  scenario: string,
  backend: BackendName,
  opts: { dataset?: string; steps?: number; frames?: number; size?: number; requireGpu?: boolean } = {},
): Promise<ScenarioResult> {
  const info = await initBackend({ backend, requireGpu: opts.requireGpu, log: null });
  if (info.name !== backend) throw new Error(`gpu_check: ${backend} did not start: ${info.fallbackReason}`);
  const [kind, preset] = scenario.split(":");
  const dataset = opts.dataset ?? FIXTURE;
  const once = async (): Promise<
    { outputs: Outputs; timings?: Record<string, number>; classMaps?: Record<string, number[]> }
  > => {
    if (kind === "kernels") return { outputs: await kernels() };
    if (kind === "render") return await renderScenario(preset, dataset);
    if (kind === "timing-render") {
      return { outputs: {}, timings: await timingRender(preset, dataset, opts.frames ?? 2) };
    }
    if (kind === "field") return { outputs: await fieldStep(preset) };
    if (kind === "trainer") return { outputs: await trainerStep(preset, dataset) };
    if (kind === "timing-field") {
      return {
        outputs: {},
        timings: await timingField(preset, opts.size ?? 512, opts.steps ?? 5, opts.frames ?? 1),
      };
    }
    if (kind === "timing") {
      const t = await timing(preset, dataset, opts.steps ?? 5, opts.frames ?? 2);
      return { outputs: {}, timings: t };
    }
    throw new Error(`gpu_check: unknown scenario ${scenario}`);
  };
  const first = await once();
  const c1 = tf.memory().numTensors;
  const timed = kind.startsWith("timing");
  const second = timed ? first : await once();
  const c2 = timed ? c1 : tf.memory().numTensors;
  return {
    scenario,
    backend,
    adapter: info.adapter ? info.description : undefined,
    outputs: second.outputs,
    tensorCounts: [c1, c2],
    timings: second.timings,
    classMaps: second.classMaps,
  };
}

/**
 * Compares two scenario results output by output.
 * @param got The backend under test.
 * @param want The reference backend.
 * @returns One comparison per output of `want` (a missing or resized output throws).
 */
export function compareResults(got: ScenarioResult, want: ScenarioResult): Comparison[] {
  return Object.entries(want.outputs).map(([name, w]) => {
    const g = got.outputs[name];
    if (!g || g.length !== w.length) {
      throw new Error(
        `${got.scenario}: output ${name} has ${g?.length} values on ${got.backend}, ${w.length} on ${want.backend}`,
      );
    }
    let maxAbs = 0, scale = 0;
    for (let i = 0; i < w.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(g[i] - w[i]));
      scale = Math.max(scale, Math.abs(w[i]));
    }
    return {
      output: name,
      maxAbsDiff: maxAbs,
      maxRelDiff: scale > 0 ? maxAbs / scale : maxAbs,
      size: w.length,
    };
  });
}

/** Class agreement of one class map of two results. */
export interface ClassComparison {
  readonly output: string;
  /** Fraction of entries with the same class on both backends. */
  readonly agreement: number;
  readonly size: number;
}

/**
 * Compares the class maps of two scenario results (argmax outputs: a near-tie may flip a pixel).
 * @param got The backend under test.
 * @param want The reference backend.
 * @returns One comparison per class map of `want` (a missing or resized one throws).
 */
export function compareClassMaps(got: ScenarioResult, want: ScenarioResult): ClassComparison[] {
  return Object.entries(want.classMaps ?? {}).map(([name, w]) => {
    const g = got.classMaps?.[name];
    if (!g || g.length !== w.length) {
      throw new Error(
        `${got.scenario}: class map ${name} has ${g?.length} values on ${got.backend}, ${w.length} on ${want.backend}`,
      );
    }
    const same = w.filter((c, i) => c === g[i]).length;
    return { output: name, agreement: same / Math.max(1, w.length), size: w.length };
  });
}

/**
 * Runs a scenario in a fresh `deno run` subprocess (one tfjs backend per process) and parses its JSON.
 * @param scenario See {@linkcode runScenario}.
 * @param backend The backend of the subprocess.
 * @param extra More flags for the subprocess (e.g. `--dataset DIR`).
 * @returns The subprocess's result.
 */
export async function runScenarioProcess(
  scenario: string,
  backend: BackendName,
  extra: string[] = [],
): Promise<ScenarioResult> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--scenario",
      scenario,
      "--backend",
      backend,
      ...extra,
    ],
    stdout: "piped",
    stderr: "piped",
    env: gpuEnv(),
  });
  const { code, stdout, stderr } = await cmd.output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(
      `gpu_check --scenario ${scenario} --backend ${backend} exited ${code}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
  const line = text.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as ScenarioResult;
}

/** Environment for GPU subprocesses: Mesa wants an XDG_RUNTIME_DIR (a 0700 folder) or warns on stderr. */
export function gpuEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  if (!env.XDG_RUNTIME_DIR) {
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/ssp-xdg-${Deno.uid?.() ?? "user"}`;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
  }
  return env;
}

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<void> {
  const scenario = flagValue(args, "scenario");
  const dataset = flagValue(args, "dataset");
  const steps = Number(flagValue(args, "steps") ?? 5);
  const frames = Number(flagValue(args, "frames") ?? 1);
  const size = Number(flagValue(args, "size") ?? 512);
  const requireGpu = args.includes("--require-gpu");
  if (scenario) {
    const backend = (flagValue(args, "backend") ?? "wasm") as BackendName;
    const result = await runScenario(scenario, backend, { dataset, steps, frames, size, requireGpu });
    console.log(JSON.stringify(result));
    return;
  }
  const outPath = flagValue(args, "out") ?? "gpu_check.json";
  const adapter = await describeGpuAdapter();
  console.error(
    adapter
      ? `adapter: ${adapter.description || adapter.vendor} (fallback/software: ${adapter.isFallbackAdapter})`
      : "no WebGPU adapter (install mesa-vulkan-drivers libvulkan1, or the GPU's Vulkan driver)",
  );
  if (!adapter) Deno.exit(1);
  if (requireGpu && adapter.isFallbackAdapter) {
    console.error("--require-gpu: the adapter is a software (fallback) one");
    Deno.exit(1);
  }
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    adapter,
    device: adapter.isFallbackAdapter
      ? "software GPU (correctness device: timings are not speed figures)"
      : "GPU",
    parity: {},
    timing: {},
  };
  const extra = dataset ? ["--dataset", dataset] : [];
  const scenarios = ["kernels", "field:tiny", "field:triplane", "render:tiny", "render:triplane"];
  for (const s of [...scenarios, "trainer:tiny", "trainer:triplane"]) {
    try {
      const [gpu, ref] = [
        await runScenarioProcess(s, "webgpu", extra),
        await runScenarioProcess(s, "wasm", extra),
      ];
      const cmp = compareResults(gpu, ref);
      const worst = Math.max(...cmp.map((c) => c.maxRelDiff));
      const flat = gpu.tensorCounts[0] === gpu.tensorCounts[1] && ref.tensorCounts[0] === ref.tensorCounts[1];
      (report.parity as Record<string, unknown>)[s] = {
        ok: worst <= PARITY_TOLERANCE && flat,
        maxRelDiff: worst,
        tensorCounts: { webgpu: gpu.tensorCounts, wasm: ref.tensorCounts },
        outputs: Object.fromEntries(cmp.map((c) => [c.output, c.maxRelDiff])),
        classAgreement: Object.fromEntries(compareClassMaps(gpu, ref).map((c) => [c.output, c.agreement])),
      };
      console.error(`parity ${s}: max relative difference ${worst.toExponential(2)}`);
    } catch (e) {
      (report.parity as Record<string, unknown>)[s] = { error: e instanceof Error ? e.message : String(e) };
      console.error(`parity ${s}: FAILED: ${e instanceof Error ? e.message.slice(0, 400) : e}`);
    }
  }
  if (!args.includes("--skip-timing")) {
    // timing-field: the field's compute alone (runs on webgpu today); timing: the Trainer's step and frame
    // render (on webgpu only once its synchronous reads are asynchronous: an error is recorded until then).
    for (const scenario of ["timing-field:triplane", "timing-render:triplane", "timing:triplane"]) {
      for (const backend of ["webgpu", "wasm"] as BackendName[]) {
        const flags = [
          ...extra,
          "--steps",
          String(steps),
          "--frames",
          String(frames),
          "--size",
          String(size),
        ];
        const key = `${scenario}.${backend}`;
        try {
          const r = await runScenarioProcess(scenario, backend, flags);
          (report.timing as Record<string, unknown>)[key] = r.timings;
          console.error(`${key}: ${JSON.stringify(r.timings)}`);
        } catch (e) {
          (report.timing as Record<string, unknown>)[key] = {
            error: e instanceof Error ? e.message : String(e),
          };
          console.error(`${key}: FAILED: ${e instanceof Error ? e.message.slice(0, 300) : e}`);
        }
      }
    }
  }
  await writeFileAtomic(outPath, JSON.stringify(report, null, 2) + "\n");
  console.error(`wrote ${outPath}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
