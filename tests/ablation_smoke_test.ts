/**
 * Every ablation row (and every torso / sampler / architecture kind it covers) trains two steps on the
 * bundled fixture and renders a frame, with no tensor leak across steps. No row is excluded.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "@std/assert";
import { initBackend } from "../lib/backend/mod.ts";
import { override, TINY } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { Trainer } from "../lib/train/mod.ts";
import { ablations } from "../experiments/ablations.ts";

await initBackend({ log: null });
const dataset = await loadDataset(new URL("../fixtures/synthetic_portrait", import.meta.url).pathname);
const rows = ablations(override(TINY, { train: { raysPerStep: 128 } }));

for (const [label, config] of Object.entries(rows)) {
  Deno.test(`ablation row "${label}" trains two steps and renders a frame`, async () => {
    const trainer = Trainer.create(dataset, config);
    try {
      const s1 = await trainer.trainStep();
      const before = tf.memory().numTensors;
      const s2 = await trainer.trainStep();
      assertEquals(tf.memory().numTensors, before, "tensors leaked across a step");
      for (const s of [s1, s2]) assert(Number.isFinite(s.losses.total), `loss ${s.losses.total}`);
      if (config.parsing.enabled) assert("semantic" in s2.losses, "the parsing loss is logged");
      if (config.torso.kind === "deform3d" && config.architecture === "unified") {
        assert("deformation" in s2.losses, "the deformation penalty is logged");
      }
      if (config.pixelSampler.kind === "semanticDynamic") {
        assertEquals(s2.allocation?.length, dataset.numClasses);
      }
      const f = trainer.renderDatasetFrame(dataset.val[0]);
      assertEquals(f.rgb.length, dataset.intrinsics.width * dataset.intrinsics.height * 3);
      assert(f.rgb.every((v) => v >= 0 && v <= 1), "colours in [0, 1]");
      assertEquals(tf.memory().numTensors, before);
    } finally {
      trainer.dispose();
    }
  });
}
