import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../backend/mod.ts";
import { override, TINY, TRIPLANE } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { readAblationTable } from "../metrics/ablation_results.ts";
import { PROTOCOL_NAMES } from "../metrics/protocols.ts";
import { collectRunRecords, readRunRecord, RUN_RECORD_FILE } from "./collect.ts";
import { ablations } from "./rows.ts";
import { runAblation } from "./run_ablation.ts";
import { readStudyTable } from "./study_table.ts";

await initBackend({ log: null });

async function tinyStudyData(dir: string) {
  await writeTinyDataset(join(dir, "data"), { frames: 12, width: 16, height: 16, audioDim: 13 });
  return await loadDataset(join(dir, "data"));
}

const ROWS = {
  "full": override(TINY, { name: "full" }),
  "w/o parsing branch": override(TINY, { name: "no-parsing", parsing: { enabled: false } }),
};
const quiet = { log: () => {}, progress: false as const };

Deno.test("runAblation: same config, seed and steps give identical metrics twice; seeds differ", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dataset = await tinyStudyData(dir);
    const row = { "full": ROWS.full };
    const before = tf.memory().numTensors;
    const a = await runAblation(dataset, row, { outDir: join(dir, "a"), seeds: [1, 2], steps: 4, ...quiet });
    const b = await runAblation(dataset, row, { outDir: join(dir, "b"), seeds: [1, 2], steps: 4, ...quiet });
    assertEquals(tf.memory().numTensors, before, "tensors leaked across a study");
    assertEquals(a.runs.map((r) => r.steps), [4, 4], "a step budget trains exactly that many steps");
    assertEquals(a.runs.map((r) => r.mean), b.runs.map((r) => r.mean));
    assert(a.runs[0].mean.psnr !== a.runs[1].mean.psnr, "another seed is another run");
    for (
      const key of [
        "psnr",
        "ssim",
        "headOnly_psnr",
        "headOnly_ssim",
        "psnr_mouth",
        "psnr_junction",
        "parsingMIoU",
      ]
    ) {
      assert(Number.isFinite(a.runs[0].mean[key]), `mean has ${key}`);
    }
    const metrics = JSON.parse(await Deno.readTextFile(join(dir, "a", "full", "seed-1", "metrics.json")));
    assertEquals(metrics.byProtocol[PROTOCOL_NAMES.headOnly].psnr, a.runs[0].mean.headOnly_psnr);
    assertEquals(metrics.byProtocol[PROTOCOL_NAMES.fullFrame].psnr, a.runs[0].mean.psnr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAblation: the demo's tri-plane backbone with every SSP-NeRF part gives identical metrics twice", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dataset = await tinyStudyData(dir);
    const full = override(TRIPLANE, {
      name: "full",
      train: { raysPerStep: 128, evalEvery: 0, checkpointEvery: 0 },
    });
    assertEquals([full.parsing.enabled, full.pixelSampler.kind, full.torso.kind], [
      true,
      "semanticDynamic",
      "deform3d",
    ]);
    const study = (out: string) =>
      runAblation(dataset, { full }, {
        outDir: join(dir, out),
        seeds: [7],
        steps: 3,
        saveFrames: false,
        ...quiet,
      });
    const [a, b] = [await study("a"), await study("b")];
    assertEquals(a.runs[0].mean, b.runs[0].mean);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAblation: resumes from finished run folders, refuses a folder of another budget", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dataset = await tinyStudyData(dir);
    const out = join(dir, "out");
    const lines: string[] = [];
    const first = await runAblation(dataset, ROWS, { outDir: out, seeds: [1, 2], steps: 2, ...quiet });
    // An interrupted study: one run folder lost its record (it never finished).
    await Deno.remove(join(out, "no-parsing", "seed-2", RUN_RECORD_FILE));
    const second = await runAblation(dataset, ROWS, {
      outDir: out,
      seeds: [1, 2],
      steps: 2,
      log: (l) => lines.push(l),
      progress: false,
    });
    assertEquals(lines.filter((l) => l.includes("finished earlier")).length, 3);
    assertEquals(lines.filter((l) => l.includes("training 2 steps")).length, 1);
    assertEquals(second.runs.map((r) => r.mean), first.runs.map((r) => r.mean));
    const back = await readStudyTable(out);
    assertEquals(back?.rows.map((r) => r.row), ["full", "w/o parsing branch"]);
    assertEquals(back?.rows[1].differences?.PSNR.mean, second.table.rows[1].differences?.PSNR.mean);
    assert(Number.isNaN(back!.rows[1].metrics["parsing mIoU"].mean), "null in JSON reads back as NaN");
    const plain = await readAblationTable(out); // the one-seed reader still reads the means
    assertEquals(plain?.rows[0].PSNR, second.table.rows[0].metrics.PSNR.mean);
    assertStringIncludes(await Deno.readTextFile(join(out, "table.md")), "head-only PSNR");
    assertStringIncludes(await Deno.readTextFile(join(out, "report.html")), "Difference to &quot;full&quot;");
    await assertRejects(
      () => runAblation(dataset, ROWS, { outDir: out, seeds: [1], steps: 3, ...quiet }),
      Error,
      "holds a run of another config",
    );
    await assertRejects(
      () => runAblation(dataset, ROWS, { outDir: out, seeds: [1], steps: 2, seconds: 100, ...quiet }),
      Error,
      "was trained with budget",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAblation: the matched comparison two NeRFs minus one NeRF (AD-NeRF settings) by seed, junction included", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dataset = await tinyStudyData(dir);
    const all = ablations(TINY);
    const labels = ["two NeRFs (AD-NeRF)", "one NeRF (AD-NeRF settings)"];
    const out = join(dir, "out");
    const study = await runAblation(dataset, Object.fromEntries(labels.map((l) => [l, all[l]])), {
      outDir: out,
      seeds: [1, 2],
      steps: 2,
      saveFrames: false,
      ...quiet,
    });
    // No "full" among the rows: no differences to it, but the matched comparison (ABLATION_PAIRS) is there.
    assertEquals(study.differences, undefined);
    const c = study.table.comparisons!;
    assertEquals(c.map((p) => [p.row, p.reference]), [labels]);
    const mean = (row: string, seed: number, key: string) =>
      study.runs.find((r) => r.row === row && r.seed === seed)!.mean[key];
    for (const [column, key] of [["PSNR", "psnr"], ["junction PSNR", "psnr_junction"]]) {
      const d = c[0].differences[column];
      assertEquals(d.seeds, [1, 2]);
      const bySeed = [1, 2].map((s) => mean(labels[0], s, key) - mean(labels[1], s, key));
      assert(bySeed.every(Number.isFinite), `${key} measured in both rows`);
      assertEquals(d.mean, (bySeed[0] + bySeed[1]) / 2);
    }
    const md = await Deno.readTextFile(join(out, "table.md"));
    assertStringIncludes(md, "| two NeRFs (AD-NeRF) minus one NeRF (AD-NeRF settings) | 2 |");
    assertStringIncludes(md, "junction PSNR: over the neck");
    assertStringIncludes(await Deno.readTextFile(join(out, "report.html")), "Matched comparisons");
    assertEquals(
      (await readStudyTable(out))?.comparisons?.[0].differences.PSNR.mean,
      c[0].differences.PSNR.mean,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runAblation: bad options are named", async () => {
  const dataset = { root: "x" } as never;
  await assertRejects(() => runAblation(dataset, {}, { outDir: "x" }), Error, "rows is empty");
  await assertRejects(
    () => runAblation(dataset, ROWS, { outDir: "x", seeds: [1, 1] }),
    Error,
    "distinct integers",
  );
  await assertRejects(() => runAblation(dataset, ROWS, { outDir: "x", steps: 0 }), Error, "positive integer");
  await assertRejects(
    () => runAblation(dataset, ROWS, { outDir: "x", lrDecaySteps: 0 }),
    Error,
    'lrDecaySteps must be a positive integer or "steps": got 0',
  );
  const same = { a: ROWS.full, b: ROWS.full };
  await assertRejects(() => runAblation(dataset, same, { outDir: "x" }), Error, `config name "full"`);
});

Deno.test("runAblation: lrDecaySteps sets every run's decay, \"steps\" to its budget; absent keeps the row's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dataset = await tinyStudyData(dir);
    const row = { "full": ROWS.full };
    const decayOf = async (out: string) =>
      JSON.parse(await Deno.readTextFile(join(dir, out, "full", "seed-1", "config.json"))).train.lrDecaySteps;
    const run = (out: string, lrDecaySteps?: number | "steps") =>
      runAblation(dataset, row, { outDir: join(dir, out), seeds: [1], steps: 3, lrDecaySteps, ...quiet });
    const own = await run("own");
    assertEquals(await decayOf("own"), TINY.train.lrDecaySteps);
    await run("budget", "steps");
    assertEquals(await decayOf("budget"), 3);
    const fixed = await run("fixed", 7);
    assertEquals(await decayOf("fixed"), 7);
    assert(own.runs[0].mean.psnr !== fixed.runs[0].mean.psnr, "another decay is another run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("collectRunRecords: finds run folders at any depth, keeps agreeing duplicates, refuses conflicts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const record = (seed: number, psnr: number) => ({
      row: "full",
      seed,
      config: "full",
      steps: 5,
      trainSeconds: 1,
      budget: { steps: 5 },
      mean: { psnr, parsingMIoU: null },
    });
    const put = async (sub: string, r: unknown) => {
      await Deno.mkdir(join(dir, sub), { recursive: true });
      await Deno.writeTextFile(join(dir, sub, RUN_RECORD_FILE), JSON.stringify(r));
    };
    await put("node1/full/seed-1", record(1, 20));
    await put("node2/full/seed-1", record(1, 20));
    await put("node2/full/seed-2", record(2, 21));
    await Deno.mkdir(join(dir, "node2/full/seed-3")); // unfinished: no record
    const runs = await collectRunRecords([join(dir, "node1"), join(dir, "node2")]);
    assertEquals(runs.map((r) => [r.seed, r.mean.psnr]), [[1, 20], [2, 21]]);
    assert(Number.isNaN(runs[0].mean.parsingMIoU));
    await put("node3/seed-1", record(1, 19));
    await assertRejects(() => collectRunRecords([dir]), Error, `row "full" seed 1 has two different results`);
    await assertRejects(() => collectRunRecords([join(dir, "nope")]), Error, "is not a folder");
    await put("bad", { ...record(1, 1), seed: "one" });
    await assertRejects(() => readRunRecord(join(dir, "bad")), Error, `field "seed" must be an integer`);
    assertEquals(await readRunRecord(join(dir, "node2/full/seed-3")), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
