/**
 * Micro benchmark of the data-parallel engine (lib/train/data_parallel.ts): training steps per second
 * with 1 and 2 threads on an MLP the size of the `small` preset's field (positional-encoded 3-D points,
 * 8 frequencies, 4 x 96 hidden with a skip, 4 outputs; 1024 rays x 32 samples = 32,768 points per step;
 * Adam through Adam.applyGradients), and the per-step cost of keeping replicas in step for models of ~1 M
 * and ~5 M parameters (broadcasting the caller's parameters, loading them in the worker, summing the
 * gradients, the Adam update).
 *
 *   deno run -A experiments/bench_parallel.ts [--steps 6] [--rounds 2] [--out runs/bench/parallel.json]
 *
 * Protocol: both engines are started first; then `--rounds` rounds, each timing `--steps` steps with
 * 1 thread and then `--steps` steps with 2 threads (after one untimed warm-up step each), so that load
 * from other processes drifting over the run hits both; the ratio is that of the median step times.
 * The load average is recorded before and after: on a shared machine the ratio is only indicative.
 * @module
 */
import { initBackend } from "../lib/backend/mod.ts";
import { writeFileAtomic } from "../lib/io/mod.ts";
import { countParams } from "../lib/nn/mod.ts";
import { Adam, DataParallel, type ParallelStepResult, shareRanges } from "../lib/train/mod.ts";
import {
  regressionBatch,
  type RegressionInit,
  regressionRows,
  type RegressionShare,
} from "../lib/train/data_parallel_test_module.ts";
import { parseCli, runMain } from "./cli.ts";

const MODULE = new URL("../lib/train/data_parallel_test_module.ts", import.meta.url);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function loadAverage(): number[] {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU milliseconds (user + system) of one thread, from its /proc stat file (Linux; NaN elsewhere). Clock
 * ticks are 10 ms: sums over many steps are meaningful, single steps are not.
 */
function threadCpuMs(statPath: string | undefined): number {
  if (!statPath) return NaN;
  try {
    const stat = Deno.readTextFileSync(statPath);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14, 15) in ticks of 1/100 s
  } catch {
    return NaN;
  }
}

/** The stat file of the Deno worker thread "worker-<n>" (as the test module reports n), if listed. */
function workerStatPath(n: number): string | undefined {
  try {
    for (const t of Deno.readDirSync("/proc/self/task")) {
      if (Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim() === `worker-${n}`) {
        return `/proc/self/task/${t.name}/stat`;
      }
    }
  } catch {
    // not Linux
  }
  return undefined;
}

interface Engine {
  readonly engine: DataParallel<RegressionShare>;
  readonly adam: Adam;
  readonly threads: number;
}

async function startEngine(init: RegressionInit, threads: number): Promise<Engine> {
  const engine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init,
    threads,
  });
  return { engine, adam: new Adam(engine.params), threads };
}

async function timedStep(e: Engine, init: RegressionInit, batch: RegressionShare, rows: number) {
  const ranges = shareRanges(rows, e.threads);
  const shares = ranges.map(([s, n]) => regressionRows(batch, init, s, n));
  const t0 = performance.now();
  const r = await e.engine.step(
    shares,
    ranges.map(([, , w]) => w),
    (g) => e.adam.applyGradients(g, 1e-3),
  );
  return { ms: performance.now() - t0, result: r };
}

function timingMedians(results: ParallelStepResult[]) {
  const pick = (f: (r: ParallelStepResult) => number) => +median(results.map(f)).toFixed(2);
  return {
    broadcastMs: pick((r) => r.timing.broadcastMs),
    ownMs: pick((r) => r.timing.ownMs),
    waitMs: pick((r) => r.timing.waitMs),
    reduceMs: pick((r) => r.timing.reduceMs),
    applyMs: pick((r) => r.timing.applyMs),
    workerLoadMs: pick((r) => r.timing.workers[0]?.loadMs ?? 0),
    workerComputeMs: pick((r) => r.timing.workers[0]?.computeMs ?? 0),
  };
}

await runMain(async () => {
  const a = parseCli(Deno.args, {
    steps: { type: "string", default: "6", help: "timed steps per round and thread count" },
    rounds: { type: "string", default: "2", help: "rounds (1 thread then 2 threads each)" },
    "sync-steps": { type: "string", default: "4", help: "steps per large model for the sync costs" },
    out: { type: "string", help: "also write the JSON here (atomically)" },
  }, "usage: deno run -A experiments/bench_parallel.ts [--steps 6] [--rounds 2] [--out file.json]");
  const steps = Number(a.steps), rounds = Number(a.rounds), syncSteps = Number(a["sync-steps"]);
  for (const [name, v] of [["steps", steps], ["rounds", rounds], ["sync-steps", syncSteps]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be an integer >= 1: got ${v}`);
  }
  await initBackend();
  const loadBefore = loadAverage();

  // 1. Throughput on the small preset's MLP size.
  const small: RegressionInit = {
    inputDim: 3,
    posFreqs: 8,
    hidden: [96, 96, 96, 96],
    skips: [2],
    outDim: 4,
    seed: 1,
  };
  const rows = 1024 * 32;
  const engines = [await startEngine(small, 1), await startEngine(small, 2)];
  const times = new Map<number, number[]>([[1, []], [2, []]]);
  const results2: ParallelStepResult[] = [];
  const cpu = new Map([[1, { main: 0, worker: 0 }], [2, { main: 0, worker: 0 }]]);
  let batchSeed = 0;
  const params = countParams(engines[0].engine.params);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const e of engines) {
        const warm = await timedStep(e, small, regressionBatch(rows, small, batchSeed++), rows);
        const workerStat = e.threads === 2
          ? workerStatPath(warm.result.extras[1].thread as number)
          : undefined;
        for (let s = 0; s < steps; s++) {
          const batch = regressionBatch(rows, small, batchSeed++);
          const m0 = threadCpuMs("/proc/thread-self/stat"), w0 = threadCpuMs(workerStat);
          const { ms, result } = await timedStep(e, small, batch, rows);
          const c = cpu.get(e.threads)!;
          c.main += threadCpuMs("/proc/thread-self/stat") - m0;
          if (workerStat) c.worker += threadCpuMs(workerStat) - w0;
          times.get(e.threads)!.push(ms);
          if (e.threads === 2) results2.push(result);
        }
        console.error(
          `round ${round + 1}/${rounds}, ${e.threads} thread(s): median ${
            median(times.get(e.threads)!).toFixed(0)
          } ms/step`,
        );
      }
    }
  } finally {
    for (const e of engines) e.adam.dispose(), e.engine.dispose();
  }
  const ms1 = median(times.get(1)!), ms2 = median(times.get(2)!);
  // Per step CPU time of each thread: with a free core per thread, the 2-thread step would take about
  // the larger of the two, so cpu1 / max(main2, worker2) estimates the unloaded ratio.
  const timed = steps * rounds;
  const cpu1 = cpu.get(1)!.main / timed,
    main2 = cpu.get(2)!.main / timed,
    worker2 = cpu.get(2)!.worker / timed;

  // 2. Cost of keeping replicas in step, per model size.
  const sync = [];
  for (const hidden of [[1000, 1000], [1580, 1580, 1580]]) {
    const init: RegressionInit = { inputDim: 3, posFreqs: 8, hidden, outDim: 4, seed: 2 };
    const e = await startEngine(init, 2);
    const rs: ParallelStepResult[] = [];
    try {
      const batch = regressionBatch(256, init, 7);
      await timedStep(e, init, batch, 256);
      for (let s = 0; s < syncSteps; s++) rs.push((await timedStep(e, init, batch, 256)).result);
      sync.push({ params: countParams(e.engine.params), ...timingMedians(rs) });
    } finally {
      e.adam.dispose(), e.engine.dispose();
    }
  }
  const report = {
    note: "measured under load on a shared machine: ratios are indicative only",
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAverage(),
    throughput: {
      model: "MLP 4x96 (skip after layer 2), PE 8 freqs of 3-D points, 4 outputs, Adam",
      params,
      pointsPerStep: rows,
      stepsTimed: steps * rounds,
      msPerStep1: +ms1.toFixed(1),
      msPerStep2: +ms2.toFixed(1),
      stepsPerSecond1: +(1000 / ms1).toFixed(3),
      stepsPerSecond2: +(1000 / ms2).toFixed(3),
      ratio: +(ms1 / ms2).toFixed(3),
      cpuMsPerStep: { oneThread: cpu1, twoThreadsCaller: main2, twoThreadsWorker: worker2 },
      ratioFromCpuTime: +(cpu1 / Math.max(main2, worker2)).toFixed(3),
      twoThreadBreakdown: timingMedians(results2),
    },
    sync,
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  console.log(`\n| threads | ms/step | steps/s |\n|---|---|---|`);
  console.log(
    `| 1 | ${ms1.toFixed(0)} | ${(1000 / ms1).toFixed(2)} |\n| 2 | ${ms2.toFixed(0)} | ${
      (1000 / ms2).toFixed(2)
    } |`,
  );
  console.log(
    `CPU ms per step: 1 thread ${cpu1.toFixed(0)}; 2 threads: caller ${main2.toFixed(0)}, worker ${
      worker2.toFixed(0)
    }; ratio estimated from CPU time ${(cpu1 / Math.max(main2, worker2)).toFixed(2)}x`,
  );
  console.log(
    `ratio 2/1: ${(ms1 / ms2).toFixed(2)}x (load average ${loadBefore.join(" ")} -> ${
      loadAverage().join(" ")
    })`,
  );
  console.log(`\n| params | broadcast ms | worker load ms | reduce ms | Adam ms |\n|---|---|---|---|---|`);
  for (const s of sync) {
    console.log(`| ${s.params} | ${s.broadcastMs} | ${s.workerLoadMs} | ${s.reduceMs} | ${s.applyMs} |`);
  }
  if (a.out) await writeFileAtomic(a.out, new TextEncoder().encode(json + "\n"));
});
