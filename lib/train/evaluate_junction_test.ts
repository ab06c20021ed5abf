/**
 * The "junction" region of evaluation (lib/metrics/junction.ts) as `evaluateFrames` reports it: per frame
 * the PSNR over the junction of its ground-truth parsing, and a mean over the frames that have one (a
 * frame without a head-torso seam is left out, not counted as 0).
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../backend/mod.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset, PALETTES, parsingToImage } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { writeImage } from "../io/mod.ts";
import { junctionPsnr } from "../metrics/junction.ts";
import { evaluateFrames, Trainer } from "./mod.ts";

await initBackend({ log: null });

Deno.test("evaluateFrames: junction PSNR per frame as computed directly; a frame without one is left out of the mean", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-junction-" });
  const W = 16, H = 16;
  try {
    await writeTinyDataset(dir, { frames: 6, width: W, height: H, audioDim: 13 });
    const first = await loadDataset(dir);
    const frames = [...first.val, ...first.train.slice(0, 2)];
    // One evaluated frame's parsing becomes background only: no head, no neck, no torso.
    const blank = frames[0].imgId;
    await writeImage(
      join(dir, "parsing", `${blank}.png`),
      parsingToImage(new Uint8Array(W * H), W, H, PALETTES.sspnerf11),
    );
    const dataset = await loadDataset(dir);
    const trainer = Trainer.create(dataset, override(TINY, { points: { numFine: 0 } }));
    try {
      await trainer.trainStep();
      const rendered = new Map<number, Float32Array>();
      const before = tf.memory().numTensors;
      const e = await evaluateFrames(
        trainer.scene,
        frames,
        (m, f) => void rendered.set(m.imgId, f.rgb.slice()),
      );
      assertEquals(tf.memory().numTensors, before);
      const direct: number[] = [];
      for (const f of e.frames) {
        const gt = { width: W, height: H, channels: 3, data: await dataset.imageFloat(f.imgId) };
        const pred = { width: W, height: H, channels: 3, data: rendered.get(f.imgId)! };
        const want = junctionPsnr(pred, gt, await dataset.parsing(f.imgId), "sspnerf11");
        assertEquals(f.regionPsnr.junction, want, `frame ${f.imgId}`);
        if (f.imgId === blank) assert(!("junction" in f.regionPsnr), "no seam: no junction number, not 0");
        else direct.push(want!);
      }
      assert(direct.length >= 2 && direct.every(Number.isFinite));
      assertAlmostEquals(e.mean.psnr_junction, direct.reduce((s, v) => s + v, 0) / direct.length, 1e-9);
    } finally {
      trainer.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
