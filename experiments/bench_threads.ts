/**
 * The threading part of `deno task bench`: training steps per second of the demo config (preset "demo")
 * with 1 and 2 threads (`train.threads`, lib/train/data_parallel.ts), measured in one run, interleaved
 * (rounds of `steps` steps with each thread count in turn, after `warmup` steps each), so that load from
 * other processes falls on both alike. Steps/s is wall time over whole `trainStep` calls; the ratio is
 * the median of the rounds' ratios. Every training frame is decoded (cached) before timing. With 2 threads, where the time of a step went (the engine's clocks).
 *
 * The warm-up matters. For its first hundred or so steps V8 is still optimising the step's JavaScript on its
 * own background threads ("V8 DefaultWorker"): measured here, idle, demo config, those threads used 56 ms of
 * CPU per step over steps 0-5, 17 over steps 5-25 and about 11 from step 25 on. With one training thread
 * they run on the idle second core; with two they take it from the training threads, so a short warm-up
 * understates the two-thread speed of a long run (steps 5-25: 1.42x; steps 200-300: 1.72x). The default
 * warm-up of the bench (150 steps per thread count) measures the steady state a training run spends
 * nearly all its steps in, and the warm-up's own speed is reported beside it.
 * @module
 */
import { DEMO, override } from "../lib/config/mod.ts";
import type { Dataset } from "../lib/data/mod.ts";
import { type StepTiming, Trainer } from "../lib/train/mod.ts";

/** Options of {@linkcode benchThreads}. */
export interface ThreadBenchOptions {
  /** Thread counts to compare; the first is the reference of the ratios. */
  readonly threads: readonly number[];
  /** Steps each thread count trains before timing (its speed is reported as `warmupStepsPerSec`). */
  readonly warmup: number;
  /** Steps per round and thread count. */
  readonly steps: number;
  readonly rounds: number;
  /** Rays per step (default: the demo's). */
  readonly raysPerStep?: number;
}

/** What {@linkcode benchThreads} measures. */
export interface ThreadBenchResult {
  readonly config: string;
  readonly raysPerStep: number;
  readonly protocol: string;
  readonly loadAverage: { readonly before: number[]; readonly after: number[] };
  /** Per thread count: steps/s of each round, their median, and the median ratio to the first count. */
  readonly byThreads: Record<string, {
    readonly stepsPerSecRounds: number[];
    readonly stepsPerSec: number;
    readonly raysPerSec: number;
    readonly ratio: number;
    /** Mean ms per step of the engine's parts (absent with 1 thread). */
    readonly timing?: Record<string, number>;
    /** Steps/s over the warm-up steps (JIT compilation still running). */
    readonly warmupStepsPerSec: number;
    /** CPU ms per step of the main thread, of the workers, and of the process's other threads (V8's
     * background compiler and GC threads, mostly) (all rounds; Linux only). */
    readonly cpuMsPerStep?: { readonly main: number; readonly workers: number; readonly other: number };
    /** Steps/s if each thread had a core of its own: 1000 / max(main, workers) CPU ms per step (an
     * upper bound: waiting for the slower thread is left out), and its ratio to the first count's. */
    readonly cpuBoundStepsPerSec?: number;
    readonly cpuBoundRatio?: number;
  }>;
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
    return [];
  }
}

/**
 * CPU seconds used so far by this process's main thread, by its worker threads ("worker-<n>") and by its
 * other threads (V8's background threads, Deno's runtime), from
 * /proc (Linux; null elsewhere). Unlike wall time, they hardly change with the load of other processes.
 */
function threadCpu(): { main: number; workers: number; other: number } | null {
  try {
    const tick = 100; // USER_HZ: /proc counts in 1/100 s on Linux
    const out = { main: 0, workers: 0, other: 0 };
    for (const t of Deno.readDirSync("/proc/self/task")) {
      let stat: string, comm: string;
      try {
        stat = Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`);
        comm = Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim();
      } catch {
        continue; // the thread ended while listing
      }
      // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const secs = (Number(f[11]) + Number(f[12])) / tick;
      if (t.name === String(Deno.pid)) out.main += secs;
      else if (/^worker-\d+$/.test(comm)) out.workers += secs;
      else out.other += secs;
    }
    return out;
  } catch {
    return null;
  }
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
}

function addTiming(acc: Record<string, number>, t: StepTiming): void {
  const parts = {
    broadcastMs: t.broadcastMs,
    ownMs: t.ownMs,
    waitMs: t.waitMs,
    reduceMs: t.reduceMs,
    applyMs: t.applyMs,
    updateWaitMs: t.updateWaitMs ?? 0,
    workerLoadMs: mean(t.workers.map((w) => w.loadMs)),
    workerComputeMs: mean(t.workers.map((w) => w.computeMs)),
    workerUpdateMs: mean(t.workers.map((w) => w.updateMs ?? 0)),
    workerStartLagMs: mean(t.workers.map((w) => w.startLagMs)),
  };
  for (const [k, v] of Object.entries(parts)) acc[k] = (acc[k] ?? 0) + v;
}

/**
 * Measures training steps per second of the demo config for each thread count, interleaved.
 * @param ds The dataset.
 * @param o Thread counts, steps, rounds.
 * @param log Progress lines.
 */
export async function benchThreads(
  ds: Dataset,
  o: ThreadBenchOptions,
  log: (s: string) => void,
): Promise<ThreadBenchResult> {
  const rays = o.raysPerStep ?? DEMO.train.raysPerStep;
  // Decode every training frame first: the trainers share the dataset's cache and draw the same frames,
  // so the first to meet a frame would pay its decoding for the others.
  for (const meta of ds.train) {
    await ds.imageFloat(meta.imgId);
    if (ds.has.parsing) await ds.parsing(meta.imgId);
  }
  const before = loadAverage();
  const trainers = o.threads.map((threads) =>
    Trainer.create(ds, override(DEMO, { train: { threads, raysPerStep: rays } }))
  );
  try {
    const warmupStepsPerSec: number[] = [];
    for (const t of trainers) {
      const t0 = performance.now();
      for (let i = 0; i < o.warmup; i++) await t.trainStep();
      warmupStepsPerSec.push(o.warmup / Math.max(1e-9, (performance.now() - t0) / 1000));
    }
    const rounds = trainers.map(() => [] as number[]);
    const timing = trainers.map(() => ({} as Record<string, number>));
    const cpu = trainers.map(() => ({ main: 0, workers: 0, other: 0 }));
    for (let r = 0; r < o.rounds; r++) {
      for (const [k, t] of trainers.entries()) {
        const c0 = threadCpu();
        const t0 = performance.now();
        for (let i = 0; i < o.steps; i++) {
          await t.trainStep();
          if (t.lastTiming && o.threads[k] > 1) addTiming(timing[k], t.lastTiming);
        }
        rounds[k].push(o.steps / ((performance.now() - t0) / 1000));
        const c1 = threadCpu();
        if (c0 && c1) {
          cpu[k].main += c1.main - c0.main;
          cpu[k].workers += c1.workers - c0.workers;
          cpu[k].other += c1.other - c0.other;
        }
      }
      log(
        `threads: round ${r + 1}/${o.rounds}: ` +
          o.threads.map((n, k) => `${n} thr ${rounds[k][r].toFixed(2)} steps/s`).join(", ") +
          ` (load ${loadAverage().join(" ")})`,
      );
    }
    const byThreads: ThreadBenchResult["byThreads"] = {};
    const total = o.steps * o.rounds;
    const cpuMs = cpu.map((c) => ({
      main: 1000 * c.main / total,
      workers: 1000 * c.workers / total,
      other: 1000 * c.other / total,
    }));
    const hasCpu = cpuMs.every((c) => c.main > 0);
    const bound = cpuMs.map((c) => 1000 / Math.max(c.main, c.workers));
    o.threads.forEach((n, k) => {
      const sps = median(rounds[k]);
      byThreads[String(n)] = {
        stepsPerSecRounds: rounds[k],
        stepsPerSec: sps,
        raysPerSec: sps * rays,
        ratio: median(rounds[k].map((x, r) => x / rounds[0][r])),
        warmupStepsPerSec: warmupStepsPerSec[k],
        ...(hasCpu && {
          cpuMsPerStep: cpuMs[k],
          cpuBoundStepsPerSec: bound[k],
          cpuBoundRatio: bound[k] / bound[0],
        }),
        ...(Object.keys(timing[k]).length > 0 && {
          timing: Object.fromEntries(Object.entries(timing[k]).map(([key, v]) => [key, v / total])),
        }),
      };
    });
    return {
      config: DEMO.name,
      raysPerStep: rays,
      protocol: `${o.warmup} warm-up steps each (steady state: V8 has optimised the step's code), then ` +
        `${o.rounds} rounds of ${o.steps} steps per thread count in turn; steps/s = steps / wall seconds; ` +
        `ratio = median over rounds; CPU ms per step of the main thread, the workers and the other threads ` +
        `(V8's background threads) from /proc (cpu-bound steps/s = 1000 / the larger of main and workers)`,
      loadAverage: { before, after: loadAverage() },
      byThreads,
    };
  } finally {
    for (const t of trainers) t.dispose();
  }
}

/** The markdown table of {@linkcode benchThreads}. */
export function threadTable(r: ThreadBenchResult): string {
  const rows = Object.entries(r.byThreads).map(([n, b]) => {
    const t = b.timing;
    const parts = t
      ? `own ${t.ownMs.toFixed(0)}, wait ${t.waitMs.toFixed(0)}, broadcast ${t.broadcastMs.toFixed(1)}, ` +
        `reduce ${t.reduceMs.toFixed(1)}, apply ${t.applyMs.toFixed(1)} (update wait ${
          t.updateWaitMs.toFixed(1)
        }), worker start lag ${t.workerStartLagMs.toFixed(1)} / load ${t.workerLoadMs.toFixed(1)} / compute ${
          t.workerComputeMs.toFixed(0)
        } / update ${t.workerUpdateMs.toFixed(1)}`
      : "-";
    const c = b.cpuMsPerStep;
    const cpuCells = c
      ? `${c.main.toFixed(0)} / ${c.workers.toFixed(0)} / ${c.other.toFixed(0)} | ${
        b.cpuBoundStepsPerSec!.toFixed(2)
      } (x${b.cpuBoundRatio!.toFixed(2)})`
      : "- | -";
    return `| ${n} | ${b.stepsPerSec.toFixed(2)} | ${b.raysPerSec.toFixed(0)} | x${b.ratio.toFixed(2)} | ${
      b.warmupStepsPerSec.toFixed(2)
    } | ${cpuCells} | ${parts} |`;
  });
  return [
    `Training threads, config "${r.config}" (${r.raysPerStep} rays/step), load ${
      r.loadAverage.before.join(" ")
    } -> ${r.loadAverage.after.join(" ")}; ${r.protocol}:`,
    "",
    "| threads | steps/s | rays/s | ratio | warm-up steps/s | CPU ms/step main / workers / other | CPU-bound steps/s (ratio) | ms per step (2+ threads) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}
