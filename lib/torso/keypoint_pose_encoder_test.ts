import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { override, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { Trainer } from "../train/trainer.ts";
import { KeypointPoseEncoder } from "./keypoint_pose_encoder.ts";

await initBackend({ log: null });

Deno.test("keypoint pose code: projection by hand, rotation moves it, gradient reaches the keypoints", async () => {
  const intr = { width: 64, height: 32, focal: 40, cx: 32, cy: 16 };
  const enc = new KeypointPoseEncoder(2, intr, 2, { seed: 3 });
  enc.keypoints.assign(tf.tensor2d([[0, 0, 0], [0.25, 0.5, 0]]));
  // Camera at z = 4 looking down -z. Keypoint 1 sits at (0.5, 1, 0) in scene units, 4 in front:
  // u = 32 + 40 * 0.5 / 4 = 37 -> 37 / 64 * 2 - 1; v = 16 - 40 * 1 / 4 = 6 -> 6 / 32 * 2 - 1.
  const c2w = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1);
  const code = Array.from(enc.encode(c2w).dataSync());
  [0, 0, 37 / 32 - 1, 6 / 16 - 1].forEach((v, i) => assertAlmostEquals(code[i], v, 1e-6));
  // Turning the camera 90 degrees about y (looking down -x from x = 4) sees keypoint 1 at depth 4 - 0.5.
  const turned = Float32Array.of(0, 0, 1, 4, 0, 1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 1);
  const t = Array.from(enc.encode(turned).dataSync());
  assertAlmostEquals(t[3], (16 - 40 * 1 / 3.5) / 16 - 1, 1e-5);
  // The code is differentiable in the keypoints.
  const { grads } = tf.variableGrads(() => tf.sum(enc.encode(c2w)) as tf.Scalar, [enc.keypoints]);
  assert(Math.abs(grads[enc.keypoints.name].dataSync()[3]) > 0, "u of keypoint 1 depends on its x");
  tf.dispose(grads);
  await assertNoLeak(() => enc.encode(c2w), "KeypointPoseEncoder.encode");
  assertEquals(enc.dim, 4);
  assertThrows(() => new KeypointPoseEncoder(0, intr, 1), Error, "pose.count");
  enc.module.dispose();
});

Deno.test("adaptive pose encoding (ER-NeRF) trains, moves its keypoints, and renders", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-keypoints-" });
  try {
    await writeTinyDataset(dir, { frames: 4, width: 16, height: 16, audioDim: 13 });
    const dataset = await loadDataset(dir);
    for (
      const torso of [{ kind: "deform3d" as const }, {
        kind: "image2d" as const,
        width: 8,
        depth: 1,
        posFreqs: 2,
        poseFreqs: 1,
      }]
    ) {
      const config = override(TINY, { pose: { kind: "keypoints", count: 3 }, torso: torso as never });
      const trainer = Trainer.create(dataset, config);
      try {
        const enc = trainer.model.poseEncoder;
        assertEquals(enc.dim, 6);
        const k0 = Array.from(trainer.model.params.get("pose.keypoints")!.dataSync());
        for (let i = 0; i < 3; i++) assert(Number.isFinite((await trainer.trainStep()).losses.total));
        const k1 = Array.from(trainer.model.params.get("pose.keypoints")!.dataSync());
        assert(k1.some((v, i) => v !== k0[i]), `${torso.kind}: the keypoints learn`);
        const f = trainer.scene.renderDatasetFrame(dataset.val[0]);
        assert(f.rgb.every((v) => v >= 0 && v <= 1));
      } finally {
        trainer.dispose();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
