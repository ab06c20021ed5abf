/**
 * Line charts as self-contained SVG text: no script, no network, so a report opens anywhere (a browser
 * offline, a CI artifact viewer, a notebook's HTML output).
 * @module
 */

/** One line of a chart. */
export interface Series {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** Options of {@linkcode svgLineChart}. */
export interface LineChartOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Logarithmic y axis (values <= 0 are left out). @default {false} */
  readonly logY?: boolean;
  /** @default {640} */
  readonly width?: number;
  /** @default {320} */
  readonly height?: number;
}

const COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Round tick values: about `count` steps of 1, 2 or 5 x 10^k covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

/**
 * Draws series as an SVG line chart with axes, ticks and a legend.
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { svgLineChart } from "./svg_chart.ts";
 * const svg = svgLineChart([{ name: "loss", x: [0, 1, 2], y: [1, 0.5, 0.25] }], { title: "Loss" });
 * assertStringIncludes(svg, "<svg");
 * assertStringIncludes(svg, "Loss");
 * ```
 */
export function svgLineChart(series: readonly Series[], options: LineChartOptions = {}): string {
  const W = options.width ?? 640, H = options.height ?? 320;
  const m = { l: 64, r: 16, t: options.title ? 32 : 12, b: 44 };
  const fy = options.logY ? (v: number) => Math.log10(v) : (v: number) => v;
  const pts = series.map((s) =>
    s.x.map((x, i) => [x, s.y[i]] as const).filter(([x, y]) =>
      Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0)
    )
  );
  const all = pts.flat();
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => fy(p[1]))), y1 = Math.max(...all.map((p) => fy(p[1])));
  if (!all.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  if (options.title) {
    out.push(
      `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(options.title)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${sx(t)}" y1="${H - m.b}" x2="${sx(t)}" y2="${H - m.b + 4}" stroke="#333"/>`);
    out.push(`<text x="${sx(t)}" y="${H - m.b + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const label = options.logY ? Number((10 ** t).toPrecision(3)) : t;
    out.push(`<line x1="${m.l}" y1="${sy(t)}" x2="${W - m.r}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${label}</text>`);
  }
  out.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`);
  out.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`);
  if (options.xLabel) {
    out.push(
      `<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${
        escapeXml(options.xLabel)
      }</text>`,
    );
  }
  if (options.yLabel) {
    out.push(
      `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${
        escapeXml(options.yLabel)
      }</text>`,
    );
  }
  pts.forEach((p, i) => {
    if (!p.length) return;
    const d = p.map(([x, y], j) => `${j ? "L" : "M"}${sx(x).toFixed(1)} ${sy(fy(y)).toFixed(1)}`).join("");
    out.push(`<path d="${d}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5"/>`);
    const ly = m.t + 6 + 14 * i;
    out.push(
      `<rect x="${W - m.r - 120}" y="${ly}" width="10" height="3" fill="${COLOURS[i % COLOURS.length]}"/>`,
    );
    out.push(`<text x="${W - m.r - 106}" y="${ly + 5}">${escapeXml(series[i].name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
