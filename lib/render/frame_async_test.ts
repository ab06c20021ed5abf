import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { DEMO, override, type SspNerfConfig, TINY, TRIPLANE } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { createRng } from "../nn/mod.ts";
import { importanceSamples, mergeSorted, OccupancyGrid } from "../sampling/mod.ts";
import { assertNoLeak } from "../testing/mod.ts";
import { IMAGE2D_DEFAULTS } from "../torso/mod.ts";
import {
  buildRenderGrid,
  buildRenderGridAsync,
  chunkRays,
  constantOf,
  densityAtFor,
  densityReadsFor,
  importanceSamplesTensor,
  mergeSortedTensor,
  passOptionsFor,
  type RenderedFrame,
  renderFrameChunks,
  renderFrameChunksAsync,
  renderModel,
  type SkipSpace,
  updateGridAsync,
} from "./mod.ts";
import { Trainer } from "../train/mod.ts";

await initBackend({ log: null });

async function trainedTrainer(config: SspNerfConfig) {
  const dir = await Deno.makeTempDir({ prefix: "ssp-frame-async-" });
  await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
  const dataset = await loadDataset(dir);
  const trainer = Trainer.create(dataset, config);
  for (let i = 0; i < 2; i++) await trainer.trainStep(); // smoothing starts at step 1 in TINY
  return { dir, dataset, trainer };
}

function assertSameFrame(got: RenderedFrame, want: RenderedFrame, label: string): void {
  assertEquals(got.rgb, want.rgb, `${label}: rgb`);
  assertEquals(got.depth, want.depth, `${label}: depth`);
  assertEquals(got.accumulation, want.accumulation, `${label}: accumulation`);
  assertEquals(got.parsing, want.parsing, `${label}: parsing`);
}

// The async path must be the sync path with other reads: bit-identical on wasm, for every way a frame
// renders (fine pass and 3-D deformation; tri-plane with a render grid and aligned skipping; the
// training occupancy grid's interval sampling; the image-space torso filling the skipped rays).
Deno.test("renderFrameAsync equals renderFrame bit for bit on wasm (tiny, triplane, demo, occupancy, 2-D torso)", async () => {
  const configs: [string, SspNerfConfig][] = [
    ["tiny (fine pass, deformation)", override(TINY, { render: { chunk: 100 } })],
    ["triplane (render grid, aligned)", override(TRIPLANE, { render: { chunk: 100 } })],
    ["demo", DEMO],
    [
      "tiny with the occupancy grid (interval sampling)",
      override(TINY, { points: { occupancy: { enabled: true, resolution: 8 } } }),
    ],
    ["triplane, image-space torso", override(TRIPLANE, { torso: IMAGE2D_DEFAULTS, render: { chunk: 100 } })],
  ];
  for (const [name, config] of configs) {
    const { dir, dataset, trainer } = await trainedTrainer(config);
    const scene = trainer.scene;
    try {
      for (const meta of dataset.val.slice(0, 2)) {
        const audio = { features: dataset.audio!, index: meta.audId };
        assertEquals(await scene.frameCodesAsync(meta.c2w, audio), scene.frameCodes(meta.c2w, audio), name);
        const want = scene.renderFrame(meta.c2w, audio);
        // The render grid (where the config builds one) is rebuilt by the async path.
        scene.weightsChanged();
        assertSameFrame(await scene.renderFrameAsync(meta.c2w, audio), want, name);
        assertSameFrame(await scene.renderDatasetFrameAsync(meta), want, name);
      }
      const skip = scene.renderSkip();
      if (config === DEMO) assertEquals(skip?.sampling, "aligned", "demo renders with a render grid");
      // A grid occupied on one side only: rays miss it, and the fill (the background, or the 2-D torso
      // layer over it) runs on both paths.
      const half = new OccupancyGrid({ resolution: 4 });
      half.update((p) => Float32Array.from({ length: p.length / 3 }, (_, i) => p[3 * i] > 0.3 ? 1 : 0), {
        dilation: 0,
        threshold: 0.5,
      });
      const meta = dataset.val[0];
      const codes = scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
      for (const sampling of ["aligned", "interval"] as const) {
        if (sampling === "aligned" && config.points.numFine > 0) continue; // the scene never does this
        const s: SkipSpace = { grid: half, sampling };
        const want = renderFrameChunks(trainer.model, scene.setup, codes, s);
        const misses = want.depth.filter((d) => d === Math.fround(scene.far)).length;
        assert(
          misses > 0 && misses < want.depth.length,
          `${name}, ${sampling}: ${misses} rays miss the grid`,
        );
        assertSameFrame(await renderFrameChunksAsync(trainer.model, scene.setup, codes, s), want, name);
      }
      await assertNoLeak(
        async () => void await renderFrameChunksAsync(trainer.model, scene.setup, codes, skip),
        `${name}: renderFrameChunksAsync`,
      );
      await assertNoLeak(async () => {
        scene.weightsChanged();
        await scene.renderFrameAsync(dataset.val[0].c2w, { features: dataset.audio!, index: 0 });
      }, `${name}: renderFrameAsync`);
    } finally {
      trainer.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("buildRenderGridAsync builds buildRenderGrid's grid bit for bit", async () => {
  const { dir, dataset, trainer } = await trainedTrainer(TRIPLANE);
  try {
    const scene = trainer.scene;
    const frames = dataset.train.slice(0, 3).map((m) =>
      scene.frameCodes(m.c2w, { features: dataset.audio!, index: m.audId })
    );
    const options = { resolution: 16, threshold: 10, seed: 3 };
    const want = buildRenderGrid(trainer.model, scene.setup, frames, options);
    const got = await buildRenderGridAsync(trainer.model, scene.setup, frames, options);
    assertEquals(got.density, want.density);
    assertEquals(got.occupied, want.occupied);
    assert(want.fractionOccupied() > 0 && want.fractionOccupied() < 1, "a grid with something to skip");
    // A training-style update (decay, a random subset of cells): same grid, same generator state after.
    const reads = densityReadsFor(trainer.model, scene.setup, frames[0]);
    const [a, b] = [want.state(), want.state()].map((st) => OccupancyGrid.fromState(st));
    const [ra, rb] = [createRng(9), createRng(9)];
    const updateOptions = (jitter: ReturnType<typeof createRng>) => ({
      decay: 0.9,
      cells: 300,
      batch: 128,
      jitter,
    });
    const infoA = a.update(densityAtFor(trainer.model, scene.setup, frames[0]), updateOptions(ra));
    const infoB = await updateGridAsync(b, reads, updateOptions(rb));
    assertEquals(infoB, infoA);
    assertEquals(b.density, a.density);
    assertEquals(rb.state(), ra.state());
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

function maxRel(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  assertEquals(a.length, b.length);
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])), s = Math.max(s, Math.abs(b[i]));
  return d / (s || 1);
}

Deno.test("importanceSamplesTensor and mergeSortedTensor equal the JS sampler and merge to float precision", () => {
  const n = 50, k = 16, kf = 24;
  const rng = createRng(5);
  const t = new Float32Array(n * k), w = new Float32Array(n * k);
  for (let r = 0; r < n; r++) {
    let acc = 1 + rng.next();
    for (let i = 0; i < k; i++) {
      t[r * k + i] = acc += 0.05 + 0.2 * rng.next();
      // Peaked weights, some exactly 0 (the floor then decides), one ray all zero.
      w[r * k + i] = r === 0 ? 0 : rng.next() < 0.3 ? 0 : rng.next() ** 4;
    }
  }
  for (const seed of [null, 11]) {
    const want = importanceSamples(t, w, n, kf, seed === null ? null : createRng(seed));
    const [got, merged] = tf.tidy(() => {
      const tt = tf.tensor2d(t, [n, k]);
      const fine = importanceSamplesTensor(
        tt,
        tf.tensor2d(w, [n, k]),
        kf,
        seed === null ? null : createRng(seed),
      );
      return [fine.dataSync() as Float32Array, mergeSortedTensor(tt, fine).dataSync() as Float32Array];
    });
    assertLess(maxRel(got, want), 1e-6, `samples, rng ${seed}`);
    assertLess(maxRel(merged, mergeSorted(t, got, n, k, kf)), 1e-7, `merge, rng ${seed}`);
    for (let r = 0; r < n; r++) {
      for (let i = 1; i < k + kf; i++) assert(merged[r * (k + kf) + i] >= merged[r * (k + kf) + i - 1]);
    }
  }
  const x = tf.variable(tf.tensor1d([1, 2]));
  const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(constantOf(v), v)))(x).dataSync());
  assertEquals(Array.from(g), [1, 2], "constantOf: no gradient through the constant factor");
  x.dispose();
});

// The GPU's sampling path (importance samples as tensor ops; points, intervals and encodings of the fine
// pass on the device; the torso weight as a zero-gradient copy), run here on wasm: it must render what
// the JS path renders, to float precision.
Deno.test("renderModel with device sampling equals the JS sampling path on wasm (tiny: fine pass, deformation)", async () => {
  const { dir, dataset, trainer } = await trainedTrainer(TINY);
  try {
    const scene = trainer.scene, setup = scene.setup;
    const meta = dataset.val[0];
    const codes = scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const ids = Int32Array.from({ length: 200 }, (_, i) => i);
    const rays = chunkRays(setup, codes, ids);
    const kc = TINY.points.numCoarse;
    const tCoarse = new Float32Array(ids.length * kc);
    for (let r = 0; r < ids.length; r++) {
      for (let i = 0; i < kc; i++) {
        tCoarse[r * kc + i] = setup.near + (i + 0.5) * (setup.far - setup.near) / kc;
      }
    }
    const render = (deviceSampling: boolean) =>
      tf.tidy(() => {
        const o = renderModel(trainer.model, {
          batch: { n: ids.length, origins: rays.origins, dirs: rays.dirs, background: rays.background },
          uv: rays.uv,
          tCoarse,
          aud: tf.tensor2d(codes.aud, [1, codes.aud.length]),
          pose: tf.tensor2d(codes.pose, [1, codes.pose.length]),
          rng: null,
          pass: passOptionsFor(TINY, setup.sceneRadius),
          classes: setup.classes,
          deviceSampling,
        });
        const f = o.fine!;
        return [f.rgb, f.depth, f.accumulation, f.semantics!, o.penalty!].map((x) =>
          x.dataSync() as Float32Array
        );
      });
    const js = render(false), device = render(true);
    ["rgb", "depth", "accumulation", "semantics", "penalty"].forEach((name, i) =>
      assertLess(maxRel(device[i], js[i]), 1e-5, name)
    );
    await assertNoLeak(() => void render(true), "device sampling");
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
