/**
 * The NeRF core can represent a frame: overfitting one fixture frame (its pose and audio fixed) reaches
 * at least 30 dB PSNR within a bounded number of steps (well under a minute on 2 CPU cores).
 */
import { assertGreaterOrEqual } from "@std/assert";
import { initBackend } from "../lib/backend/mod.ts";
import { override, TRIPLANE } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { psnr } from "../lib/metrics/mod.ts";
import { Trainer } from "../lib/train/mod.ts";

Deno.test("overfitting one fixture frame reaches >= 30 dB", async () => {
  await initBackend({ log: null });
  const full = await loadDataset(new URL("../fixtures/synthetic_portrait", import.meta.url).pathname);
  const frame = full.train[0];
  const config = override(TRIPLANE, {
    name: "overfit-one-frame",
    torso: { kind: "none" },
    parsing: { enabled: false },
    pixelSampler: { kind: "uniform" },
    audio: { smoothing: { enabled: false } },
    train: { raysPerStep: 2048, lr: 0.01, lrDecaySteps: 400 },
  });
  const trainer = Trainer.create({ ...full, train: [frame] }, config);
  try {
    for (let i = 0; i < 90; i++) await trainer.trainStep();
    const { width, height } = full.intrinsics;
    const out = trainer.renderDatasetFrame(frame);
    const gt = await full.imageFloat(frame.imgId);
    const p = psnr({ width, height, channels: 3, data: out.rgb }, { width, height, channels: 3, data: gt });
    console.log(`one-frame PSNR after 90 steps: ${p.toFixed(2)} dB`);
    assertGreaterOrEqual(p, 30);
  } finally {
    trainer.dispose();
  }
});
