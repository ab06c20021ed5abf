/**
 * `deno task diagnose` end to end: a tiny run on the fixture, then its error budget on training and held-out
 * frames (region shares add up to 1, the JSON agrees with the printed tables).
 */
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { override, TINY } from "../lib/config/mod.ts";
import { denoRun } from "./deno_run.ts";

const deno = denoRun;

Deno.test("deno task diagnose: error budget of a tiny run on training and held-out frames", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-diagnose-" });
  try {
    const run = join(dir, "run");
    // The tiny preset with the demo's rigid torso motion and per-frame pose codes, so the rigid-motion and
    // frame-code reports run too.
    const config = join(dir, "tiny_rigid.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify(
        override(TINY, {
          torso: { motion: "rigid", poseMap: "linear" },
          pose: { kind: "euler", frameCode: 2 },
        }),
      ),
    );
    const t = await deno([
      "experiments/train.ts",
      "--config",
      config,
      "--steps",
      "2",
      "--out",
      run,
      "--eval-frames",
      "1",
      "--skip-validation",
    ]);
    assertEquals(t.code, 0, t.err);
    const json = join(dir, "diag.json");
    const d = await deno(["experiments/diagnose.ts", "--run", run, "--train-frames", "2", "--json", json]);
    assertEquals(d.code, 0, d.err);
    assertStringIncludes(d.out, "train (2 frames, step 2): full-frame PSNR");
    assertStringIncludes(d.out, "held-out (23 frames, step 2)");
    const r = JSON.parse(await Deno.readTextFile(json));
    for (const split of ["train", "held-out"]) {
      const regions = Object.values(r[split].regions) as { pixelShare: number; errorShare: number }[];
      assertAlmostEquals(regions.reduce((s, x) => s + x.pixelShare, 0), 1, 1e-9);
      assertAlmostEquals(regions.reduce((s, x) => s + x.errorShare, 0), 1, 1e-9);
      assert(r[split].haze.meanOpacity >= 0 && r[split].haze.meanOpacity <= 1);
      assert(Number.isFinite(r[split].junctionPsnr), "the head-torso junction is measured");
      // The background image matches the frames away from the person far better than a 2-step model.
      assert(r[split].haze.backgroundImagePsnr > r[split].haze.renderPsnr);
    }
    // The fixture's held-out poses, by hand in float64 from synthetic_gt.json's head poses (numpy, sample
    // covariance, 95th percentile by linear interpolation): 9 of the 23 lie beyond 95 % of the training
    // poses, the farthest at Mahalanobis distance 3.69; here from the frames' c2w matrices.
    assertEquals(r.poses.heldOutBeyond95, 9);
    assertAlmostEquals(r.poses.mahalanobisMax, 3.69, 0.01);
    assertAlmostEquals(r.poses.trainingPercentile95, 2.871, 0.002);
    assertStringIncludes(d.out, "9 of 23 held-out frames beyond");
    assertEquals(r.rigidMotion.poseMap, "linear");
    assertEquals(r.rigidMotion.constant, false, "two steps move the linear map off zero");
    // Two steps move the random codes (standard deviation 0.1) very little; the linear map, off zero, gives
    // each training frame's own code a share of its motion.
    const codes = r.rigidMotion.frameCodes;
    assertEquals(codes.codeStd.length, 2);
    for (const v of codes.codeStd) assert(v > 0.05 && v < 0.15, `code spread ${v}`);
    const fromCodes = [...codes.omegaStdFromCodes, ...codes.tauStdFromCodes];
    assert(
      fromCodes.every((v: number) => Number.isFinite(v) && v >= 0) && fromCodes.some((v: number) => v > 0),
    );
    assertStringIncludes(d.out, "per-frame pose codes (pose.frameCode 2)");
    const bad = await deno(["experiments/diagnose.ts", "--run", run, "--train-frames", "0"]);
    assert(bad.code !== 0);
    assertStringIncludes(bad.err, "--train-frames must be an integer >= 1");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
