import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { learningRate, Trainer } from "./trainer.ts";
import { gatherPixels } from "../render/frame.ts";
import { renderFramesParallel } from "../render/parallel_render.ts";

await initBackend({ log: null });

async function tinyData(options: Parameters<typeof writeTinyDataset>[1] = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ssp-trainer-" });
  await writeTinyDataset(dir, { frames: 12, width: 16, height: 16, audioDim: 13, ...options });
  return { dir, dataset: await loadDataset(dir) };
}

Deno.test("gatherPixels and learningRate by hand", () => {
  const img = Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8);
  assertEquals(Array.from(gatherPixels(img, Int32Array.of(2, 0))), [6, 7, 8, 0, 1, 2]);
  const c = { ...TINY.train, lr: 1e-3, lrDecayRate: 0.1, lrDecaySteps: 100 };
  assertAlmostEquals(learningRate(c, 0), 1e-3);
  assertAlmostEquals(learningRate(c, 50), 1e-3 * Math.sqrt(0.1), 1e-12);
});

Deno.test("trainer: every step logs each loss term, and tensors stay flat across steps", async () => {
  const { dir, dataset } = await tinyData();
  const trainer = Trainer.create(dataset, TINY);
  try {
    await trainer.trainStep(); // creates lazily allocated state
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const s = await trainer.trainStep();
      for (const k of ["rgb_fine", "rgb_coarse", "semantic", "total"]) {
        assert(Number.isFinite(s.losses[k]), k);
      }
    }
    assertEquals(tf.memory().numTensors, before);
    const f = trainer.renderDatasetFrame(dataset.val[0]);
    assertEquals(f.rgb.length, 16 * 16 * 3);
    assert(f.parsing && f.parsing.length === 256);
    assertEquals(tf.memory().numTensors, before);
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainer: dispose frees every tensor it made (model, optimizer moments)", async () => {
  const { dir, dataset } = await tinyData({ frames: 3 });
  const before = tf.memory().numTensors;
  const trainer = Trainer.create(dataset, TINY);
  await trainer.trainStep();
  trainer.dispose();
  assertEquals(tf.memory().numTensors, before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainer: the loss falls when fitting a few steps at a high learning rate", async () => {
  const { dir, dataset } = await tinyData({ frames: 3 });
  const config = override(TINY, {
    train: { lr: 1e-2, raysPerStep: 128 },
    loss: { semantic: 0, semanticCoarse: 0 },
  });
  const trainer = Trainer.create(dataset, config);
  try {
    const first = (await trainer.trainStep()).losses.rgb_fine;
    let last = first;
    for (let i = 0; i < 40; i++) last = (await trainer.trainStep()).losses.rgb_fine;
    assertGreater(first, last * 1.5);
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: save, load into a fresh trainer, and both continue identically", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TINY);
  const b = Trainer.create(dataset, override(TINY, { train: { seed: 99 } }));
  try {
    await a.trainStep();
    await a.trainStep();
    await saveCheckpoint(a, `${dir}/run`);
    const meta = await loadCheckpoint(b, `${dir}/run`);
    assertEquals(meta.step, 2);
    assertEquals(b.step, 2);
    const sa = await a.trainStep(), sb = await b.trainStep();
    assertEquals(sa.imgId, sb.imgId);
    assertAlmostEquals(sa.losses.total, sb.losses.total, 1e-6);
    const names = [...Deno.readDirSync(`${dir}/run`)].map((e) => e.name).sort();
    assertEquals(names, ["checkpoint-2.bin", "checkpoint.json"]);
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: another architecture or other audio features give a clear error", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TINY);
  const wide = Trainer.create(dataset, override(TINY, { field: { width: 32 } }));
  const other = await tinyData({ audioDim: 29 });
  const otherAudio = Trainer.create(other.dataset, TINY);
  try {
    await saveCheckpoint(a, `${dir}/run`);
    const e1 = await assertRejects(() => loadCheckpoint(wide, `${dir}/run`));
    assertStringIncludes(
      e1.message,
      "another model configuration: config.field.width: checkpoint has 16, model has 32",
    );
    const e2 = await assertRejects(() => loadCheckpoint(otherAudio, `${dir}/run`));
    assertStringIncludes(e2.message, "audio features of width 13");
    await assertRejects(() => loadCheckpoint(a, `${dir}/nowhere`), Error, "no such file or folder");
  } finally {
    a.dispose();
    wide.dispose();
    otherAudio.dispose();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other.dir, { recursive: true });
  }
});

Deno.test("trainer: a diverging run stops with the step named", async () => {
  const { dir, dataset } = await tinyData({ frames: 3 });
  const trainer = Trainer.create(dataset, override(TINY, { train: { lr: 1e30 } }));
  try {
    const e = await assertRejects(async () => {
      for (let i = 0; i < 20; i++) await trainer.trainStep();
    });
    assertStringIncludes(e.message, "training diverged at step");
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainer: with empty-space skipping the grid updates, trains, renders and checkpoints", async () => {
  const { dir, dataset } = await tinyData();
  const config = override(TINY, { points: { occupancy: { enabled: true, resolution: 8, updateEvery: 2 } } });
  const a = Trainer.create(dataset, config);
  const b = Trainer.create(dataset, config);
  try {
    for (let i = 0; i < 4; i++) assert(Number.isFinite((await a.trainStep()).losses.total));
    assert(a.grid !== undefined);
    const f = a.renderDatasetFrame(dataset.val[0]);
    assert(f.rgb.every((v) => v >= 0 && v <= 1));
    await saveCheckpoint(a, `${dir}/run`);
    await loadCheckpoint(b, `${dir}/run`);
    assertEquals(b.grid!.state(), a.grid!.state());
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('trainer: torso motion "rigid" trains (deformation term logged, tensors flat), moves the pose MLP, checkpoints', async () => {
  const { dir, dataset } = await tinyData({ frames: 4 });
  const config = override(TINY, { torso: { motion: "rigid" }, train: { lr: 1e-2 }, render: { chunk: 48 } });
  const a = Trainer.create(dataset, config);
  const b = Trainer.create(dataset, override(config, { train: { seed: 99 } }));
  try {
    const omega = () => Array.from(a.model.params.get("torso.rigid.out.b")!.dataSync());
    assert(omega().every((v) => v === 0), "the rigid motion starts at the identity");
    await a.trainStep();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const s = await a.trainStep();
      for (const k of ["rgb_fine", "rgb_coarse", "semantic", "deformation", "total"]) {
        assert(Number.isFinite(s.losses[k]), k);
      }
    }
    assertEquals(tf.memory().numTensors, before);
    assert(omega().some((v) => v !== 0), "the pose MLP's output layer moved");
    // A render worker builds the same model from the config and the weights: the same frame bit for bit.
    const meta = dataset.val[0];
    const [parallel] = await renderFramesParallel(a.scene, [meta], { workers: 1 });
    assertEquals(parallel.rgb, a.renderDatasetFrame(meta).rgb);
    await saveCheckpoint(a, `${dir}/run`);
    await loadCheckpoint(b, `${dir}/run`);
    const sa = await a.trainStep(), sb = await b.trainStep();
    assertAlmostEquals(sa.losses.total, sb.losses.total, 1e-6);
    // An "offset" trainer cannot take the rigid checkpoint (torso.out has another shape, rigid.* are extra).
    const c = Trainer.create(dataset, TINY);
    try {
      const e = await assertRejects(() => loadCheckpoint(c, `${dir}/run`));
      assertStringIncludes(e.message, "torso.rigid.l0.w is not in the model");
    } finally {
      c.dispose();
    }
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
