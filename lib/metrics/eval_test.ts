import {
  assert,
  assertEquals,
  assertGreater,
  assertLess,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { readImage, readMono16k, resizeImage, writeImage } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { createLandmarkDetector } from "../landmarks/detector.ts";
import { evaluateClips, FRAMES_WITHOUT_FACE, writeEvalReport } from "./eval.ts";
import { type EvalClip, loadEvalClip } from "./eval_frames.ts";

await initBackend({ log: null });

const ROOT = new URL("../../", import.meta.url);
const FRAMES = new URL("fixtures/synthetic_portrait/ori_imgs", ROOT).pathname;
const AUDIO = new URL("fixtures/synthetic_portrait/aud.wav", ROOT).pathname;

/** 3x3 box blur, edges clamped: a plausible "blurry method" output. */
function blur(img: Image): Image {
  const { width: w, height: h, channels: c } = img, out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = Math.min(h - 1, Math.max(0, y + dy)), xx = Math.min(w - 1, Math.max(0, x + dx));
            s += img.data[(yy * w + xx) * c + k];
          }
        }
        out[(y * w + x) * c + k] = Math.round(s / 9);
      }
    }
  }
  return { ...img, data: out };
}

function value(
  table: { rows: { label: string; values: Record<string, unknown> }[] },
  row: number,
  col: string,
) {
  return table.rows[row].values[col];
}

Deno.test("evaluateClips on the fixture: ground truth against itself and against a blurred copy", async () => {
  const gt = await loadEvalClip(FRAMES, { maxFrames: 60 });
  const blurred: EvalClip = { ...gt, label: "blurred", frames: gt.frames.map(blur) };
  const audio = await readMono16k(AUDIO);
  const detector = await createLandmarkDetector({ inputSize: 128 });
  try {
    const self = (await evaluateClips(gt, gt, { audio, detector, faceCrop: true })).table.toJSON();
    assertEquals(value(self, 0, "PSNR (dB)"), 100);
    assertEquals(self.rows[0].notes["PSNR (dB)"], "60 of 60 frames capped at 100 dB");
    assertEquals(value(self, 0, "SSIM (Wang 2004)"), 1);
    assertEquals(value(self, 0, "SSIM face crop (Wang 2004)"), 1);
    assertEquals(value(self, 0, "LMD (face-api)"), 0);
    assertEquals(value(self, 0, "LPIPS (AlexNet)"), null);
    assertEquals(self.rows[0].notes["LPIPS (AlexNet)"], "unavailable (no weights)");
    assertEquals(value(self, 0, FRAMES_WITHOUT_FACE), 0);
    // the ground truth's own row: the no-reference metrics, and nothing that needs a reference
    assertEquals(value(self, 1, "CPBD"), value(self, 0, "CPBD"));
    assertEquals(value(self, 1, "LA-Sync offset"), value(self, 0, "LA-Sync offset"));
    assertEquals(value(self, 1, "PSNR (dB)"), undefined);
    assertEquals(value(self, 1, "SS-Sync confidence"), null); // no model given
    assertStringIncludes(self.rows[1].notes["SS-Sync confidence"], "never comparable with SyncNet");

    const report = await evaluateClips(blurred, gt, { audio, detector });
    const b = report.table.toJSON();
    const psnr = value(b, 0, "PSNR (dB)") as number, ssim = value(b, 0, "SSIM (Wang 2004)") as number;
    assert(psnr > 20 && psnr < 60, `blurred PSNR ${psnr}`);
    assert(ssim > 0.5 && ssim < 1, `blurred SSIM ${ssim}`);
    assertLess(value(b, 0, "CPBD") as number, value(b, 1, "CPBD") as number);
    assertGreater(value(b, 0, "LMD (face-api)") as number, 0);
    const dir = await Deno.makeTempDir();
    try {
      const paths = await writeEvalReport(dir, report);
      assertEquals(paths.map((p) => p.slice(dir.length + 1)), ["metrics.txt", "metrics.md", "metrics.json"]);
      const json = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
      assertEquals(json.table.rows[0].values["PSNR (dB)"], psnr);
      assertEquals(json.details.comparedFrames, 60);
      assertEquals([...Deno.readDirSync(dir)].length, 3); // no temporary files left behind
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    detector.dispose();
  }
});

Deno.test("evaluateClips: different frame sizes fail unless resized; counts are matched by index", async () => {
  const gt = await loadEvalClip(FRAMES, { maxFrames: 4 });
  const small: EvalClip = {
    ...gt,
    label: "small",
    frames: gt.frames.slice(0, 3).map((f) => resizeImage(f, 64, 64)),
  };
  await assertRejects(() => evaluateClips(small, gt), Error, "pred frames are 64x64, gt frames 128x128");
  const audio = await readMono16k(AUDIO);
  const r = (await evaluateClips(small, gt, { resize: true, audio })).table.toJSON();
  assertStringIncludes(r.rows[0].notes["PSNR (dB)"], "pred 3 frames, gt 4: the first 3 compared by index");
  assertLess(r.rows[0].values["PSNR (dB)"] as number, 100);
  // 3 and 4 frames are too few for an offset search: reported with the reason, not as a number
  assertEquals(r.rows[0].values["LA-Sync confidence"], null);
  assertStringIncludes(r.rows[0].notes["LA-Sync confidence"], "fewer than 10 frames");
  const silent = (await evaluateClips(gt, gt)).table.toJSON(); // folders carry no audio
  assertStringIncludes(silent.rows[1].notes["LA-Sync confidence"], "no audio");
});

Deno.test("deno task eval end to end: ground truth vs itself and vs a blurred copy, through the CLI", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const n = 12;
    await Deno.mkdir(`${dir}/blurred`);
    for (let i = 0; i < n; i++) {
      await writeImage(`${dir}/blurred/${i}.png`, blur(await readImage(`${FRAMES}/${i}.jpg`)));
    }
    const run = async (pred: string, out: string) => {
      const t0 = performance.now();
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "experiments/eval.ts",
          "--pred",
          pred,
          "--gt",
          FRAMES,
          "--audio",
          AUDIO,
          "--max-frames",
          `${n}`,
          "--out",
          out,
        ],
        cwd: ROOT.pathname,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(stdout);
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      console.log(`eval CLI on ${n} frames: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return { text, json: JSON.parse(await Deno.readTextFile(`${out}/metrics.json`)) };
    };
    const self = await run(FRAMES, `${dir}/self`);
    assertStringIncludes(self.text, "PSNR (dB)");
    assertStringIncludes(self.text, `${n} of ${n} frames capped at 100 dB`);
    assertEquals(self.json.table.rows[0].values["PSNR (dB)"], 100);
    assertEquals(self.json.table.rows[0].values["SSIM (Wang 2004)"], 1);
    const blurred = await run(`${dir}/blurred`, `${dir}/blurred_out`);
    const row = blurred.json.table.rows[0].values;
    assertLess(row["PSNR (dB)"], 60);
    assertLess(row["SSIM (Wang 2004)"], 1);
    assertStringIncludes(await Deno.readTextFile(`${dir}/blurred_out/metrics.md`), "| PSNR (dB) |");
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "experiments/eval.ts", "--pred", `${dir}/none`, "--gt", FRAMES],
      cwd: ROOT.pathname,
      stderr: "piped",
    }).output();
    assertEquals(bad.code, 1);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), "does not exist");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
