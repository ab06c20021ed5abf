/**
 * The command-line tasks end to end on the bundled fixture: train a tiny run, resume it, render a video
 * for held-out audio from its checkpoint; and the clear errors of bad input.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { Adam } from "../lib/train/mod.ts";
import { renderCommand } from "../experiments/render.ts";
import { loadConfig } from "../experiments/cli.ts";
import { DEMO, TINY } from "../lib/config/mod.ts";
import { denoRun } from "./deno_run.ts";

const deno = denoRun;

Deno.test("train -> resume -> render: a tiny run on the fixture, then a held-out-audio video", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-cli-" });
  try {
    const run = join(dir, "run");
    const t = await deno([
      "experiments/train.ts",
      "--config",
      "tiny",
      "--steps",
      "2",
      "--out",
      run,
      "--eval-frames",
      "2",
    ]);
    assertEquals(t.code, 0, t.err);
    assertStringIncludes(t.out, "validation (2 frames): PSNR");
    for (
      const f of [
        "config.json",
        "checkpoint.json",
        "history.json",
        "metrics.json",
        "evals.json",
        "val/221.png",
      ]
    ) {
      assert((await Deno.stat(join(run, f))).isFile, f);
    }
    const r = await deno([
      "experiments/train.ts",
      "--config",
      "tiny",
      "--steps",
      "3",
      "--out",
      run,
      "--resume",
      "--eval-frames",
      "1",
    ]);
    assertEquals(r.code, 0, r.err);
    assertStringIncludes(r.err, "resumed");
    const history = JSON.parse(await Deno.readTextFile(join(run, "history.json")));
    assertEquals(history.map((h: { step: number }) => h.step), [1, 2, 3]);
    const out = join(dir, "heldout.mp4");
    const v = await deno([
      "experiments/render.ts",
      "--run",
      run,
      "--audio",
      "fixtures/speech/heldout.wav",
      "--frames",
      "3",
      "--out",
      out,
    ]);
    assertEquals(v.code, 0, v.err);
    assertStringIncludes(v.out, "3 frames");
    assert((await Deno.stat(out)).size > 1000);
    // The render command in this process: it renders through a Scene and builds no optimizer.
    await initBackend({ log: null });
    const adams = Adam.constructed;
    await renderCommand(["--run", run, "--val", "--workers", "0"]);
    assertEquals(Adam.constructed, adams, "deno task render constructed an optimizer");
    assert((await Deno.stat(join(run, "render_val", "221.png"))).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input gives a clear error and exit code 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-cli-bad-" });
  try {
    const cfg = await deno(["experiments/train.ts", "--config", "nonsense", "--out", join(dir, "x")]);
    assertEquals(cfg.code, 1);
    assertStringIncludes(cfg.err, "config must be a preset");
    const data = await deno([
      "experiments/train.ts",
      "--data",
      join(dir, "missing"),
      "--config",
      "tiny",
      "--out",
      join(dir, "y"),
    ]);
    assertEquals(data.code, 1);
    assertStringIncludes(data.err, "transforms_train.json");
    const flag = await deno(["experiments/train.ts", "--bogus"]);
    assertEquals(flag.code, 2);
    assertStringIncludes(flag.err, "--bogus");
    const noRun = await deno(["experiments/render.ts", "--run", join(dir, "nothing"), "--val"]);
    assertEquals(noRun.code, 1);
    assertStringIncludes(noRun.err, "no such file or folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config files: an override without a name is named after its file; demo is a base; old fields map", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-config-" });
  try {
    const path = join(dir, "short_demo.json");
    await Deno.writeTextFile(path, JSON.stringify({ base: "demo", override: { train: { steps: 5 } } }));
    const c = await loadConfig(path);
    assertEquals(c.name, "short_demo");
    assertEquals(c.train.steps, 5);
    assertEquals({ ...c, name: "demo", train: { ...c.train, steps: 2400 } }, DEMO);
    // A name of its own is kept.
    await Deno.writeTextFile(path, JSON.stringify({ base: "demo", override: { name: "mine" } }));
    assertEquals((await loadConfig(path)).name, "mine");
    // An old override (the parsing weight in the parsing section) maps to the loss section.
    await Deno.writeTextFile(path, JSON.stringify({ base: "tiny", override: { parsing: { lambdaSem: 0 } } }));
    const o = await loadConfig(path);
    assertEquals([o.loss.semantic, o.loss.semanticCoarse], [0, 0]);
    // An old whole config (a run's config.json from before the loss section) loads with its weights.
    const { loss: _l, pose: _p, ...rest } = TINY;
    const old = {
      ...rest,
      train: { ...TINY.train, coarseWeight: 0.5 },
      parsing: { enabled: true, lambdaSem: 0.2 },
    };
    await Deno.writeTextFile(path, JSON.stringify(old));
    const u = await loadConfig(path);
    assertEquals(u.loss, { rgb: 1, rgbCoarse: 0.5, semantic: 0.2, semanticCoarse: 0.1, deformation: 0 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
