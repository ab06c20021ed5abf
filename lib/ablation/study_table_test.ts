import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { PROTOCOL_NAMES } from "../metrics/protocols.ts";
import {
  type AblationRunRecord,
  readStudyTable,
  STUDY_COLUMNS,
  studyJson,
  studyMarkdown,
  studyMetricTables,
  summarizeAblation,
  writeStudyTable,
} from "./study_table.ts";

const run = (row: string, seed: number, mean: Record<string, number>): AblationRunRecord => ({
  row,
  seed,
  config: row,
  steps: 100,
  trainSeconds: 10,
  budget: { steps: 100 },
  mean,
});

// full: PSNR 20, 21, 22 (mean 21, s = 1); "w/o sampler": -0.5 +- 0.1 by seed (a real effect);
// "w/o parsing": -1, +1, 0 by seed (noise), no mIoU.
const RUNS = [
  run("w/o sampler", 2, { psnr: 20.4, headOnly_psnr: 30 }),
  run("full", 1, { psnr: 20, parsingMIoU: 0.5, headOnly_psnr: 30 }),
  run("full", 2, { psnr: 21, parsingMIoU: 0.6, headOnly_psnr: 31 }),
  run("full", 3, { psnr: 22, parsingMIoU: 0.7, headOnly_psnr: 32 }),
  run("w/o sampler", 1, { psnr: 19.5, headOnly_psnr: 29 }),
  run("w/o sampler", 3, { psnr: 21.6, headOnly_psnr: 31 }),
  run("w/o parsing", 1, { psnr: 19, headOnly_psnr: 30 }),
  run("w/o parsing", 2, { psnr: 22, headOnly_psnr: 31 }),
  run("w/o parsing", 3, { psnr: 22, headOnly_psnr: 32 }),
];
const COLUMNS = ["PSNR", "parsing mIoU", "head-only PSNR"];

Deno.test("study table: hand-computed means, intervals and marks in the paper's layout", () => {
  const t = summarizeAblation(RUNS, { columns: COLUMNS, rowOrder: ["full", "w/o parsing"] });
  assertEquals(t.rows.map((r) => r.row), ["full", "w/o parsing", "w/o sampler"]);
  assertEquals(t.rows[2].seeds, [1, 2, 3]);
  assertEquals(t.protocols, {
    "PSNR": PROTOCOL_NAMES.fullFrame,
    "parsing mIoU": PROTOCOL_NAMES.fullFrame,
    "head-only PSNR": PROTOCOL_NAMES.headOnly,
  });
  const md = studyMarkdown(t).split("\n");
  // full: 21 +- 4.303 / sqrt(3) = 2.48; mIoU 0.6 +- 4.303 * 0.1 / sqrt(3) = 0.2484.
  assertEquals(md[2], "| ablation | seeds | steps | PSNR | parsing mIoU | head-only PSNR |");
  assertEquals(md[4], "| full | 3 | 100 | 21.00 ± 2.48 | 0.6000 ± 0.2484 | 31.00 ± 2.48 |");
  assertEquals(md[5], "| w/o parsing | 3 | 100 | 21.00 ± 4.30 | n/a [1] | 31.00 ± 2.48 |");
  const diff = md.slice(md.indexOf(`**Difference to "full", paired by seed: mean ± 95 % interval**`));
  assertEquals(diff[2], "| ablation | pairs | PSNR | parsing mIoU | head-only PSNR |");
  // w/o parsing: differences -1, +1, 0 (s = 1): 0.00 +- 2.48, not marked; head-only 0, 0, 0: +- 0.
  assertEquals(diff[4], "| w/o parsing | 3 | 0.00 ± 2.48 | n/a [1] | 0.00 ± 0.00 |");
  // w/o sampler: -0.5, -0.6, -0.4: -0.50 +- 0.25, marked; head-only -1, -1, -1: exact, marked.
  assertEquals(diff[5], "| w/o sampler | 3 | -0.50 ± 0.25* | n/a [2] | -1.00 ± 0.00* |");
  assertStringIncludes(md.join("\n"), `head-only PSNR: ${PROTOCOL_NAMES.headOnly}`);
  const json = JSON.parse(JSON.stringify(studyJson(t)));
  assertEquals(json.rows[0].PSNR, 21);
  assertEquals(json.rows[1]["parsing mIoU"], null);
  assertEquals(json.rows[2].differences.PSNR.significant, true);
  assert(!("differences" in json.rows[0]), "the reference row has no difference to itself");
});

Deno.test("study table: no reference row means no differences; a (row, seed) twice or mixed budgets are errors", () => {
  const t = summarizeAblation(RUNS.filter((r) => r.row !== "full"), { columns: ["PSNR"] });
  assertEquals(studyMetricTables(t).differences, undefined);
  assertThrows(() => summarizeAblation([...RUNS, RUNS[0]]), Error, `row "w/o sampler" seed 2 twice`);
  assertThrows(() => summarizeAblation(RUNS, { columns: ["LPIPS"] }), Error, `unknown column "LPIPS"`);
  const longer = { ...run("full", 4, { psnr: 30 }), budget: { steps: 200 } };
  assertThrows(() => summarizeAblation([...RUNS, longer]), Error, "different budgets");
  assertThrows(() => summarizeAblation([]), Error, "no runs");
});

Deno.test("study table: a matched comparison between two rows, hand-computed, in Markdown, JSON and back from disk", async () => {
  const pairs = [
    { row: "w/o sampler", reference: "w/o parsing", claim: "the sampler against the parsing branch" },
    { row: "w/o sampler", reference: "absent row" }, // left out: no runs of its reference
  ];
  const t = summarizeAblation(RUNS, { columns: COLUMNS, rowOrder: ["full", "w/o parsing"], pairs });
  assertEquals(t.comparisons?.length, 1);
  const d = t.comparisons![0].differences;
  assertEquals(d.PSNR.seeds, [1, 2, 3]);
  // PSNR by seed: 19.5 - 19, 20.4 - 22, 21.6 - 22 = 0.5, -1.6, -0.4: mean -0.5, s^2 = (1 + 1.21 + 0.01) / 2.
  assertAlmostEquals(d.PSNR.mean, -0.5, 1e-12);
  assertAlmostEquals(d.PSNR.halfWidth, (4.303 * Math.sqrt(1.11)) / Math.sqrt(3), 1e-3);
  assert(!d.PSNR.significant);
  assert(d["head-only PSNR"].significant && d["head-only PSNR"].mean === -1); // 29-30, 30-31, 31-32
  const md = studyMarkdown(t).split("\n");
  const at = md.indexOf(
    "**Matched comparisons: row minus its matched row, paired by seed: mean ± 95 % interval**",
  );
  assert(at > 0, md.join("\n"));
  assertEquals(md[at + 2], "| comparison | pairs | PSNR | parsing mIoU | head-only PSNR |");
  assertEquals(md[at + 4], "| w/o sampler minus w/o parsing | 3 | -0.50 ± 2.62 | n/a [1] | -1.00 ± 0.00* |");
  assertStringIncludes(
    md.join("\n"),
    "w/o sampler minus w/o parsing: the sampler against the parsing branch.",
  );
  // The differences to "full" are still there, before the comparisons.
  assert(md.indexOf(`**Difference to "full", paired by seed: mean ± 95 % interval**`) < at);
  const dir = await Deno.makeTempDir();
  try {
    await writeStudyTable(dir, t);
    const back = await readStudyTable(dir);
    assertEquals(back?.comparisons?.[0].differences.PSNR.mean, d.PSNR.mean);
    assert(
      Number.isNaN(back!.comparisons![0].differences["parsing mIoU"].mean),
      "null in JSON reads back as NaN",
    );
    assertEquals(studyMarkdown(back!), studyMarkdown(t));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(summarizeAblation(RUNS, { columns: COLUMNS }).comparisons, undefined); // none by default
});

Deno.test("study table: the junction column is in the default columns, full-frame protocol, n/a where not measured", () => {
  const t = summarizeAblation([
    run("full", 1, { psnr: 20, psnr_junction: 18 }),
    run("full", 2, { psnr: 21, psnr_junction: 19 }),
    run("old run", 1, { psnr: 20 }), // a record from before the junction metric
  ]);
  assert(STUDY_COLUMNS.includes("junction PSNR"));
  assertEquals(t.protocols["junction PSNR"], PROTOCOL_NAMES.fullFrame);
  assertEquals(t.rows[0].metrics["junction PSNR"].mean, 18.5);
  assert(Number.isNaN(t.rows[1].metrics["junction PSNR"].mean));
  assertStringIncludes(studyMarkdown(t), "old run, junction PSNR: not measured in old run");
});
