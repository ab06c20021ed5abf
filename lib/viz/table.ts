/**
 * Tables in notebooks: one object shown as HTML (notebook front ends), markdown (exports, GitHub) and
 * aligned plain text (terminals, logs).
 * @module
 */
import { htmlTable, markdownTable } from "./html_report.ts";
import { JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** A table row: column name -> cell. */
export type TableRow = Readonly<Record<string, string | number>>;

/** Options of {@linkcode table}. */
export interface TableOptions {
  /** A caption above the table. */
  readonly caption?: string;
  /** The columns and their order. @default {the keys of the rows, in order of first appearance} */
  readonly columns?: readonly string[];
}

function formatPlain(v: string | number | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(Math.abs(v) < 1 ? 4 : 2);
}

/**
 * Rows as aligned plain text: text columns left-aligned, numeric columns right-aligned.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { plainTable } from "./table.ts";
 * assertEquals(plainTable([{ name: "a", psnr: 30.123 }, { name: "bb", psnr: 5 }]), [
 *   "name   psnr",
 *   "----  -----",
 *   "a     30.12",
 *   "bb        5",
 * ].join("\n"));
 * ```
 */
export function plainTable(rows: readonly TableRow[], columns: readonly string[] = columnsOf(rows)): string {
  if (rows.length === 0) return "(no rows)";
  const cells = rows.map((r) => columns.map((c) => formatPlain(r[c])));
  const numeric = columns.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === "number"));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (vals: readonly string[]) =>
    vals.map((v, j) => numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j])).join("  ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

/** Column names of rows in order of first appearance. */
export function columnsOf(rows: readonly TableRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** A table. Made by {@linkcode table}. */
export class TableView {
  readonly columns: readonly string[];
  readonly rows: readonly TableRow[];
  constructor(rows: readonly TableRow[], readonly options: TableOptions = {}) {
    this.columns = options.columns ?? columnsOf(rows);
    // Reorder and fill every row, so the HTML and markdown writers (columns of the first row) agree.
    this.rows = rows.map((r) => Object.fromEntries(this.columns.map((c) => [c, r[c] ?? ""])));
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    const caption = this.options.caption;
    return {
      "text/html": htmlTable(this.rows, caption),
      "text/markdown":
        (caption ? `**${caption.replace(/[*_<>&|]/g, (c) => `&#${c.charCodeAt(0)};`)}**\n\n` : "") +
        markdownTable(this.rows),
      "text/plain": (caption ? `${caption}\n` : "") + plainTable(this.rows, this.columns),
    };
  }
}

/**
 * Shows rows as a table (`text/html`, `text/markdown`, `text/plain`); text is escaped in HTML and
 * markdown.
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { displayBundle } from "./mime.ts";
 * import { table } from "./table.ts";
 * const b = displayBundle(table([{ method: "<b>full</b>", psnr: 31.2 }]));
 * assertStringIncludes(b["text/html"] as string, "&lt;b&gt;full&lt;/b&gt;");
 * assertStringIncludes(b["text/markdown"] as string, "| method | psnr |");
 * ```
 */
export function table(rows: readonly TableRow[], options: TableOptions = {}): TableView {
  return new TableView(rows, options);
}
