import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { METRIC_NAMES, metricTable, psnrMetric, ssimName } from "./report.ts";
import { summarizePsnr } from "./psnr.ts";

const rows = [
  {
    label: "full",
    metrics: [
      psnrMetric(summarizePsnr([30, 31, Infinity])),
      { name: ssimName("wang2004"), value: 0.91234 },
      { name: METRIC_NAMES.lmdMouth, value: 2.5 },
    ],
  },
  {
    label: "w/o dynamic sampling",
    metrics: [
      { name: METRIC_NAMES.psnr, value: 29.5 },
      { name: METRIC_NAMES.cpbd, value: null, note: "no edges found" },
    ],
  },
];

Deno.test("metricTable: markdown has every column, right-aligned numbers, footnotes for notes", () => {
  const md = metricTable(rows, { title: "Ablations" }).toMarkdown().split("\n");
  assertEquals(md[0], "**Ablations**");
  assertEquals(md[2], "| run | PSNR (dB) | SSIM (Wang 2004) | LMD (face-api) | CPBD |");
  assertEquals(md[3], "| --- | ---: | ---: | ---: | ---: |");
  assertEquals(md[4], "| full | 53.67 [1] | 0.9123 | 2.50 | - |");
  assertEquals(md[5], "| w/o dynamic sampling | 29.50 | - | - | n/a [2] |");
  assertEquals(md[7], "[1] full, PSNR (dB): 1 of 3 frames capped at 100 dB  ");
  assertEquals(md[8], "[2] w/o dynamic sampling, CPBD: no edges found  ");
});

Deno.test("metricTable: text aligns columns; JSON keeps values, notes and non-finite numbers", () => {
  const t = metricTable(rows);
  const lines = t.toText().split("\n");
  assertEquals(
    lines[0].indexOf("PSNR (dB)") + "PSNR (dB)".length,
    lines[2].indexOf("53.67 [1]") + "53.67 [1]".length,
  );
  assertStringIncludes(lines[3], "w/o dynamic sampling");
  const json = JSON.parse(JSON.stringify(t));
  assertEquals(json.columns, ["PSNR (dB)", "SSIM (Wang 2004)", "LMD (face-api)", "CPBD"]);
  assertEquals(json.rows[0].values["SSIM (Wang 2004)"], 0.91234);
  assertEquals(json.rows[1].values["CPBD"], null);
  assertEquals(json.rows[0].notes, { "PSNR (dB)": "1 of 3 frames capped at 100 dB" });
  const inf = metricTable([{ label: "x", metrics: [{ name: METRIC_NAMES.psnr, value: Infinity }] }]);
  assertEquals(inf.toJSON().rows[0].values["PSNR (dB)"], "Infinity");
  assertStringIncludes(inf.toText(), "inf");
  const display = (t as unknown as Record<symbol, () => Record<string, string>>)
    [Symbol.for("Jupyter.display")]();
  assertEquals(display["text/markdown"], t.toMarkdown());
});

Deno.test("metricTable: a metric twice in one row is an error naming the row", () => {
  const m = { name: METRIC_NAMES.cpbd, value: 1 };
  assertThrows(
    () => metricTable([{ label: "r1", metrics: [m, m] }]),
    Error,
    `row "r1" has metric "CPBD" twice`,
  );
  assertEquals(
    metricTable([{ label: "a|b", metrics: [m] }]).toMarkdown().split("\n")[2],
    "| a\\|b | 1.0000 |",
  );
});

Deno.test("metricTable: intervals print as ± with the value's digits, marks as *, notes below, in every form", () => {
  const t = metricTable([
    {
      label: "w/o <parsing>",
      metrics: [
        { name: "PSNR", value: -0.5234, interval: 0.2487, marked: true, digits: 2 },
        { name: "SSIM", value: 0.01, interval: NaN },
      ],
    },
  ], { title: "Difference to full", notes: ["* the 95 % interval excludes 0"] });
  const md = t.toMarkdown().split("\n");
  assertEquals(md[4], "| w/o <parsing> | -0.52 ± 0.25* | 0.0100 |");
  assertEquals(md[6], "* the 95 % interval excludes 0  ");
  assertStringIncludes(t.toText(), "-0.52 ± 0.25*");
  const json = t.toJSON();
  assertEquals(json.rows[0].intervals, { PSNR: 0.2487, SSIM: "NaN" });
  assertEquals(json.rows[0].marked, ["PSNR"]);
  assertEquals(json.notes, ["* the 95 % interval excludes 0"]);
  const html = t.toHtml();
  assertStringIncludes(html, "<caption>Difference to full</caption>");
  assertStringIncludes(html, "<tr><th>run</th><th>PSNR</th><th>SSIM</th></tr>");
  assertStringIncludes(html, "<td>w/o &lt;parsing&gt;</td>");
  assertStringIncludes(html, ">-0.52 ± 0.25*</td>");
  assertStringIncludes(html, "* the 95 % interval excludes 0");
  const plain = metricTable(rows).toJSON();
  assertEquals("intervals" in plain.rows[0] || "notes" in plain, false);
});
