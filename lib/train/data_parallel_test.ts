import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { Adam } from "./adam.ts";
import {
  DataParallel,
  mergeExtras,
  type ParallelStepResult,
  type ParamSlot,
  shareRanges,
} from "./data_parallel.ts";
import {
  createReplica,
  regressionBatch,
  type RegressionInit,
  regressionRows,
  type RegressionShare,
  shareLoss,
} from "./data_parallel_test_module.ts";
import { workerThreads } from "../testing/threads.ts";

await initBackend({ log: null });

const MODULE = new URL("./data_parallel_test_module.ts", import.meta.url);
const INIT: RegressionInit = { inputDim: 3, posFreqs: 2, hidden: [16, 16], outDim: 2, skips: [0], seed: 5 };
const ROWS = 96;
const STEPS = 3;
const LR = 0.01;

function batchOf(step: number): RegressionShare {
  return regressionBatch(ROWS, INIT, 100 + step);
}

function sharesOf(batch: RegressionShare, parts: number): { shares: RegressionShare[]; weights: number[] } {
  const ranges = shareRanges(ROWS, parts);
  return {
    shares: ranges.map(([start, count]) => regressionRows(batch, INIT, start, count)),
    weights: ranges.map(([, , w]) => w),
  };
}

function snapshot(params: ReadonlyMap<string, tf.Variable>): Map<string, Float32Array> {
  return new Map([...params].map(([k, v]) => [k, v.dataSync() as Float32Array]));
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  }
  return m;
}

const LINUX = Deno.build.os === "linux";

/** The worker thread that computed share 1 of a step (from the test module's extras). */
function shareThread(r: ParallelStepResult): string {
  const n = r.extras[1].thread as number;
  assert(!LINUX || n >= 0, "the worker reports its thread");
  assert(r.extras[0].thread === -1, "share 0 runs on this thread");
  const name = `worker-${n}`;
  assert(!LINUX || workerThreads().has(name), `${name} is alive`);
  return name;
}

/** Asserts that every thread of `names` ends within 10 s. */
async function assertThreadsEnd(names: Iterable<string>): Promise<void> {
  const wanted = [...names];
  let left = wanted;
  for (let i = 0; i < 200 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const live = workerThreads();
    left = wanted.filter((n) => live.has(n));
  }
  assertEquals(left, [], "worker threads still alive");
}

/** Trains STEPS steps with an engine of `threads` threads; `apply` "adam", "sgd", "flat" (Adam.applyFlat)
 * or "split" (Adam's flat update split over the threads, with `ownUpdateScale`). */
async function train(
  threads: number,
  update: "adam" | "sgd" | "flat" | "split",
  ownUpdateScale?: number,
): Promise<{
  params: Map<string, Float32Array>;
  results: ParallelStepResult[];
  firstGrads: Map<string, Float32Array>;
  moments: Map<string, Float32Array>;
}> {
  const engine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init: INIT,
    threads,
    ownUpdateScale,
  });
  const adam = new Adam(engine.params);
  const results: ParallelStepResult[] = [];
  let firstGrads = new Map<string, Float32Array>();
  try {
    for (let step = 0; step < STEPS; step++) {
      const { shares, weights } = sharesOf(batchOf(step), threads);
      const before = tf.memory().numTensors;
      if (update === "split") {
        results.push(await engine.step(shares, weights, { adam, lr: LR }));
        assertEquals(tf.memory().numTensors, before);
        continue;
      }
      if (update === "flat") {
        const flat = (layout: readonly ParamSlot[], g: Float32Array, reached: Uint8Array, p: Float32Array) =>
          adam.applyFlat(layout, g, reached, p, LR);
        results.push(await engine.step(shares, weights, { flat }));
        assertEquals(tf.memory().numTensors, before);
        continue;
      }
      results.push(
        await engine.step(shares, weights, (grads) => {
          if (step === 0) firstGrads = new Map([...grads].map(([k, g]) => [k, g.dataSync() as Float32Array]));
          if (update === "adam") adam.applyGradients(grads, LR);
          else {
            for (const [k, g] of grads) {
              const p = engine.params.get(k)!;
              tf.tidy(() => p.assign(tf.sub(p, tf.mul(g, LR))));
            }
          }
        }),
      );
      assertEquals(tf.memory().numTensors, before);
    }
    return { params: snapshot(engine.params), results, firstGrads, moments: snapshot(adam.state()) };
  } finally {
    adam.dispose();
    engine.dispose();
  }
}

Deno.test("data-parallel, one thread: bit-identical to Adam.minimize on the whole batch, no worker", async () => {
  const got = await train(1, "adam");
  assert(got.results.every((r) => r.timing.workers.length === 0 && r.extras[0].thread === -1));
  const ref = createReplica(INIT);
  const adam = new Adam(ref.params);
  try {
    const losses: number[] = [];
    for (let step = 0; step < STEPS; step++) {
      losses.push(adam.minimize(() => shareLoss(ref, batchOf(step)).loss, LR));
    }
    const want = snapshot(ref.params);
    for (const [k, v] of want) assertEquals(got.params.get(k), v, k);
    assertEquals(got.results.map((r) => r.loss), losses);
    assertEquals((got.results[0].extras[0].rowErrors as Float32Array).length, ROWS);
  } finally {
    adam.dispose();
    ref.dispose();
  }
});

Deno.test("data-parallel, two threads: identical across runs, equal to one thread up to summation order", async () => {
  const tensors = tf.memory().numTensors;
  const a = await train(2, "adam");
  const b = await train(2, "adam");
  for (const [k, v] of a.params) assertEquals(b.params.get(k), v, k);
  assertEquals(b.results.map((r) => r.loss), a.results.map((r) => r.loss));
  assertEquals(tf.memory().numTensors, tensors);
  // The worker took part: two shares per step, the second one's extras came back.
  assertEquals(a.results[0].extras.length, 2);
  assertEquals(a.results[0].timing.workers.length, 1);
  const workerTensors = a.results.map((r) => r.timing.workers[0].tensors);
  assertEquals(workerTensors, workerTensors.map(() => workerTensors[0]), "the worker's tensor count is flat");
  const merged = mergeExtras(a.results[0].extras, sharesOf(batchOf(0), 2).weights);
  assertEquals((merged.rowErrors as Float32Array).length, ROWS);

  const adamOne = await train(1, "adam");
  console.log(
    `2 vs 1 thread, Adam: max |param diff| after ${STEPS} steps ${
      maxAbsDiff(adamOne.params, a.params).toExponential(2)
    } (lr ${LR})`,
  );
  // Against one thread: the combined gradient of the first step, then plain SGD over STEPS steps (Adam
  // would turn rounding noise in near-zero gradients into full-size steps, sign(g) at its first step).
  const one = await train(1, "sgd");
  const two = await train(2, "sgd");
  let gmax = 0;
  for (const g of one.firstGrads.values()) for (const x of g) gmax = Math.max(gmax, Math.abs(x));
  const gradDiff = maxAbsDiff(one.firstGrads, two.firstGrads);
  const paramDiff = maxAbsDiff(one.params, two.params);
  console.log(
    `2 vs 1 thread: max |grad diff| ${gradDiff.toExponential(2)} (max |grad| ${gmax.toFixed(3)}), ` +
      `max |param diff| after ${STEPS} SGD steps ${paramDiff.toExponential(2)}`,
  );
  assert(gradDiff <= 1e-6 * Math.max(1, gmax), `gradients differ by ${gradDiff}`);
  assert(paramDiff <= 1e-6, `parameters differ by ${paramDiff}`);
  assert(gradDiff > 0 || paramDiff >= 0); // both are finite numbers
  one.results.forEach((r, i) => assert(Math.abs(r.loss - two.results[i].loss) <= 1e-6 * Math.max(1, r.loss)));
  // mergeExtras of the two shares equals the one-share extras up to rounding.
  const m = mergeExtras(two.results[1].extras, sharesOf(batchOf(1), 2).weights);
  assert(Math.abs((m.mse as number) - (one.results[1].extras[0].mse as number)) < 1e-6);
});

Deno.test("data-parallel: one share on a two-thread engine is the one-thread path bit for bit", async () => {
  const engine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init: INIT,
    threads: 2,
  });
  const ref = createReplica(INIT);
  const adamA = new Adam(engine.params), adamB = new Adam(ref.params);
  try {
    for (let step = 0; step < 2; step++) {
      const r = await engine.step([batchOf(step)], [1], (g) => adamA.applyGradients(g, LR));
      assertEquals(r.timing.workers, []);
      adamB.minimize(() => shareLoss(ref, batchOf(step)).loss, LR);
    }
    // Then two shares: the worker loads the parameters the caller has after one-share steps.
    const { shares, weights } = sharesOf(batchOf(2), 2);
    const r = await engine.step(shares, weights, (g) => adamA.applyGradients(g, LR));
    const want = shareLoss(ref, shares[1]); // ref's parameters equal the caller's before this step
    assertEquals(r.shareLosses[1], want.extras!.mse as number);
    want.loss.dispose();
    await assertRejects(
      () => engine.step([...shares, shares[0]], [0.3, 0.3, 0.4], () => {}),
      Error,
      "a step takes 1 to 2 shares",
    );
    await assertRejects(
      () => engine.step(shares, [0.5], () => {}),
      Error,
      "weights must be 2 finite numbers",
    );
    // A step started before the last one ended is refused; the running one is unaffected.
    const first = engine.step(shares, weights, () => {});
    await assertRejects(() => engine.step(shares, weights, () => {}), Error, "already running");
    assertEquals((await first).shareLosses.length, 2);
  } finally {
    adamA.dispose(), adamB.dispose(), ref.dispose();
    engine.dispose();
  }
});

function start(threads = 2): Promise<DataParallel<RegressionShare>> {
  return DataParallel.create<RegressionInit, RegressionShare>({ module: MODULE, init: INIT, threads });
}

Deno.test("data-parallel: a loss that throws in a worker rejects with its stack, leaves no thread and no tensor", async () => {
  const tensors = tf.memory().numTensors;
  const engine = await start();
  const { shares, weights } = sharesOf(batchOf(0), 2);
  const thread = shareThread(await engine.step(shares, weights, () => {}));
  const e = await assertRejects(() =>
    engine.step([shares[0], { ...shares[1], fail: true }], weights, () => {})
  );
  assertStringIncludes(e.message, "data-parallel worker 1 (share 1) failed: deliberate failure in shareLoss");
  assertStringIncludes(e.message, "deliberateShareFailure"); // the worker's stack
  assertStringIncludes(e.message, "data_parallel_test_module.ts");
  await assertRejects(() => engine.step(shares, weights, () => {}), Error, "failed earlier");
  assertEquals(tf.memory().numTensors, tensors);
  await assertThreadsEnd([thread]);
  engine.dispose(); // a second dispose does nothing
});

Deno.test("data-parallel: a failure in this thread's share or in apply terminates the workers too", async () => {
  const tensors = tf.memory().numTensors;
  const { shares, weights } = sharesOf(batchOf(0), 2);
  const engine = await start();
  const thread = shareThread(await engine.step(shares, weights, () => {}));
  await assertRejects(
    () => engine.step([{ ...shares[0], fail: true }, shares[1]], weights, () => {}),
    Error,
    "share 0 (this thread) failed: deliberate failure in shareLoss",
  );
  assertEquals(tf.memory().numTensors, tensors);
  await assertThreadsEnd([thread]);
  const e2 = await start();
  const thread2 = shareThread(await e2.step(shares, weights, () => {}));
  await assertRejects(
    () =>
      e2.step(shares, weights, () => {
        throw new Error("apply failed");
      }),
    Error,
    "apply failed",
  );
  assertEquals(tf.memory().numTensors, tensors);
  await assertRejects(() => e2.step(shares, weights, () => {}), Error, "failed earlier");
  await assertThreadsEnd([thread2]);
});

Deno.test("data-parallel: a worker that crashes (uncaught error) fails the next step instead of hanging it", async () => {
  const tensors = tf.memory().numTensors;
  const engine = await start();
  const { shares, weights } = sharesOf(batchOf(0), 2);
  const thread = shareThread(await engine.step(shares, weights, () => {}));
  let failure: Error | undefined;
  try {
    // The crash comes right after the worker's share: this step or the next one must fail.
    await engine.step([shares[0], { ...shares[1], crash: true }], weights, () => {});
    await engine.step(shares, weights, () => {});
  } catch (e) {
    failure = e as Error;
  }
  assert(failure, "a step failed");
  assertStringIncludes(failure.message, "crashed");
  assertStringIncludes(failure.message, "deliberate crash of the test module");
  assertEquals(tf.memory().numTensors, tensors);
  await assertThreadsEnd([thread]);
});

Deno.test("data-parallel: a worker slower than stepTimeoutMs fails the step, and its thread ends", async () => {
  const tensors = tf.memory().numTensors;
  const engine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init: INIT,
    threads: 2,
    stepTimeoutMs: 500,
  });
  const { shares, weights } = sharesOf(batchOf(0), 2);
  const thread = shareThread(await engine.step(shares, weights, () => {}));
  await assertRejects(
    () => engine.step([shares[0], { ...shares[1], stallMs: 3000 }], weights, () => {}),
    Error,
    "did not finish within stepTimeoutMs = 500",
  );
  assertEquals(tf.memory().numTensors, tensors);
  // Deno's terminate() takes effect when the worker's JavaScript returns (after its stall).
  await assertThreadsEnd([thread]);
});

Deno.test("data-parallel: failures while starting name the cause and leave nothing behind", async () => {
  const tensors = tf.memory().numTensors;
  const e1 = await assertRejects(() =>
    DataParallel.create({ module: MODULE, init: { ...INIT, failInWorker: true }, threads: 3 })
  );
  assertStringIncludes(e1.message, "failed to start: deliberate failure of createReplica in a worker");
  const n = Number(/\(thread (-?\d+)\)/.exec(e1.message)![1]);
  assert(!LINUX || n >= 0);
  await assertThreadsEnd(LINUX ? [`worker-${n}`] : []);
  // A caller replica whose shape differs from the workers'.
  const other = createReplica({ ...INIT, hidden: [16, 8] });
  const e = await assertRejects(() =>
    DataParallel.create({ module: MODULE, init: INIT, threads: 2, replica: other })
  );
  assertStringIncludes(e.message, "parameter reg.l1.w has shape [31,16], the caller's has [31,8]");
  other.dispose();
  await assertRejects(
    () => DataParallel.create({ module: new URL("./adam.ts", import.meta.url), init: INIT }),
    Error,
    "must export a function createReplica",
  );
  await assertRejects(() => DataParallel.create({ module: "./x.ts", init: INIT }), Error, "absolute URL");
  await assertRejects(
    () => DataParallel.create({ module: MODULE, init: INIT, threads: 0 }),
    Error,
    "threads",
  );
  assertEquals(tf.memory().numTensors, tensors);
});

Deno.test("data-parallel: dispose terminates the workers and frees the engine's replica, not a given one", async () => {
  const mine = createReplica(INIT);
  const tensors = tf.memory().numTensors;
  const engine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init: INIT,
    threads: 2,
    replica: mine,
  });
  assertEquals(engine.threads, 2);
  const { shares, weights } = sharesOf(batchOf(0), 2);
  const thread = shareThread(await engine.step(shares, weights, () => {}));
  engine.dispose();
  await assertThreadsEnd([thread]);
  assertEquals(tf.memory().numTensors, tensors); // the given replica is still alive
  mine.dispose();
  await assertRejects(() => engine.step([batchOf(0)], [1], () => {}), Error, "disposed");
  const owned = await DataParallel.create({ module: MODULE, init: INIT });
  owned.dispose();
  assertEquals(tf.memory().numTensors, tensors - mine.params.size); // its variables freed
});

Deno.test("data-parallel: a flat Adam update equals itself across runs, follows the tensor update, also alone", async () => {
  const a = await train(2, "flat"), b = await train(2, "flat");
  assertEquals(maxAbsDiff(a.params, b.params), 0);
  // The workers compute with the parameters the flat update wrote: losses follow the tensor path's.
  const ref = await train(2, "adam");
  a.results.forEach((r, i) => assert(Math.abs(r.loss - ref.results[i].loss) < 1e-5 * Math.abs(r.loss)));
  assert(maxAbsDiff(a.params, ref.params) < 1e-5, `max diff ${maxAbsDiff(a.params, ref.params)}`);
  const alone = await train(1, "flat");
  assert(maxAbsDiff(alone.params, ref.params) < 1e-5);
});

Deno.test("data-parallel: Adam split over the threads equals the unsplit flat update bit for bit, for any split", async () => {
  for (const threads of [2, 3]) {
    const flat = await train(threads, "flat");
    // Nothing on this thread, the default, an even split, everything on this thread.
    for (const scale of [0, undefined, 1, threads]) {
      const split = await train(threads, "split", scale);
      const what = `${threads} threads, ownUpdateScale ${scale}`;
      assertEquals(maxAbsDiff(split.params, flat.params), 0, what);
      assertEquals(maxAbsDiff(split.moments, flat.moments), 0, what);
      assertEquals(split.results.map((r) => r.loss), flat.results.map((r) => r.loss), what);
      for (const r of split.results) {
        assertEquals(r.timing.workers.length, threads - 1);
        assert(r.timing.updateWaitMs! >= 0 && r.timing.workers.every((w) => w.updateMs! >= 0), what);
      }
    }
  }
  // One thread (no worker, no shared memory): Adam.applyFlat on this thread.
  const one = await train(1, "split"), oneFlat = await train(1, "flat");
  assertEquals(maxAbsDiff(one.params, oneFlat.params), 0);
  await assertRejects(
    () => DataParallel.create({ module: MODULE, init: INIT, threads: 2, ownUpdateScale: 2.5 }),
    Error,
    "ownUpdateScale must be in [0, 2]: got 2.5",
  );
});

Deno.test("data-parallel: a split update with fewer shares than threads, after one-share steps", async () => {
  // Three threads, steps of 1, 2 and 3 shares: the idle worker keeps the parameters every step wrote.
  const engine = await start(3);
  const adam = new Adam(engine.params);
  const ref = createReplica(INIT);
  const adamRef = new Adam(ref.params);
  const flat = (layout: readonly ParamSlot[], g: Float32Array, r: Uint8Array, p: Float32Array) =>
    adamRef.applyFlat(layout, g, r, p, LR);
  const refEngine = await DataParallel.create<RegressionInit, RegressionShare>({
    module: MODULE,
    init: INIT,
    threads: 3,
    replica: ref,
  });
  try {
    for (const parts of [1, 2, 3, 2, 3]) {
      const { shares, weights } = sharesOf(batchOf(parts), parts);
      const a = await engine.step(shares, weights, { adam, lr: LR });
      const b = await refEngine.step(shares, weights, { flat });
      assertEquals(a.shareLosses, b.shareLosses, `${parts} shares`);
    }
    assertEquals(maxAbsDiff(snapshot(engine.params), snapshot(ref.params)), 0);
  } finally {
    adam.dispose(), adamRef.dispose();
    engine.dispose(), refEngine.dispose();
    ref.dispose();
  }
});

Deno.test("data-parallel: a worker that crashes around a split update fails a step instead of hanging it", async () => {
  const tensors = tf.memory().numTensors;
  const engine = await start();
  const adam = new Adam(engine.params);
  const { shares, weights } = sharesOf(batchOf(0), 2);
  try {
    const thread = shareThread(await engine.step(shares, weights, { adam, lr: LR }));
    let failure: Error | undefined;
    try {
      // The crash comes right after the worker's share, before or after its range of the update.
      await engine.step([shares[0], { ...shares[1], crash: true }], weights, { adam, lr: LR });
      await engine.step(shares, weights, { adam, lr: LR });
    } catch (e) {
      failure = e as Error;
    }
    assert(failure, "a step failed");
    assertStringIncludes(failure.message, "deliberate crash of the test module");
    await assertThreadsEnd([thread]);
  } finally {
    adam.dispose();
    engine.dispose(); // done already by the failed step: a second dispose does nothing
  }
  assertEquals(tf.memory().numTensors, tensors);
});
