/**
 * Every ablation row (and every torso / sampler / architecture kind it covers) trains two steps on the
 * bundled fixture and renders a frame, with no tensor leak across steps. No row is excluded.
 * The study split into one command per (row, seed) and collected gives the sequential runner's table.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { readStudyTable, runAblation, type StudyRow } from "../lib/ablation/mod.ts";
import { initBackend } from "../lib/backend/mod.ts";
import { override, TINY } from "../lib/config/mod.ts";
import { loadDataset, writeTinyDataset } from "../lib/data/mod.ts";
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

Deno.test("deno task ablation: --emit-commands | xargs -P 2, then --collect, equals the sequential runner", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const script = new URL("../experiments/ablation.ts", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(join(dir, "data"), { frames: 12, width: 16, height: 16, audioDim: 13 });
    const wanted = ["full", "w/o parsing branch"];
    const flags = [
      "--base",
      "tiny",
      "--steps",
      "3",
      "--lr-decay-steps",
      "steps",
      "--seeds",
      "1,2",
      "--rows",
      wanted.join(","),
    ];
    const deno = (args: string[], cwd: string) =>
      new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" }).output();
    const emitted = await deno(
      [
        "run",
        "-A",
        script,
        "--emit-commands",
        ...flags,
        "--data",
        join(dir, "data"),
        "--out",
        join(dir, "cluster"),
      ],
      root,
    );
    assert(emitted.success, new TextDecoder().decode(emitted.stderr));
    const commands = new TextDecoder().decode(emitted.stdout).trim().split("\n");
    assertEquals(commands.length, 4);
    assert(commands.some((c) => c.includes("--row 'w/o parsing branch' --seed 2")), commands.join("\n"));
    assert(commands.every((c) => c.includes("--lr-decay-steps steps")), commands.join("\n"));
    // Each line runs on its own, from another folder: absolute paths, nothing shared but the files.
    const xargs = new Deno.Command("xargs", {
      args: ["-d", "\\n", "-P", "2", "-I{}", "sh", "-c", "{}"],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = xargs.stdin.getWriter();
    await writer.write(new TextEncoder().encode(commands.join("\n") + "\n"));
    await writer.close();
    const ran = await xargs.output();
    assert(ran.success, new TextDecoder().decode(ran.stderr));
    const collected = await deno(
      ["run", "-A", script, "--collect", join(dir, "cluster"), "--base", "tiny"],
      root,
    );
    assert(collected.success, new TextDecoder().decode(collected.stderr));
    assertStringIncludes(new TextDecoder().decode(collected.stdout), "4 runs collected");

    const dataset = await loadDataset(join(dir, "data"));
    const all = ablations(TINY);
    const sequential = await runAblation(
      dataset,
      Object.fromEntries(wanted.map((w) => [w, all[w]])),
      {
        outDir: join(dir, "sequential"),
        seeds: [1, 2],
        steps: 3,
        lrDecaySteps: 3,
        log: () => {},
        progress: false,
      },
    );
    const fromCluster = await readStudyTable(join(dir, "cluster"));
    const strip = (rows: readonly StudyRow[]) => rows.map(({ trainSeconds: _, ...r }) => r);
    assertEquals(strip(fromCluster!.rows), strip(sequential.table.rows));
    assertEquals(fromCluster!.rows.map((r) => r.seeds), [[1, 2], [1, 2]]);
    assert(Number.isFinite(fromCluster!.rows[1].differences!.PSNR.halfWidth));
    // --reference: the differences to another row (here "full" minus "w/o parsing branch").
    const other = await deno(
      [
        "run",
        "-A",
        script,
        "--collect",
        join(dir, "cluster"),
        "--out",
        join(dir, "ref"),
        "--reference",
        wanted[1],
        "--data",
        "fixtures/elsewhere",
      ],
      root,
    );
    assert(other.success, new TextDecoder().decode(other.stderr));
    const byOther = await readStudyTable(join(dir, "ref"));
    assertEquals(byOther?.reference, wanted[1]);
    // The table names the runs' own dataset, unless --data names another (the same files elsewhere).
    assertEquals(fromCluster?.data, join(dir, "data"));
    assertEquals(byOther?.data, "fixtures/elsewhere");
    assertEquals(byOther?.rows[0].differences?.PSNR.mean, -fromCluster!.rows[1].differences!.PSNR.mean);
    const bad = await deno(["run", "-A", script, "--emit-commands", "--reference", "nope"], root);
    assert(!bad.success);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), `--reference: unknown row "nope"`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
