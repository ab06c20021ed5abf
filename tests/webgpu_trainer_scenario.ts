/**
 * The Trainer's read-backs, run in one process on one backend (tfjs keeps one backend per process) for
 * tests/webgpu_trainer_test.ts, which compares its JSON across backends and runs:
 *
 *   deno run -A tests/webgpu_trainer_scenario.ts --backend webgpu|wasm [--deterministic-matmul]
 *
 * Prints one JSON line ({@linkcode TrainerScenarioResult}).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend/mod.ts";
import { override, TINY } from "../lib/config/mod.ts";
import { type Dataset, loadDataset } from "../lib/data/mod.ts";
import { writeTinyDataset } from "../lib/data/tiny_dataset.ts";
import { createRng } from "../lib/nn/rng.ts";
import { classSums } from "../lib/train/ssp_share_loss.ts";
import { type StepLog, Trainer } from "../lib/train/trainer.ts";

/** A run of a few steps: what it logged and where it left the trainer. */
export interface RunRecord {
  /** Each step's loss terms (with "total"). */
  readonly losses: Record<string, number>[];
  /** The semantic sampler's EMA and counts after the first step. */
  readonly ema1?: (number | null)[];
  readonly counts1?: number[];
  /** The semantic sampler's EMA and counts after the run (absent for another sampler). */
  readonly ema?: (number | null)[];
  readonly counts?: number[];
  /** FNV-1a of every parameter's float32 bits, in parameter order (bit-identity check). */
  readonly paramsHash: number;
  /** `tf.memory().numTensors` after each step (trainStep runs) or after the run (trainSteps). */
  readonly tensors: number[];
  /** `Tensor.data()` / `dataSync()` calls per step (trainStep runs only). */
  readonly dataCalls: number[];
  readonly dataSyncCalls: number[];
}

/** What the scenario prints. */
export interface TrainerScenarioResult {
  readonly backend: string;
  /** classSums on 4096 random values in 11 classes against float64 sums: max relative difference. */
  readonly classSumsMaxRel: number;
  readonly classSumsCountsOk: boolean;
  /** TINY (semantic dynamic sampler), 1024 rays, 4 `trainStep`s. */
  readonly step: RunRecord;
  /** The same 4 `trainStep`s again on a fresh trainer (how reproducible the backend itself is). */
  readonly stepAgain: RunRecord;
  /** The same config, `trainSteps(4)` twice on fresh trainers (same seed). */
  readonly pipelined: [RunRecord, RunRecord];
  /** Uniform pixel sampler: 3 `trainStep`s, and `trainSteps(3)` on a fresh trainer. */
  readonly uniformStep: RunRecord;
  readonly uniformPipelined: RunRecord;
}

/**
 * tfjs-backend-webgpu's `WEBGPU_MATMUL_PROGRAM_TYPE` for its tiled ("packed") matMul. By default a matMul
 * with a small output and an inner size >= 2000 (a weight gradient over many points) splits the inner sum
 * over workgroups that add into the output with atomics, in whatever order they finish, so the last bits
 * of a webgpu training step vary from run to run; forcing the tiled program makes it reproducible.
 */
export const MATMUL_PACKED = 3;

/** Steps of the trainStep runs. */
export const STEPS = 4;

async function paramsHash(trainer: Trainer): Promise<number> {
  let h = 2166136261;
  for (const v of trainer.model.params.values()) {
    const f = await v.data() as Float32Array;
    for (const x of new Uint32Array(f.buffer, f.byteOffset, f.length)) h = Math.imul(h ^ x, 16777619) >>> 0;
  }
  return h;
}

/** Counts `data()` and `dataSync()` calls on every tensor while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; data: number; dataSync: number }> {
  const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const data = proto.data, dataSync = proto.dataSync;
  let nData = 0, nSync = 0;
  proto.data = function (this: unknown, ...a: unknown[]) {
    nData++;
    return data.apply(this, a);
  };
  proto.dataSync = function (this: unknown, ...a: unknown[]) {
    nSync++;
    return dataSync.apply(this, a);
  };
  try {
    const value = await fn();
    return { value, data: nData, dataSync: nSync };
  } finally {
    proto.data = data;
    proto.dataSync = dataSync;
  }
}

async function record(
  trainer: Trainer,
  first: ReturnType<Trainer["state"]>["sampler"],
  logs: StepLog[],
  tensors: number[],
  calls?: number[][],
): Promise<RunRecord> {
  const s = trainer.semanticSampler()?.state();
  const s1 = first as typeof s;
  return {
    ema1: s1 ? [...s1.ema] : undefined,
    counts1: s1 ? [...s1.counts] : undefined,
    losses: logs.map((l) => ({ ...l.losses })),
    ema: s ? [...s.ema] : undefined,
    counts: s ? [...s.counts] : undefined,
    paramsHash: await paramsHash(trainer),
    tensors,
    dataCalls: calls?.map((c) => c[0]) ?? [],
    dataSyncCalls: calls?.map((c) => c[1]) ?? [],
  };
}

async function stepRun(ds: Dataset, config: typeof TINY, steps: number): Promise<RunRecord> {
  const trainer = Trainer.create(ds, config);
  try {
    const logs: StepLog[] = [], tensors: number[] = [], calls: number[][] = [];
    let first;
    for (let i = 0; i < steps; i++) {
      const c = await counting(() => trainer.trainStep());
      logs.push(c.value);
      calls.push([c.data, c.dataSync]);
      tensors.push(tf.memory().numTensors);
      if (i === 0) first = trainer.state().sampler;
    }
    return await record(trainer, first, logs, tensors, calls);
  } finally {
    trainer.dispose();
  }
}

async function pipelinedRun(ds: Dataset, config: typeof TINY, steps: number): Promise<RunRecord> {
  const trainer = Trainer.create(ds, config);
  try {
    // Two calls, so the tensor count is compared between them (the first allocates Adam's moments).
    const logs = await trainer.trainSteps(1);
    const tensors = [tf.memory().numTensors];
    const first = trainer.state().sampler;
    logs.push(...await trainer.trainSteps(steps - 1));
    tensors.push(tf.memory().numTensors);
    return await record(trainer, first, logs, tensors);
  } finally {
    trainer.dispose();
  }
}

/** Runs the scenario on `backend` in this process. */
export async function trainerScenario(
  backend: BackendName,
  deterministicMatMul = false,
): Promise<TrainerScenarioResult> {
  // initBackend's default (deterministic) sets MATMUL_PACKED; without the flag this runs tfjs' own choice.
  const info = await initBackend({ backend, log: null, deterministic: deterministicMatMul });
  if (info.name !== backend) throw new Error(`${backend} did not start: ${info.fallbackReason}`);
  if (deterministicMatMul && backend === "webgpu") {
    const type = tf.env().getNumber("WEBGPU_MATMUL_PROGRAM_TYPE");
    if (type !== MATMUL_PACKED) throw new Error(`initBackend left WEBGPU_MATMUL_PROGRAM_TYPE at ${type}`);
  }
  // classSums against float64 sums.
  const rng = createRng(9);
  const n = 4096;
  const values = Float32Array.from({ length: n }, () => rng.next());
  const classes = Int32Array.from({ length: n }, () => rng.int(11));
  const want = new Float64Array(11), wantCounts = new Int32Array(11);
  classes.forEach((k, i) => (want[k] += values[i], wantCounts[k]++));
  const v = tf.tensor1d(values);
  const got = classSums(v, classes);
  const sums = await got.sums.data();
  tf.dispose([v, got.sums]);
  let classSumsMaxRel = 0;
  want.forEach((w, k) => classSumsMaxRel = Math.max(classSumsMaxRel, Math.abs(sums[k] - w) / w));

  const dir = await Deno.makeTempDir({ prefix: "ssp-webgpu-trainer-" });
  try {
    await writeTinyDataset(dir, { frames: 6, width: 32, height: 32, audioDim: 13 });
    const ds = await loadDataset(dir);
    // 1024 rays: the per-ray error vector is over tfjs-webgpu's 1000-element CPU-forwarding threshold.
    const config = override(TINY, { train: { raysPerStep: 1024, seed: 5 } } as never);
    const uniform = override(config, { pixelSampler: { kind: "uniform" } } as never);
    return {
      backend: info.name,
      classSumsMaxRel,
      classSumsCountsOk: Array.from(got.counts).join() === Array.from(wantCounts).join(),
      step: await stepRun(ds, config, STEPS),
      stepAgain: await stepRun(ds, config, STEPS),
      pipelined: [await pipelinedRun(ds, config, STEPS), await pipelinedRun(ds, config, STEPS)],
      uniformStep: await stepRun(ds, uniform, 3),
      uniformPipelined: await pipelinedRun(ds, uniform, 3),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--backend");
  const backend = (i >= 0 ? Deno.args[i + 1] : "webgpu") as BackendName;
  console.log(JSON.stringify(await trainerScenario(backend, Deno.args.includes("--deterministic-matmul"))));
}
