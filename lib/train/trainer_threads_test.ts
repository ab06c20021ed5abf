import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { DEMO, override, type SspNerfConfig, TINY } from "../config/mod.ts";
import { type Dataset, loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { type StepLog, Trainer } from "./trainer.ts";
import { workerThreads } from "../testing/threads.ts";

await initBackend({ log: null });

async function tinyData() {
  const dir = await Deno.makeTempDir({ prefix: "ssp-threads-" });
  await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
  return { dir, dataset: await loadDataset(dir) };
}

const TWO = override(TINY, { train: { threads: 2 } });
/** The demo preset (tri-plane field, 3-D torso deformation, semantic dynamic sampling), sized down. */
const DEMO_SMALL = override(DEMO, {
  field: { levels: 2, baseResolution: 4, maxResolution: 8, log2HashSize: 8 },
  points: { numCoarse: 8, numFine: 4 },
  train: { raysPerStep: 64, threads: 2 },
});

/** Asserts that no worker thread beyond `before` is alive within 10 s. */
async function assertNoNewThreads(before: Set<string>): Promise<void> {
  let left: string[] = [];
  for (let i = 0; i < 200; i++) {
    left = [...workerThreads()].filter((n) => !before.has(n));
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assertEquals(left, [], "worker threads still alive");
}

function params(t: Trainer): Map<string, Float32Array> {
  return new Map([...t.model.params].map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

async function trainSteps(dataset: Dataset, config: SspNerfConfig, steps: number) {
  const t = Trainer.create(dataset, config);
  try {
    const logs: StepLog[] = [];
    for (let i = 0; i < steps; i++) logs.push(await t.trainStep());
    return { params: params(t), logs, threads: t.threads };
  } finally {
    t.dispose();
  }
}

const losses = (logs: StepLog[]) => logs.map((l) => l.losses);

Deno.test("2 threads: a few steps equal themselves across two runs (tiny and demo presets)", async () => {
  const { dir, dataset } = await tinyData();
  try {
    for (const config of [TWO, DEMO_SMALL]) {
      const a = await trainSteps(dataset, config, 3);
      const b = await trainSteps(dataset, config, 3);
      assertEquals(a.threads, 2, config.name);
      assertEquals(maxAbsDiff(a.params, b.params), 0, config.name);
      assertEquals(losses(a.logs), losses(b.logs), config.name);
      for (const l of a.logs) {
        for (const k of ["rgb_fine", "rgb_coarse", "semantic", "total"]) {
          assert(Number.isFinite(l.losses[k]), k);
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("2 threads vs 1: the same frames, losses and parameters up to float rounding", async () => {
  const { dir, dataset } = await tinyData();
  try {
    // Without jitter both draw the same randomness (the jitter of the fine samples is per share with 2).
    for (const base of [TINY, DEMO_SMALL]) {
      const one = override(base, { points: { perturb: false }, train: { threads: 1 } });
      const two = override(one, { train: { threads: 2 } });
      const a = await trainSteps(dataset, one, 3), b = await trainSteps(dataset, two, 3);
      assertEquals(a.threads, 1);
      assertEquals(b.logs.map((l) => l.imgId), a.logs.map((l) => l.imgId));
      a.logs.forEach((l, i) => {
        for (const [k, v] of Object.entries(l.losses)) {
          assertLess(Math.abs(v - b.logs[i].losses[k]), 1e-5 * Math.max(1, Math.abs(v)), `${base.name} ${k}`);
        }
      });
      // Adam's first steps move each parameter by about lr: a difference well below that is rounding.
      assertLess(maxAbsDiff(a.params, b.params), 1e-5, base.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("2 threads: resuming from a checkpoint continues the same training", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TWO);
  const b = Trainer.create(dataset, override(TWO, { train: { seed: 99 } }));
  try {
    await a.trainStep();
    await a.trainStep();
    // b's engine runs already: Adam's moments live in its shared memory when the checkpoint is loaded.
    await b.trainStep();
    await saveCheckpoint(a, `${dir}/run`);
    await loadCheckpoint(b, `${dir}/run`);
    const sa = [await a.trainStep(), await a.trainStep()];
    const sb = [await b.trainStep(), await b.trainStep()];
    assertEquals(losses(sb), losses(sa));
    assertEquals(maxAbsDiff(params(a), params(b)), 0);
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("2 threads: no tensors and no threads left behind, after dispose and after an error in a worker", async () => {
  const { dir, dataset } = await tinyData();
  const threadsBefore = workerThreads();
  const tensorsBefore = tf.memory().numTensors;
  try {
    const t = Trainer.create(dataset, TWO);
    await t.trainStep();
    const tensors = tf.memory().numTensors;
    const workerTensors = t.lastTiming!.workers[0].tensors;
    await t.trainStep();
    await t.trainStep();
    assertEquals(tf.memory().numTensors, tensors, "flat across steps");
    assertEquals(t.lastTiming!.workers[0].tensors, workerTensors, "flat in the worker too");
    assert(
      Deno.build.os !== "linux" || [...workerThreads()].some((n) => !threadsBefore.has(n)),
      "a worker runs",
    );
    t.dispose();
    assertEquals(tf.memory().numTensors, tensorsBefore);
    await assertNoNewThreads(threadsBefore);

    // Labels too short for the second share: only the worker's loss fails.
    const u = Trainer.create(dataset, TWO);
    await u.trainStep();
    const sample = u.sampleBatch.bind(u);
    u.sampleBatch = async () => {
      const b = await sample();
      return { ...b, labels: b.labels!.slice(0, b.labels!.length - 3) };
    };
    const e = await assertRejects(() => u.trainStep());
    assertStringIncludes(
      e.message,
      "data-parallel worker 1 (share 1) failed: labels must have one id per ray",
    );
    assertStringIncludes(e.message, "losses.ts", "the worker's stack");
    assertEquals(u.threads, 1, "the engine is gone");
    await assertNoNewThreads(threadsBefore);
    u.dispose();
    assertEquals(tf.memory().numTensors, tensorsBefore);

    // A NaN stop disposes nothing by itself; the trainer's dispose ends the workers.
    const v = Trainer.create(dataset, override(TWO, { train: { lr: 1e30 } }));
    const nan = await assertRejects(async () => {
      for (let i = 0; i < 20; i++) await v.trainStep();
    });
    assertStringIncludes(nan.message, "training diverged at step");
    v.dispose();
    assertEquals(tf.memory().numTensors, tensorsBefore);
    await assertNoNewThreads(threadsBefore);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('2 threads: torso motion "rigid" (demo preset, sized down) trains like 1 thread', async () => {
  const { dir, dataset } = await tinyData();
  try {
    const one = override(DEMO_SMALL, {
      torso: { motion: "rigid" },
      points: { perturb: false },
      train: { threads: 1 },
    });
    const two = override(one, { train: { threads: 2 } });
    const a = await trainSteps(dataset, one, 2), b = await trainSteps(dataset, two, 2);
    assertEquals([a.threads, b.threads], [1, 2]);
    assert(a.params.has("torso.rigid.lin.w"), "the demo's linear pose map");
    a.logs.forEach((l, i) => {
      for (const [k, v] of Object.entries(l.losses)) {
        assert(Number.isFinite(v), k);
        assertLess(Math.abs(v - b.logs[i].losses[k]), 1e-5 * Math.max(1, Math.abs(v)), k);
      }
    });
    assertLess(maxAbsDiff(a.params, b.params), 1e-5);
    assert(
      b.params.get("torso.rigid.lin.b")!.some((v) => v !== 0),
      "the pose map trained in the 2-thread run",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
