import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { datasetFrameAudio } from "../render/scene.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { evaluateFrames } from "./evaluate.ts";
import { loadScene } from "./load_scene.ts";
import { Trainer } from "./trainer.ts";

await initBackend({ log: null });

const CODE = 3;
/** TINY with a per-frame pose code on a rigid torso (its linear pose map reads the code directly). */
const CODED = override(TINY, {
  pose: { kind: "euler", frameCode: CODE },
  torso: { motion: "rigid", poseMap: "linear" },
  train: { raysPerStep: 48 },
});

for (const threads of [1, 2]) {
  Deno.test(`frame code, ${threads} thread(s): training moves the drawn frames' codes only; renders read them`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ssp-framecode-" });
    try {
      await writeTinyDataset(dir, { frames: 6, width: 16, height: 16, audioDim: 13 });
      const dataset = await loadDataset(dir);
      const t = Trainer.create(dataset, override(CODED, { train: { threads } }));
      try {
        const key = "pose.frameCodes";
        const ids = dataset.train.map((f) => f.imgId);
        const start = t.model.params.get(key)!.arraySync() as number[][];
        assertEquals(start.length, ids.length);
        const drawn = new Set<number>();
        for (let i = 0; i < 6; i++) drawn.add((await t.trainStep()).imgId);
        const end = t.model.params.get(key)!.arraySync() as number[][];
        let moved = 0;
        ids.forEach((id, row) => {
          const same = end[row].every((v, j) => v === start[row][j]);
          if (!drawn.has(id)) assert(same, `img_id ${id} was never drawn, yet its code changed`);
          else if (!same) moved++;
        });
        assert(moved > 0, `no drawn frame's code moved (drawn: ${[...drawn]})`);
        // A training frame renders with its own code, a held-out frame with the mean of the codes.
        const codesOf = (meta: (typeof dataset.train)[number]) =>
          Array.from(t.scene.frameCodes(meta.c2w, datasetFrameAudio(dataset, meta)).pose.slice(-CODE));
        const f0 = dataset.train[0];
        assertEquals(codesOf(f0), Array.from(Float32Array.from(end[0])));
        const mean = tf.tidy(() => Array.from(tf.mean(t.model.params.get(key)!, 0).dataSync()));
        assertEquals(codesOf(dataset.val[0]), mean);
        // The evaluation renders a training frame with its own code too (not the mean code).
        let evaluated: Float32Array | undefined;
        await evaluateFrames(t.scene, [f0], (_m, frame) => {
          evaluated = frame.rgb;
        });
        const own = t.scene.renderDatasetFrame(f0).rgb;
        const withMean =
          t.scene.renderFrame(f0.c2w, { ...datasetFrameAudio(dataset, f0), imgId: undefined }).rgb;
        assertEquals(evaluated, own);
        assert(own.some((v, i) => v !== withMean[i]), "the own code and the mean code render the same frame");
      } finally {
        t.dispose();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("frame code: a checkpoint restores the codes on its own training frames and refuses other ones by name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-framecode-ckpt-" });
  try {
    await writeTinyDataset(`${dir}/a`, { frames: 6, width: 16, height: 16, audioDim: 13 });
    await writeTinyDataset(`${dir}/b`, { frames: 8, width: 16, height: 16, audioDim: 13 });
    const [a, b] = [await loadDataset(`${dir}/a`), await loadDataset(`${dir}/b`)];
    const t = Trainer.create(a, CODED);
    let codes: number[][];
    try {
      await t.trainStep();
      await t.trainStep();
      codes = t.model.params.get("pose.frameCodes")!.arraySync() as number[][];
      await saveCheckpoint(t, `${dir}/run`);
    } finally {
      t.dispose();
    }
    const { scene } = await loadScene(`${dir}/run`, a);
    try {
      assertEquals(scene.model.params.get("pose.frameCodes")!.arraySync(), codes);
    } finally {
      scene.dispose();
    }
    const other = Trainer.create(b, CODED);
    try {
      const e = await assertRejects(() => loadCheckpoint(other, `${dir}/run`));
      assertStringIncludes(
        (e as Error).message,
        `learned a pose code for each of its ${a.train.length} training frames (pose.frameCode), but ` +
          `transforms_train.json lists ${b.train.length}`,
      );
    } finally {
      other.dispose();
    }
    await assertRejects(() => loadScene(`${dir}/run`, b), Error, "use the dataset it was trained on");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
