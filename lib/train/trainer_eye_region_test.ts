/**
 * The trainer with `pixelSampler.eyeRegion` on a tiny dataset whose landmarks place a known eye box: the
 * frame the sampler sees carries the landmarks, the box is the eye class for the sampler only (the
 * semantic labels stay the parsing's), rays go there, tensors stay flat; a dataset without an eye class
 * is refused before anything is built.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { tinyLandmark, writeTinyDataset } from "../data/tiny_dataset.ts";
import { Trainer } from "./trainer.ts";

await initBackend({ log: null });

const W = 16, H = 16;
const EYE_REGION = override(TINY, { pixelSampler: { eyeRegion: true } });

/**
 * The tiny dataset (16 x 16, 11 classes) with its landmarks' eye corners moved: 36, 39, 42, 45 at
 * x = 4, 6, 10, 12 on y = 6.5, so centre (8, 6.5), D = 8; pixel centres x + 0.5 in [2.4, 13.6) and
 * y + 0.5 in [4.5, 8.5): x = 2..13, y = 4..7, 48 pixels.
 */
async function eyeData(palette: "sspnerf11" | "adnerf4" = "sspnerf11") {
  const dir = await Deno.makeTempDir({ prefix: "ssp-eye-region-" });
  await writeTinyDataset(dir, { frames: 6, width: W, height: H, audioDim: 13, palette });
  const corners = new Map([[36, 4], [39, 6], [42, 10], [45, 12]]);
  for (let id = 0; id < 6; id++) {
    const lines = Array.from({ length: 68 }, (_, i) => {
      const [x, y] = corners.has(i) ? [corners.get(i)!, 6.5] : tinyLandmark(id, i);
      return `${x} ${y}`;
    });
    await Deno.writeTextFile(join(dir, "ori_imgs", `${id}.lms`), lines.join("\n") + "\n");
  }
  return { dir, dataset: await loadDataset(dir) };
}
const inBox = (id: number) => {
  const x = id % W, y = Math.floor(id / W);
  return x >= 2 && x < 14 && y >= 4 && y < 8;
};

Deno.test("trainer with pixelSampler.eyeRegion: the box is the sampler's eye class, labels stay, tensors flat", async () => {
  const { dir, dataset } = await eyeData();
  const trainer = Trainer.create(dataset, EYE_REGION);
  try {
    const batch = await trainer.sampleBatch();
    assertEquals(batch.frame.landmarks, await dataset.landmarks(batch.meta.imgId));
    const parsing = await dataset.parsing(batch.meta.imgId);
    const classes = trainer.semanticSampler()!.classMap(batch.frame)!;
    for (let i = 0; i < W * H; i++) assertEquals(classes[i], inBox(i) ? 3 : parsing[i], `pixel ${i}`);
    // The semantic loss trains on the parsing's labels, also inside the box.
    assertEquals(Array.from(batch.labels!), Array.from(batch.ids, (p) => parsing[p]));
    assert(batch.ids.some(inBox) && Array.from(batch.ids).some((p) => inBox(p) && parsing[p] !== 3));

    await trainer.trainStep(); // creates lazily allocated state
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const log = await trainer.trainStep();
      assert(Number.isFinite(log.losses.total));
      assert(log.allocation![3] > 0, `the eye class gets rays: ${log.allocation}`);
    }
    assertEquals(tf.memory().numTensors, before);
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainer with pixelSampler.eyeRegion on a palette without an eye class: refused, nothing leaked", async () => {
  const { dir, dataset } = await eyeData("adnerf4");
  try {
    const before = tf.memory().numTensors;
    const e = assertThrows(() => Trainer.create(dataset, EYE_REGION));
    assertStringIncludes(String(e), "pixelSampler.eyeRegion is true but the dataset");
    assertStringIncludes(String(e), 'parsing palette "adnerf4"');
    assertEquals(tf.memory().numTensors, before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainer without eyeRegion: the frame carries no landmarks (the sampler's draws as before)", async () => {
  const { dir, dataset } = await eyeData();
  const trainer = Trainer.create(dataset, TINY);
  try {
    const batch = await trainer.sampleBatch();
    assertEquals("landmarks" in batch.frame, false);
    assertEquals(trainer.semanticSampler()!.classMap(batch.frame), await dataset.parsing(batch.meta.imgId));
  } finally {
    trainer.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
