import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { MlpField } from "../field/mod.ts";
import { TINY } from "../config/mod.ts";
import type { MlpFieldConfig } from "../config/mod.ts";
import { encodedDim } from "../encoding/mod.ts";
import { createRng } from "../nn/rng.ts";
import { DEFORM3D_DEFAULTS, Deform3dTorso, DeformationField3d } from "../torso/mod.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { type PassOptions, type RayBatch, renderPass } from "./render_rays.ts";

await initBackend({ log: null });

const n = 6, k = 8;
const rng = createRng(5);
const batch: RayBatch = {
  n,
  origins: Float32Array.from({ length: n * 3 }, () => rng.next() * 0.2 - 0.1),
  dirs: Float32Array.from({ length: n * 3 }, (_, i) => (i % 3 === 2 ? -1 : rng.next() * 0.4 - 0.2)),
  background: Float32Array.from({ length: n * 3 }, () => rng.next()),
};
const tVals = Float32Array.from({ length: n * k }, (_, i) => 0.5 + (i % k) * 0.2);
const fieldConfig = TINY.field as MlpFieldConfig;
const field = new MlpField("f", fieldConfig, {
  posDim: encodedDim(3, 3),
  dirDim: 0,
  audDim: 4,
  numClasses: 3,
}, 7);
const code = tf.randomNormal([1, 4], 0, 1, "float32", 3) as tf.Tensor2D;
const opts = (background: PassOptions["background"]): PassOptions => ({
  positionScale: 1,
  posFreqs: 3,
  dirFreqs: 0,
  viewDirs: false,
  background,
});
const values = (t: tf.Tensor) => Array.from(t.dataSync());

Deno.test("renderPass: alpha compositing = foreground-only pass + (1 - accumulation) x background", () => {
  tf.tidy(() => {
    const fg = renderPass(field, batch, tVals, k, { code }, opts("none"));
    const al = renderPass(field, batch, tVals, k, { code }, opts("alpha"));
    const acc = values(fg.accumulation), f = values(fg.rgb), a = values(al.rgb);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < 3; c++) {
        assertAlmostEquals(a[3 * r + c], f[3 * r + c] + (1 - acc[r]) * batch.background[3 * r + c], 1e-5);
      }
    }
    // Semantics: a distribution (sums to 1) with the background class taking the transmittance.
    const sem = values(al.semantics!);
    for (let r = 0; r < n; r++) assertAlmostEquals(sem[3 * r] + sem[3 * r + 1] + sem[3 * r + 2], 1, 1e-5);
  });
});

Deno.test("renderPass: the last-sample background makes every ray's weights sum to exactly 1", () => {
  tf.tidy(() => {
    const out = renderPass(field, batch, tVals, k, { code }, opts("lastSample"));
    const w = values(out.weights);
    for (let r = 0; r < n; r++) {
      assertAlmostEquals(w.slice(r * k, (r + 1) * k).reduce((s, v) => s + v, 0), 1, 1e-5);
    }
  });
});

Deno.test("renderPass: a freshly initialised torso deformation is the identity (both weightings)", async () => {
  const module = new DeformationField3d("d", 6, { width: 8, depth: 2, posFreqs: 2, poseFreqs: 1, seed: 3 });
  const pose = tf.tensor2d([[0.1, -0.2, 0.05, 0, 0.1, 0]]);
  for (const weighting of ["none", "parsing"] as const) {
    tf.tidy(() => {
      const plain = renderPass(field, batch, tVals, k, { code }, opts("alpha"));
      const deformed = renderPass(
        field,
        batch,
        tVals,
        k,
        {
          code,
          deform: {
            torso: new Deform3dTorso(module, { ...DEFORM3D_DEFAULTS, weighting }),
            pose,
            torsoClasses: [2],
          },
        },
        opts("alpha"),
      );
      const a = values(plain.rgb), b = values(deformed.rgb);
      a.forEach((v, i) => assertAlmostEquals(b[i], v, 1e-5));
      assertEquals(deformed.offsets!.shape, [n * k, 3]);
      assertEquals(weighting === "parsing", deformed.offsetWeights !== undefined);
    });
  }
  await assertNoLeak(() => renderPass(field, batch, tVals, k, { code }, opts("lastSample")), "renderPass");
  module.dispose();
  pose.dispose();
});
