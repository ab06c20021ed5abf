/**
 * Tables of metric results, as terminal text, Markdown, HTML and a JSON object, with column names that say
 * what was computed (which SSIM, which landmark detector, whether PSNR was capped), and optionally a
 * confidence interval and a mark per value (ablations over seeds).
 * @module
 */
import { escapeHtml } from "../viz/html_text.ts";
import type { PsnrSummary } from "./psnr.ts";
import type { SsimVariant } from "./ssim.ts";

/** Column names for the metrics of this toolkit; use them so tables from different runs line up. */
export const METRIC_NAMES = {
  psnr: "PSNR (dB)",
  ssimWang2004: "SSIM (Wang 2004)",
  ssimSkimage: "SSIM (skimage 7x7)",
  lmdMouth: "LMD (face-api)",
  lmdFace: "LMD face (face-api)",
  cpbd: "CPBD",
  miou: "parsing mIoU",
} as const;

/** The column name of an SSIM variant. */
export function ssimName(variant: SsimVariant): string {
  return variant === "wang2004" ? METRIC_NAMES.ssimWang2004 : METRIC_NAMES.ssimSkimage;
}

/** One number of a report. */
export interface MetricResult {
  /** Column name, e.g. {@linkcode METRIC_NAMES}.psnr. */
  readonly name: string;
  /** The value; `null` when it could not be computed (the note should say why). */
  readonly value: number | null;
  /** A remark printed as a footnote, e.g. "2 of 50 frames capped at 100 dB". */
  readonly note?: string;
  /** Decimals to print. @default {2 for dB and pixel distances, 4 otherwise} */
  readonly digits?: number;
  /** Half-width of a confidence interval, printed as `value ± interval` (a non-finite one is not printed). */
  readonly interval?: number;
  /** Printed with a trailing `*` (the table's `notes` say what the mark means). */
  readonly marked?: boolean;
}

/** One row of a report: a run, an ablation or a clip, and its metrics. */
export interface ReportRow {
  readonly label: string;
  readonly metrics: readonly MetricResult[];
}

/** The JSON form of a {@linkcode MetricTable}; non-finite values are written as strings ("Infinity"). */
export interface MetricTableJson {
  readonly title?: string;
  readonly columns: string[];
  readonly rows: {
    label: string;
    values: Record<string, number | string | null>;
    notes: Record<string, string>;
    /** Interval half-widths of the values that have one. */
    intervals?: Record<string, number | string | null>;
    /** Names of the marked values. */
    marked?: string[];
  }[];
  /** Lines printed below the table (what `±` and `*` mean, the protocol). */
  readonly notes?: string[];
}

/**
 * A {@linkcode MetricResult} for a mean PSNR, noting how many frames hit the cap.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { psnrMetric } from "./report.ts";
 * import { summarizePsnr } from "./psnr.ts";
 * const m = psnrMetric(summarizePsnr([30, Infinity]));
 * assert(m.value === 65 && m.note === "1 of 2 frames capped at 100 dB");
 * ```
 */
export function psnrMetric(summary: PsnrSummary): MetricResult {
  const note = summary.capped
    ? `${summary.capped} of ${summary.frames} frames capped at ${summary.cap} dB`
    : undefined;
  return { name: METRIC_NAMES.psnr, value: summary.psnr, ...(note ? { note } : {}) };
}

function defaultDigits(name: string): number {
  return /dB|LMD|px/.test(name) ? 2 : 4;
}

function formatNumber(v: number, digits: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return v.toFixed(digits);
}

function formatValue(m: MetricResult): string {
  if (m.value === null) return "n/a";
  const digits = m.digits ?? defaultDigits(m.name);
  let cell = formatNumber(m.value, digits);
  if (m.interval !== undefined && Number.isFinite(m.interval)) {
    cell += ` ± ${formatNumber(m.interval, digits)}`;
  }
  return m.marked ? cell + "*" : cell;
}

/** Options of a {@linkcode MetricTable}. */
export interface MetricTableOptions {
  /** Printed above the table. */
  readonly title?: string;
  /** The first column's header. @default {"run"} */
  readonly rowHeader?: string;
  /** Lines printed below the table, after the footnotes (what `±` and `*` mean, the protocol). */
  readonly notes?: readonly string[];
}

/**
 * A table of metric results: rows are runs, columns the union of metric names in first-seen order.
 * Shows as Markdown in a Jupyter notebook.
 */
export class MetricTable {
  /** Column names (metric names), first-seen order. */
  readonly columns: string[];
  readonly #notes: { row: string; column: string; note: string }[] = [];
  readonly #cells: string[][];

  /**
   * @param rows The rows, each with its metrics.
   * @param options `title` printed above the table; `rowHeader`, the first column's header; `notes`,
   *   lines printed below it (e.g. what `±` and `*` mean).
   */
  constructor(
    readonly rows: readonly ReportRow[],
    readonly options: MetricTableOptions = {},
  ) {
    const columns: string[] = [];
    for (const row of rows) {
      const seen = new Set<string>();
      for (const m of row.metrics) {
        if (seen.has(m.name)) {
          throw new Error(`metric table: row "${row.label}" has metric "${m.name}" twice`);
        }
        seen.add(m.name);
        if (!columns.includes(m.name)) columns.push(m.name);
      }
    }
    this.columns = columns;
    this.#cells = rows.map((row) =>
      columns.map((col) => {
        const m = row.metrics.find((x) => x.name === col);
        if (!m) return "-";
        let cell = formatValue(m);
        if (m.note) {
          this.#notes.push({ row: row.label, column: col, note: m.note });
          cell += ` [${this.#notes.length}]`;
        }
        return cell;
      })
    );
  }

  #header(): string[] {
    return [this.options.rowHeader ?? "run", ...this.columns];
  }

  #footnotes(): string[] {
    return [
      ...this.#notes.map((n, i) => `[${i + 1}] ${n.row}, ${n.column}: ${n.note}`),
      ...(this.options.notes ?? []),
    ];
  }

  /** Plain text with aligned columns (numbers right-aligned) and footnotes below. */
  toText(): string {
    const header = this.#header();
    const body = this.rows.map((r, i) => [r.label, ...this.#cells[i]]);
    const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => row[j].length)));
    const line = (cells: string[]) =>
      cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ").trimEnd();
    const out = [
      ...(this.options.title ? [this.options.title] : []),
      line(header),
      widths.map((w) => "-".repeat(w)).join("  "),
      ...body.map(line),
      ...this.#footnotes(),
    ];
    return out.join("\n");
  }

  /** A GitHub-flavoured Markdown table, footnotes below. */
  toMarkdown(): string {
    const esc = (s: string) => s.replaceAll("|", "\\|");
    const header = this.#header();
    const out = [
      ...(this.options.title ? [`**${esc(this.options.title)}**`, ""] : []),
      `| ${header.map(esc).join(" | ")} |`,
      `|${header.map((_, j) => (j === 0 ? " --- " : " ---: ")).join("|")}|`,
      ...this.rows.map((r, i) => `| ${[r.label, ...this.#cells[i]].map(esc).join(" | ")} |`),
    ];
    const notes = this.#footnotes();
    if (notes.length) out.push("", ...notes.map((n) => esc(n) + "  "));
    return out.join("\n");
  }

  /** An HTML `<table>` (title as caption, numbers right-aligned), footnotes below; for reports. */
  toHtml(): string {
    const header = this.#header();
    const notes = this.#footnotes();
    return [
      `<table>`,
      ...(this.options.title ? [`<caption>${escapeHtml(this.options.title)}</caption>`] : []),
      `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`,
      ...this.rows.map((r, i) =>
        `<tr><td>${escapeHtml(r.label)}</td>${
          this.#cells[i].map((c) => `<td style="text-align: right">${escapeHtml(c)}</td>`).join("")
        }</tr>`
      ),
      `</table>`,
      ...(notes.length ? [`<p class="notes">${notes.map(escapeHtml).join("<br>\n")}</p>`] : []),
    ].join("\n");
  }

  /** The table as a JSON-ready object (what a result folder stores). */
  toJSON(): MetricTableJson {
    const num = (v: number | null) => (v === null ? null : Number.isFinite(v) ? v : String(v));
    return {
      ...(this.options.title ? { title: this.options.title } : {}),
      columns: [...this.columns],
      rows: this.rows.map((r) => {
        const withInterval = r.metrics.filter((m) => m.interval !== undefined);
        const marked = r.metrics.filter((m) => m.marked).map((m) => m.name);
        return {
          label: r.label,
          values: Object.fromEntries(r.metrics.map((m) => [m.name, num(m.value)])),
          notes: Object.fromEntries(r.metrics.filter((m) => m.note).map((m) => [m.name, m.note!])),
          ...(withInterval.length &&
            { intervals: Object.fromEntries(withInterval.map((m) => [m.name, num(m.interval!)])) }),
          ...(marked.length && { marked }),
        };
      }),
      ...(this.options.notes?.length && { notes: [...this.options.notes] }),
    };
  }

  /** Jupyter display hook (Deno kernel): Markdown with a text fallback. */
  [Symbol.for("Jupyter.display")](): Record<string, string> {
    return { "text/markdown": this.toMarkdown(), "text/plain": this.toText() };
  }
}

/**
 * Builds a {@linkcode MetricTable} from rows of results.
 * @param rows One row per run / ablation.
 * @param options Title, first-column header, notes below.
 * @returns The table; call `toText()`, `toMarkdown()`, `toHtml()` or `toJSON()`.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { metricTable, METRIC_NAMES } from "./report.ts";
 * const t = metricTable([
 *   { label: "full", metrics: [{ name: METRIC_NAMES.psnr, value: 31.234 }, { name: METRIC_NAMES.cpbd, value: 0.3 }] },
 *   { label: "w/o parsing", metrics: [{ name: METRIC_NAMES.psnr, value: 30.5, note: "cropped face" }] },
 * ]);
 * assert(t.toMarkdown().split("\n")[2] === "| full | 31.23 | 0.3000 |");
 * assert(t.toJSON().rows[1].values["CPBD"] === undefined);
 * ```
 */
export function metricTable(
  rows: readonly ReportRow[],
  options: MetricTableOptions = {},
): MetricTable {
  return new MetricTable(rows, options);
}
