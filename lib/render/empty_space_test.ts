import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertLess } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, type SspNerfConfig, TINY, TRIPLANE } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { OccupancyGrid } from "../sampling/mod.ts";
import { assertNoLeak } from "../testing/mod.ts";
import { IMAGE2D_DEFAULTS, NO_TORSO } from "../torso/mod.ts";
import { buildRenderGrid, chunkRanges, renderChunk, renderFrameChunks, type SkipSpace } from "./mod.ts";
import { Trainer } from "../train/mod.ts";

await initBackend({ log: null });

async function tinyTrainer(config: SspNerfConfig) {
  const dir = await Deno.makeTempDir({ prefix: "ssp-empty-space-" });
  await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
  const dataset = await loadDataset(dir);
  return { dir, dataset, trainer: Trainer.create(dataset, config) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// With every cell occupied and no early stop, "aligned" keeps every sample: the rounds (front parts
// composed in JS), the padding and the tail must then give the plain render, for every way the model
// composes its layers.
Deno.test("aligned skipping over a full grid, no early stop, equals the plain render for every architecture", async () => {
  const noFine = { points: { numFine: 0 } } as const;
  const configs: [string, SspNerfConfig][] = [
    ["deform3d (parsing weighting), rounds", override(TINY, noFine)],
    [
      "no torso, alpha background, rounds",
      override(TINY, { ...noFine, torso: NO_TORSO, background: { mode: "alpha" } }),
    ],
    ["image-space torso, rounds", override(TINY, { ...noFine, torso: IMAGE2D_DEFAULTS })],
    ["importance samples, whole rays", TINY],
    ["two NeRFs, whole rays", override(TINY, { ...noFine, architecture: "twoNerf" })],
  ];
  for (const [name, config] of configs) {
    const { dir, dataset, trainer } = await tinyTrainer(config);
    try {
      for (let i = 0; i < 2; i++) await trainer.trainStep();
      const setup = trainer.scene.setup;
      const meta = dataset.val[0];
      const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
      const plain = renderFrameChunks(trainer.model, setup, codes);
      const skip: SkipSpace = {
        grid: new OccupancyGrid({ resolution: 4 }),
        sampling: "aligned",
        minTransmittance: 0,
        roundSamples: 3, // TINY has 8 coarse samples: rounds of 3, 3 and a padded 1, then the last sample
      };
      const got = renderFrameChunks(trainer.model, setup, codes, skip);
      assertLess(maxAbsDiff(got.rgb, plain.rgb), 2e-6, `${name}: rgb`);
      assertLess(maxAbsDiff(got.accumulation, plain.accumulation), 2e-6, `${name}: accumulation`);
      assertLess(maxAbsDiff(got.depth, plain.depth), 2e-4, `${name}: depth`);
      const same = got.parsing!.filter((c, i) => c === plain.parsing![i]).length;
      assert(
        same >= 0.98 * got.parsing!.length,
        `${name}: parsing agrees on ${same} of ${got.parsing!.length}`,
      );
      await assertNoLeak(
        () => void renderChunk(trainer.model, setup, codes, 0, 64, skip),
        `${name}: renderChunk`,
      );
    } finally {
      trainer.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  }
});

// A tri-plane field set by hand to an opaque ball: sigma = softplus(A - c |x|^2) in the box's coordinates
// (each plane holds -c (u^2 + v^2) / 2 + A / 3, so the three planes sum to A - c |x|^2 at the vertices).
async function ballTrainer() {
  const config = override(TRIPLANE, {
    field: { levels: 1, baseResolution: 32, maxResolution: 32, featuresPerLevel: 1, hiddenLayers: 0 },
    torso: NO_TORSO,
    points: { numCoarse: 48 },
    audio: { dimAud: 4, convChannels: [4, 4, 4, 4] },
    render: { chunk: 128 },
  });
  const t = await tinyTrainer(config);
  const A = 800, c = A / 0.7 ** 2; // radius 0.7 of the box, opaque (optical depth ~ 100 across)
  const params = t.trainer.model.params;
  const set = (suffix: string, values: (size: number) => Float32Array) => {
    const key = [...params.keys()].find((k) => k.startsWith("coarse.") && k.endsWith(suffix));
    assert(key, `no parameter ending in ${suffix}: ${[...params.keys()].join(", ")}`);
    const v = params.get(key)!;
    tf.tidy(() => v.assign(tf.tensor(values(v.size), v.shape)));
  };
  const N = 32;
  const plane = () => {
    const out = new Float32Array((N + 1) ** 2);
    for (let j = 0; j <= N; j++) {
      for (let i = 0; i <= N; i++) {
        const u = (2 * i) / N - 1, v = (2 * j) / N - 1;
        out[j * (N + 1) + i] = (-c * (u * u + v * v)) / 2 + A / 3;
      }
    }
    return out;
  };
  for (let p = 0; p < 3; p++) set(`plane${p}.level0`, plane);
  set("sigma.grid.w", (size) => new Float32Array(size).fill(1));
  set("sigma.grid.b", (size) => new Float32Array(size).fill(1)); // cancels the -1 shift of softplus
  set("sigma.aud.w", (size) => new Float32Array(size));
  return t;
}

Deno.test("on an opaque ball, aligned skipping with early termination matches the plain render with a third of the samples", async () => {
  const { dir, dataset, trainer } = await ballTrainer();
  try {
    const setup = trainer.scene.setup;
    const meta = dataset.val[0];
    const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const plain = renderFrameChunks(trainer.model, setup, codes);
    // The ball is in view: some rays are stopped by it, others miss it.
    const hitPlain = plain.accumulation.filter((a) => a > 0.99).length;
    const missPlain = plain.accumulation.filter((a) => a < 0.01).length;
    assert(hitPlain >= 8 && missPlain > 100, `ball covers ${hitPlain} pixels, misses ${missPlain}`);
    const grid = buildRenderGrid(trainer.model, setup, [codes], { resolution: 16, threshold: 0.1 });
    assert(grid.fractionOccupied() < 0.6, `grid ${grid.fractionOccupied()} occupied`);
    const skip: SkipSpace = { grid, sampling: "aligned", minTransmittance: 1e-3, roundSamples: 8 };
    const got = renderFrameChunks(trainer.model, setup, codes, skip);
    // Error bound: light behind T < 1e-3, plus what the skipped samples (density < 0.1 per unit) held.
    assertLess(maxAbsDiff(got.rgb, plain.rgb), 3e-3);
    assertLess(maxAbsDiff(got.accumulation, plain.accumulation), 3e-3);
    let samples = 0;
    const { width, height } = setup.intrinsics;
    for (const [start, n] of chunkRanges(width * height, setup.config.render.chunk)) {
      samples += renderChunk(trainer.model, setup, codes, start, n, skip).samplesEvaluated;
    }
    const plainSamples = width * height * setup.config.points.numCoarse;
    assertLess(samples, plainSamples / 3, `${samples} samples evaluated against ${plainSamples}`);
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the trainer renders with a grid built from its field, rebuilt once the weights change", async () => {
  const { dir, dataset, trainer } = await tinyTrainer(override(TINY, { points: { numFine: 0 } }));
  try {
    const skip = trainer.scene.renderSkip();
    assert(skip && skip.sampling === "aligned");
    assertEquals(skip.minTransmittance, TINY.render.emptySpace.minTransmittance);
    assert(trainer.scene.renderSkip()!.grid === skip.grid, "kept while the step is the same");
    await trainer.trainStep();
    assert(trainer.scene.renderSkip()!.grid !== skip.grid, "rebuilt after a step");
    // Off by config, and off with importance samples (TINY has 4).
    for (const config of [override(TINY, { render: { emptySpace: { enabled: false } } }), TINY]) {
      const off = await tinyTrainer(config);
      try {
        assertEquals(off.trainer.scene.renderSkip(), undefined);
      } finally {
        off.trainer.dispose();
        await Deno.remove(off.dir, { recursive: true });
      }
    }
    const withGrid = await tinyTrainer(override(TINY, { points: { occupancy: { enabled: true } } }));
    try {
      assertEquals(withGrid.trainer.scene.renderSkip()?.sampling, "interval");
    } finally {
      withGrid.trainer.dispose();
      await Deno.remove(withGrid.dir, { recursive: true });
    }
    assert(dataset.val.length > 0);
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
