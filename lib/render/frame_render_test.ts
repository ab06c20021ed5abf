import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertLess } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { encodedDim, positionalEncodingJs } from "../encoding/mod.ts";
import { OccupancyGrid } from "../sampling/mod.ts";
import { assertNoLeak } from "../testing/mod.ts";
import { IMAGE2D_DEFAULTS, Image2dTorso } from "../torso/mod.ts";
import { chunkRanges, densityAtFor, gatherPixels, renderChunk, renderFrameChunks } from "./mod.ts";
import { Trainer } from "../train/mod.ts";

await initBackend({ log: null });

async function tinyTrainer(config = TINY) {
  const dir = await Deno.makeTempDir({ prefix: "ssp-frame-render-" });
  await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
  const dataset = await loadDataset(dir);
  return { dir, dataset, trainer: Trainer.create(dataset, config) };
}

Deno.test("renderFrameChunks equals Trainer.renderFrame bit for bit (fine pass, deformation, parsing)", async () => {
  for (
    const config of [override(TINY, { render: { chunk: 100 } }), override(TINY, { architecture: "twoNerf" })]
  ) {
    const { dir, dataset, trainer } = await tinyTrainer(config);
    try {
      await trainer.trainStep();
      await trainer.trainStep(); // smoothing starts at step 1 in TINY
      const setup = trainer.scene.setup;
      for (const meta of dataset.val.slice(0, 2)) {
        const want = trainer.renderDatasetFrame(meta);
        const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
        const got = renderFrameChunks(trainer.model, setup, codes, trainer.scene.renderSkip());
        assertEquals(got.rgb, want.rgb);
        assertEquals(got.depth, want.depth);
        assertEquals(got.accumulation, want.accumulation);
        assertEquals(got.parsing, want.parsing);
      }
      const codes = trainer.scene.frameCodes(dataset.val[0].c2w, { features: dataset.audio!, index: 0 });
      await assertNoLeak(() => void renderChunk(trainer.model, setup, codes, 0, 10), "renderChunk");
    } finally {
      trainer.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  }
  assertEquals(chunkRanges(10, 4), [[0, 4], [4, 4], [8, 2]]);
});

Deno.test("with an empty grid every ray is background and skips the field; a full grid renders the rays through the box", async () => {
  const { dir, dataset, trainer } = await tinyTrainer();
  try {
    const setup = trainer.scene.setup;
    const meta = dataset.val[0];
    const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const empty = new OccupancyGrid({ resolution: 8 });
    empty.update(() => new Float32Array(8 * 8 * 8).fill(0));
    assertEquals(empty.fractionOccupied(), 0);
    const n = 16 * 16;
    const c = renderChunk(trainer.model, setup, codes, 0, n, { grid: empty, sampling: "interval" });
    assertEquals(c.raysRendered, 0);
    assertEquals(c.rgb, gatherPixels(setup.background, Int32Array.from({ length: n }, (_, i) => i)));
    assert(c.accumulation.every((a) => a === 0) && c.depth.every((d) => d === Math.fround(setup.far)));
    assert(c.parsing!.every((p) => p === 0));
    // A full grid renders the rays that cross the scene box within [near, far]; the others are background.
    const full = new OccupancyGrid({ resolution: 8 });
    const f = renderChunk(trainer.model, setup, codes, 0, n, { grid: full, sampling: "interval" });
    assert(f.raysRendered > 0);
    let background = 0;
    for (let i = 0; i < n; i++) {
      if (f.accumulation[i] === 0 && f.depth[i] === Math.fround(setup.far)) background++;
    }
    assertEquals(background, n - f.raysRendered);
    for (const v of f.rgb) assert(v >= 0 && v <= 1);
    await assertNoLeak(
      () => void renderChunk(trainer.model, setup, codes, 0, n, { grid: empty, sampling: "interval" }),
      "renderChunk with a grid",
    );
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with the image-space torso, rays the grid skips show the torso layer over the background", async () => {
  const config = override(TINY, { torso: IMAGE2D_DEFAULTS });
  const { dir, dataset, trainer } = await tinyTrainer(config);
  try {
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    const setup = trainer.scene.setup;
    const meta = dataset.val[0];
    const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const empty = new OccupancyGrid({ resolution: 4 });
    empty.update(() => new Float32Array(64));
    const n = 16 * 16;
    const c = renderChunk(trainer.model, setup, codes, 0, n, { grid: empty, sampling: "interval" });
    const torso = trainer.model.torso;
    assert(torso instanceof Image2dTorso);
    const uv = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      uv[2 * i] = ((i % 16) + 0.5) / 16 * 2 - 1, uv[2 * i + 1] = (Math.floor(i / 16) + 0.5) / 16 * 2 - 1;
    }
    const t = torso.module.apply(tf.tensor2d(uv, [n, 2]), tf.tensor2d(codes.pose, [1, codes.pose.length]));
    const rgb = t.rgb.dataSync(), alpha = t.alpha.dataSync();
    tf.dispose([t.rgb, t.alpha]);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        const want = alpha[i] * rgb[3 * i + k] + (1 - alpha[i]) * setup.background[3 * i + k];
        assertAlmostEquals(c.rgb[3 * i + k], want, 1e-6);
      }
    }
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("densityAtFor gives the coarse field's sigma (identity deformation at initialisation), without leaks", async () => {
  const { dir, dataset, trainer } = await tinyTrainer();
  try {
    const setup = trainer.scene.setup;
    const meta = dataset.train[0];
    const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const pts = Float32Array.from({ length: 30 }, (_, i) => Math.sin(i * 1.7) * 0.9);
    const sigma = densityAtFor(trainer.model, setup, codes)(pts);
    const f = TINY.field;
    assert(f.kind === "mlp");
    const want = tf.tidy(() =>
      trainer.model.coarse.apply({
        xyz: tf.tensor2d(pts, [10, 3]),
        pos: tf.tensor2d(positionalEncodingJs(pts, 3, f.posFreqs), [10, encodedDim(3, f.posFreqs)]),
        aud: tf.tensor2d(codes.aud, [1, codes.aud.length]),
      }).sigma
    );
    const w = want.dataSync();
    want.dispose();
    for (let i = 0; i < 10; i++) assertLess(Math.abs(sigma[i] - w[i]), 1e-6);
    const grid = new OccupancyGrid({ resolution: 4 });
    await assertNoLeak(() => void grid.update(densityAtFor(trainer.model, setup, codes)), "grid update");
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
