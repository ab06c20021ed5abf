import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { writeImage } from "../io/mod.ts";
import {
  ablationMetricTable,
  ablationRow,
  PAPER_ABLATION_COLUMNS,
  readAblationTable,
  readRunFolder,
  writeAblationTable,
} from "./ablation_results.ts";

Deno.test("ablation table: written, read back with NaN kept, Markdown with n/a and a footnote", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await readAblationTable(dir), null);
    const rows = [
      ablationRow("full", {
        steps: 30,
        trainSeconds: 10.2,
        mean: {
          psnr: 20.123,
          ssim: 0.6,
          psnr_mouth: 17,
          psnr_torso: 16,
          parsingMIoU: 0.4,
          psnrFace: 15,
          ssimFace: 0.3,
        },
      }),
      ablationRow("w/o parsing branch", { steps: 30, trainSeconds: 8, mean: { psnr: 19.5, ssim: 0.55 } }),
    ];
    await writeAblationTable(dir, { data: "fixtures/x", base: "triplane", budget: { steps: 30 }, rows });
    const back = await readAblationTable(dir);
    assert(back);
    assertEquals(back.base, "triplane");
    assertEquals(back.budget, { steps: 30 });
    assertEquals(back.rows[0].PSNR, 20.123);
    assertEquals(back.rows[1]["parsing mIoU"], NaN);
    const md = await Deno.readTextFile(`${dir}/table.md`);
    assertStringIncludes(md, "| full | 30 | 10 | 20.12 | 0.6000 |");
    const paper = ablationMetricTable(back.rows, { columns: PAPER_ABLATION_COLUMNS }).toMarkdown();
    assertStringIncludes(paper, "| ablation | PSNR | SSIM | mouth PSNR | torso PSNR | parsing mIoU |");
    assertStringIncludes(paper, "| w/o parsing branch | 19.50 | 0.5500 | n/a [1] | n/a [2] | n/a [3] |");
    assertStringIncludes(paper, "[3] w/o parsing branch, parsing mIoU: no parsing branch in this row");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["table.json", "table.md"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readAblationTable refuses a file that is not a table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/table.json`, JSON.stringify({ rows: [{ PSNR: 1 }] }));
    await assertRejects(() => readAblationTable(dir), Error, "expected { rows");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readRunFolder: history and validation frames in id order; missing parts are empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await readRunFolder(dir), { history: [], frames: [] });
    await Deno.writeTextFile(`${dir}/history.json`, JSON.stringify([{ step: 1, losses: { total: 0.5 } }]));
    const img = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    for (const id of [230, 221, 9]) await writeImage(`${dir}/val/${id}.png`, img);
    await Deno.writeTextFile(`${dir}/val/notes.txt`, "not a frame");
    const run = await readRunFolder(dir, { maxFrames: 2 });
    assertEquals(run.history[0].losses.total, 0.5);
    assertEquals(run.frames.map((f) => f.imgId), [9, 221]);
    assertEquals(Array.from(run.frames[0].image.data), [1, 2, 3, 4, 5, 6]);
    await assertRejects(() => readRunFolder(`${dir}/nope`), Error, "does not exist");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
