/**
 * A standalone HTML report: headings, text, tables, images (inline PNG), figures (inline SVG or HTML),
 * plotly figures and any notebook display object, in one file with no external resources, so it opens
 * offline and can be archived with a run. A report with plotly figures inlines plotly.js once, in its
 * head (about 4.8 MB).
 * @module
 */
import { encodePng, type Image, writeFileAtomic } from "../io/mod.ts";
import { escapeHtml } from "./html_text.ts";
import { bundleToHtml, bytesToBase64, type Displayable, displayBundle } from "./mime.ts";
import { plot, type PlotlyFigure, plotlyLoaderHtml, PlotView } from "./plotly.ts";

export { escapeHtml };

/** A block of a report. */
export type ReportBlock =
  | { readonly kind: "heading"; readonly text: string; readonly level?: 1 | 2 | 3 }
  | { readonly kind: "text"; readonly text: string }
  | {
    readonly kind: "table";
    readonly rows: readonly Record<string, string | number>[];
    readonly caption?: string;
  }
  | {
    readonly kind: "images";
    readonly images: readonly { readonly image: Image; readonly caption: string }[];
    readonly scale?: number;
  }
  | { readonly kind: "html"; readonly html: string }
  /** A plotly figure (or a figure made by `plot`, `linePlot`, `barPlot`), drawn with the inlined plotly.js. */
  | { readonly kind: "plot"; readonly figure: PlotlyFigure | PlotView; readonly caption?: string }
  /** Any notebook display object of `lib/viz` (image, grid, comparison, table, video, plot...). */
  | { readonly kind: "display"; readonly item: Displayable };

/** An `<img>` tag holding the image as an inline PNG. */
export function imageTag(img: Image, options: { scale?: number; alt?: string } = {}): string {
  const b64 = bytesToBase64(encodePng(img));
  const s = options.scale ?? 1;
  return `<img src="data:image/png;base64,${b64}" width="${img.width * s}" height="${img.height * s}" ` +
    `alt="${escapeHtml(options.alt ?? "")}" style="image-rendering: pixelated">`;
}

function formatCell(v: string | number): string {
  if (typeof v === "string") return escapeHtml(v);
  if (Number.isNaN(v)) return "-"; // NaN marks a value that does not apply (e.g. mIoU of a row without parsing)
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  // Small magnitudes keep significant digits instead of rounding to 0.0000.
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(Math.abs(v) < 1 ? 4 : 2);
}

/** An HTML table from rows of the same keys (the first row's keys are the columns). */
export function htmlTable(rows: readonly Record<string, string | number>[], caption?: string): string {
  if (rows.length === 0) return "<p>(no rows)</p>";
  const cols = Object.keys(rows[0]);
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${cols.map((c) => `<td>${formatCell(r[c] ?? "")}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table>${
    caption ? `<caption>${escapeHtml(caption)}</caption>` : ""
  }<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A markdown table from rows of the same keys. */
export function markdownTable(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return "(no rows)\n";
  const cols = Object.keys(rows[0]);
  const cell = (
    v: string | number | undefined,
  ) => (v === undefined ? "" : formatCell(v).replace(/\|/g, "\\|"));
  return [
    `| ${cols.map((c) => cell(c)).join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cols.map((c) => cell(r[c])).join(" | ")} |`),
  ].join("\n") + "\n";
}

function plotView(x: PlotlyFigure | PlotView): PlotView {
  return x instanceof PlotView ? x : plot(x, { includePlotlyJs: "never" });
}

/**
 * Renders blocks into a complete HTML document.
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { renderReport } from "./html_report.ts";
 * import { linePlot } from "./plot_helpers.ts";
 * const fig = linePlot([{ name: "loss", y: [1, 0.5] }]);
 * const html = renderReport("run", [{ kind: "plot", figure: fig }, { kind: "display", item: fig }]);
 * assertEquals(html.split("window.Plotly = Plotly").length - 1, 1); // the bundle once, two figures
 * assertStringIncludes(html, "Plotly.newPlot");
 * ```
 */
export function renderReport(title: string, blocks: readonly ReportBlock[]): string {
  const hasPlots = blocks.some((b) =>
    b.kind === "plot" || (b.kind === "display" && b.item instanceof PlotView)
  );
  const parts = blocks.map((b) => {
    switch (b.kind) {
      case "heading": {
        const l = b.level ?? 2;
        return `<h${l}>${escapeHtml(b.text)}</h${l}>`;
      }
      case "text":
        return `<p>${escapeHtml(b.text)}</p>`;
      case "table":
        return htmlTable(b.rows, b.caption);
      case "images":
        return `<div class="images">${
          b.images.map((i) =>
            `<figure>${imageTag(i.image, { scale: b.scale, alt: i.caption })}<figcaption>${
              escapeHtml(i.caption)
            }</figcaption></figure>`
          ).join("")
        }</div>`;
      case "html":
        return b.html;
      case "plot": {
        const v = plotView(b.figure);
        const cap = b.caption ? `<figcaption>${escapeHtml(b.caption)}</figcaption>` : "";
        return `<figure class="plot">${v.html(false)}${cap}</figure>`;
      }
      case "display":
        if (b.item instanceof PlotView) return `<figure class="plot">${b.item.html(false)}</figure>`;
        return `<div class="display">${bundleToHtml(displayBundle(b.item))}</div>`;
    }
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th { background: #f4f4f4; } caption { text-align: left; font-weight: bold; padding: 4px 0; }
.images { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; } figcaption { font-size: 12px; text-align: center; }
figure.plot, .display { margin: 1em 0; }
</style>${hasPlots ? "\n" + plotlyLoaderHtml() : ""}</head><body>
<h1>${escapeHtml(title)}</h1>
${parts.join("\n")}
</body></html>
`;
}

/** Writes a report atomically. */
export async function writeReport(
  path: string,
  title: string,
  blocks: readonly ReportBlock[],
): Promise<void> {
  await writeFileAtomic(path, renderReport(title, blocks));
}
