import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { decodePng } from "../io/mod.ts";
import { markdownTable, renderReport, writeReport } from "./html_report.ts";
import { image } from "./image_view.ts";
import { linePlot } from "./plot_helpers.ts";
import { base64ToBytes } from "./mime.ts";
import { table } from "./table.ts";

const BUNDLE_MARK = "window.Plotly = Plotly";

Deno.test("report: plotly figures share one inlined plotly.js, in the head", () => {
  const fig = linePlot([{ name: "loss", y: [3, 2, 1] }]);
  const html = renderReport("run <1>", [
    { kind: "heading", text: "curves" },
    { kind: "plot", figure: fig, caption: "loss" },
    { kind: "plot", figure: { data: [{ type: "bar", x: ["a"], y: [1] }] } },
    { kind: "display", item: fig },
  ]);
  assertEquals(html.split(BUNDLE_MARK).length - 1, 1);
  assert(html.indexOf(BUNDLE_MARK) < html.indexOf("</head>"));
  const ids = [...html.matchAll(/<div id="([^"]+)" class="ssp-plotly"/g)].map((m) => m[1]);
  assertEquals(ids.length, 3);
  assertEquals(new Set(ids).size, 3);
  assertStringIncludes(html, "<title>run &lt;1&gt;</title>");
});

Deno.test("report: without figures no plotly.js; display items become their html or image", () => {
  const red = { rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 };
  const html = renderReport("r", [
    { kind: "display", item: image(red) },
    { kind: "display", item: table([{ a: "<x>" }]) },
  ]);
  assertFalse(html.includes(BUNDLE_MARK));
  const png = decodePng(base64ToBytes(html.match(/base64,([^"]+)"/)![1]));
  assertEquals(Array.from(png.data), [255, 0, 0]);
  assertStringIncludes(html, "<td>&lt;x&gt;</td>");
});

Deno.test("report: writeReport writes the file; markdownTable escapes headers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-viz-report-" });
  try {
    await writeReport(`${dir}/r.html`, "t", [{ kind: "text", text: "a & b" }]);
    assertStringIncludes(await Deno.readTextFile(`${dir}/r.html`), "<p>a &amp; b</p>");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(markdownTable([{ "a|b": 0.5 }]), "| a\\|b |\n|---|\n| 0.5000 |\n");
});
