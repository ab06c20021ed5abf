/**
 * Eye-blink conditioning end to end: the switch off is today's model bit for bit; on, the field's code
 * carries the eye openness and the image follows it; tiny trainings run, render and checkpoint with it.
 */
import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY, upgradeConfig } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { SspNerfModel } from "./ssp_model.ts";
import { Scene } from "../render/scene.ts";
import { renderFramesParallel } from "../render/parallel_render.ts";
import { Trainer } from "../train/trainer.ts";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint.ts";
import { loadScene } from "../train/load_scene.ts";
import { EYE_OFF } from "./eye_code.ts";
import { positionalEncoding } from "../encoding/mod.ts";

await initBackend({ log: null });

const EYE_ON = override(TINY, { name: "tiny-eye", eye: { enabled: true, freqs: 2 } });
const dims = { audioFeatureDim: 13, numClasses: 11 };

async function tinyData(options: Parameters<typeof writeTinyDataset>[1] = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ssp-eye-" });
  await writeTinyDataset(dir, { frames: 12, width: 16, height: 16, audioDim: 13, ...options });
  return { dir, dataset: await loadDataset(dir) };
}

function windows(seed: number): tf.Tensor3D {
  return tf.randomUniform([1, 16, 13], -1, 1, "float32", seed) as tf.Tensor3D;
}

Deno.test("eye off: frameCode is encodeAudio, and the model equals one of a config without an eye section", () => {
  const { eye: _, ...withoutEye } = TINY;
  const a = new SspNerfModel(TINY, dims);
  const b = new SspNerfModel(withoutEye as typeof TINY, dims);
  const w = windows(3);
  try {
    assertEquals(TINY.eye, EYE_OFF);
    assertEquals([a.eyeDim, a.codeDim], [0, TINY.audio.dimAud]);
    assertEquals([...a.params.keys()], [...b.params.keys()]);
    for (const [k, v] of a.params) assertEquals(v.dataSync(), b.params.get(k)!.dataSync(), k);
    const before = tf.memory().numTensors;
    const code = a.frameCode(w, false, 0);
    const audio = a.encodeAudio(w, false);
    assertEquals(code.dataSync(), audio.dataSync());
    const noEye = b.frameCode(w, false, undefined); // the eye value is ignored when off
    assertEquals(noEye.dataSync(), audio.dataSync());
    tf.dispose([code, audio, noEye]);
    assertEquals(tf.memory().numTensors, before);
  } finally {
    a.dispose();
    b.dispose();
    w.dispose();
  }
});

Deno.test("eye on: the code is [audio code, eye code], changes with the eye, and the field's density follows", () => {
  const m = new SspNerfModel(EYE_ON, dims);
  const w = windows(5);
  try {
    assertEquals([m.eyeDim, m.codeDim], [5, EYE_ON.audio.dimAud + 5]);
    const before = tf.memory().numTensors;
    const [open, shut, audio] = [m.frameCode(w, false, 1), m.frameCode(w, false, 0), m.encodeAudio(w, false)];
    const A = EYE_ON.audio.dimAud;
    assertEquals(open.shape, [1, A + 5]);
    assertEquals(Array.from(open.dataSync().slice(0, A)), Array.from(audio.dataSync()));
    assertEquals(Array.from(shut.dataSync().slice(A)), [0, 0, 1, 0, 1]);
    assertNotEquals(Array.from(open.dataSync()), Array.from(shut.dataSync()));
    const xyz = tf.randomUniform([32, 3], -0.5, 0.5, "float32", 9) as tf.Tensor2D;
    const sigma = (code: tf.Tensor2D) =>
      tf.tidy(() => {
        const pos = positionalEncoding(xyz, EYE_ON.field.kind === "mlp" ? EYE_ON.field.posFreqs : 0);
        return m.coarse.apply({ xyz, pos, dir: undefined, aud: code } as never).sigma.dataSync();
      });
    const dOpen = sigma(open), dShut = sigma(shut);
    assert(
      dOpen.some((v, i) => Math.abs(v - dShut[i]) > 1e-6),
      "the density does not depend on the eye code",
    );
    tf.dispose([open, shut, audio, xyz]);
    assertEquals(tf.memory().numTensors, before);
    assertThrows(() => m.frameCode(w, false, undefined), Error, "conditioned on the eye openness");
    assertThrows(() => m.frameCode(w, false, 2), Error, "must be a number in [0, 1]");
    assertEquals(tf.memory().numTensors, before);
  } finally {
    m.dispose();
    w.dispose();
  }
});

Deno.test("eye on: a dataset without an eye signal is refused, naming the dataset and the sources", async () => {
  const { dir, dataset } = await tinyData({ landmarks: "none" });
  try {
    assertEquals(dataset.eyeSource, undefined);
    const before = tf.memory().numTensors;
    const e = assertThrows(() => Scene.create(dataset, EYE_ON), Error);
    for (
      const s of [dir, "eye.enabled", '"eye" field', "transforms_train.json", "au.csv", "AU45_r", ".lms"]
    ) {
      assertStringIncludes(e.message, s);
    }
    assertEquals(tf.memory().numTensors, before);
    Scene.create(dataset, TINY).dispose(); // off: the same dataset is fine
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eye on: a tiny training runs, renders the eye it is given, checkpoints and loads back", async () => {
  const { dir, dataset } = await tinyData();
  const trainer = Trainer.create(dataset, override(EYE_ON, { train: { steps: 3 } }));
  const run = await Deno.makeTempDir({ prefix: "ssp-eye-run-" });
  try {
    assert(dataset.train.every((f) => f.eye !== undefined), "the tiny dataset has an eye signal");
    await trainer.trainStep();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) assert(Number.isFinite((await trainer.trainStep()).losses.total));
    const meta = dataset.val[0];
    const scene = trainer.scene;
    const audio = { features: dataset.audio!, index: meta.audId };
    const open = scene.renderFrame(meta.c2w, { ...audio, eye: 1 });
    const shut = scene.renderFrame(meta.c2w, { ...audio, eye: 0 });
    const dflt = scene.renderFrame(meta.c2w, audio);
    const own = scene.renderDatasetFrame(meta);
    const same = scene.renderFrame(meta.c2w, { ...audio, eye: meta.eye });
    assertEquals(tf.memory().numTensors, before);
    assertNotEquals(Array.from(open.rgb), Array.from(shut.rgb));
    assertEquals(dflt.rgb, open.rgb); // the default is open
    assertEquals(own.rgb, same.rgb); // a dataset frame renders with its own eye
    // A worker thread renders the frame as this one does (the codes carry the eye; its model reads them).
    const [parallel] = await renderFramesParallel(scene, [meta], { workers: 1 });
    assertEquals(parallel.rgb, own.rgb);
    await saveCheckpoint(trainer, run);
    const { scene: loaded, meta: cm } = await loadScene(run, dataset);
    try {
      assertEquals(cm.config.eye, { enabled: true, freqs: 2 });
      assertEquals(loaded.renderFrame(meta.c2w, { ...audio, eye: 0 }).rgb, shut.rgb);
    } finally {
      loaded.dispose();
    }
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(run, { recursive: true });
  }
});

Deno.test("checkpoints written before the eye section load as eye off", async () => {
  const { dir, dataset } = await tinyData();
  const trainer = Trainer.create(dataset, TINY);
  const run = await Deno.makeTempDir({ prefix: "ssp-eye-old-" });
  try {
    await trainer.trainStep();
    await saveCheckpoint(trainer, run);
    // Strip the eye section, as a checkpoint of an older version has none.
    const path = `${run}/checkpoint.json`;
    const json = JSON.parse(await Deno.readTextFile(path));
    delete json.config.eye;
    await Deno.writeTextFile(path, JSON.stringify(json));
    assertEquals(upgradeConfig(json.config, path).eye, EYE_OFF);
    const { scene } = await loadScene(run, dataset);
    try {
      assertEquals(scene.config.eye, EYE_OFF);
      const meta = dataset.val[0];
      assertEquals(scene.renderDatasetFrame(meta).rgb, trainer.renderDatasetFrame(meta).rgb);
    } finally {
      scene.dispose();
    }
    // An eye-conditioned trainer refuses this checkpoint by the field that differs.
    const eyeTrainer = Trainer.create(dataset, EYE_ON);
    try {
      await assertRejects(() => loadCheckpoint(eyeTrainer, run), Error, "config.eyeCode");
    } finally {
      eyeTrainer.dispose();
    }
    await assertRejects(async () => {
      const bad = { ...json, config: { ...json.config, eye: { enabled: true, freqs: -1 } } };
      await Deno.writeTextFile(path, JSON.stringify(bad));
      (await loadScene(run, dataset)).scene.dispose();
    });
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(run, { recursive: true });
  }
});
