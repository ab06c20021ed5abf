import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { OccupancyGrid } from "../sampling/mod.ts";
import { scaleIntrinsics } from "../camera/mod.ts";
import {
  densityAtFor,
  ParallelRenderer,
  renderFrameChunks,
  renderFrameSequence,
  renderFramesParallel,
} from "./mod.ts";
import { evaluateFrames, Trainer } from "../train/mod.ts";

await initBackend({ log: null });

async function tinyTrainer() {
  const dir = await Deno.makeTempDir({ prefix: "ssp-parallel-" });
  await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
  const dataset = await loadDataset(dir);
  // Chunks of 48 rays: 6 per frame, so both threads get some. No importance samples, so that the
  // trainer's renders skip empty space (renderSkip) and the workers run that path too.
  const config = override(TINY, { render: { chunk: 48 }, points: { numFine: 0 } });
  return { dir, dataset, trainer: Trainer.create(dataset, config) };
}

Deno.test("frames rendered on a worker and this thread equal the single-thread render bit for bit", async () => {
  const { dir, dataset, trainer } = await tinyTrainer();
  try {
    await trainer.trainStep();
    const frames = [dataset.val[0], dataset.train[1]];
    const before = tf.memory().numTensors;
    const got = await renderFramesParallel(trainer.scene, frames, { workers: 1 });
    assertEquals(tf.memory().numTensors, before);
    frames.forEach((meta, i) => {
      const want = trainer.renderDatasetFrame(meta);
      assertEquals(got[i].rgb, want.rgb);
      assertEquals(got[i].depth, want.depth);
      assertEquals(got[i].accumulation, want.accumulation);
      assertEquals(got[i].parsing, want.parsing);
    });
    // The worker alone, after new weights (setParams), and with a grid.
    const setup = trainer.scene.setup;
    const renderer = await ParallelRenderer.create(trainer.model, setup, { workers: 1, mainThread: false });
    try {
      await trainer.trainStep();
      renderer.setParams();
      const codes = frames.map((f) =>
        trainer.scene.frameCodes(f.c2w, { features: dataset.audio!, index: f.audId })
      );
      const grid = new OccupancyGrid({ resolution: 8 });
      grid.update(densityAtFor(trainer.model, setup, codes[0]), { threshold: 0.4 });
      const skip = { grid, sampling: "interval" } as const;
      const out = await renderer.render(codes, { skip });
      assertEquals(renderer.lastStats.mainChunks, 0);
      assertEquals(renderer.lastStats.workerChunks, [6 * codes.length]); // 6 chunks per 16x16 frame
      codes.forEach((c, i) => assertEquals(out[i].rgb, renderFrameChunks(trainer.model, setup, c, skip).rgb));
      const plain = await renderer.render(codes.slice(0, 1), { skip: trainer.scene.renderSkip() });
      assertEquals(plain[0].rgb, trainer.renderDatasetFrame(frames[0]).rgb);
      // Another camera for one job: twice the resolution, background resampled.
      const big = {
        ...setup,
        intrinsics: scaleIntrinsics(setup.intrinsics, 2),
        background: new Float32Array(32 * 32 * 3).fill(0.5),
      };
      const [twice] = await renderer.render(codes.slice(0, 1), { setup: big });
      assertEquals(twice.width, 32);
      assertEquals(twice.rgb, renderFrameChunks(trainer.model, big, codes[0]).rgb);
    } finally {
      renderer.dispose();
    }
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing worker rejects the render, and the renderer refuses further work", async () => {
  const { dir, dataset, trainer } = await tinyTrainer();
  try {
    const setup = trainer.scene.setup;
    const renderer = await ParallelRenderer.create(trainer.model, setup, { workers: 1, mainThread: false });
    const meta = dataset.val[0];
    const codes = trainer.scene.frameCodes(meta.c2w, { features: dataset.audio!, index: meta.audId });
    const bad = { ...codes, aud: new Float32Array(codes.aud.length + 1) }; // the field refuses a wrong code width
    const e = await assertRejects(() => renderer.render([bad]));
    assertStringIncludes(e.message, "audio code must be");
    await assertRejects(() => renderer.render([codes]), Error, "failed earlier");
    renderer.dispose();
    await assertRejects(
      () => ParallelRenderer.create(trainer.model, setup, { workers: 0, mainThread: false }),
      Error,
      "no thread would render",
    );
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluation and frame sequences give the same frames on one thread and with a worker", async () => {
  const { dir, dataset, trainer } = await tinyTrainer();
  try {
    await trainer.trainStep();
    const frames = dataset.val.slice(0, 2).concat(dataset.train.slice(0, 1));
    const one = await evaluateFrames(trainer.scene, frames, undefined, { workers: 0 });
    const two = await evaluateFrames(trainer.scene, frames, undefined, { workers: 1 });
    assertEquals(two.frames.map((f) => f.psnr), one.frames.map((f) => f.psnr));
    assertEquals(two.frames.map((f) => f.imgId), frames.map((f) => f.imgId));
    const seq = (workers: number) =>
      Array.fromAsync(renderFrameSequence(trainer.scene, 10, (i) => ({
        c2w: frames[i % frames.length].c2w,
        audio: { features: dataset.audio!, index: i % dataset.audio!.shape[0] },
      }), workers));
    const a = await seq(0), b = await seq(1);
    assertEquals(b.length, 10); // more than one parallel job of 8 frames
    b.forEach((f, i) => assertEquals(f.rgb, a[i].rgb));
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
