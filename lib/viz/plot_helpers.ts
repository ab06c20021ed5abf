/**
 * Common plotly figures in one call: line plots of series (loss curves, quantities along a ray) and
 * grouped bar plots (metrics per method).
 * @module
 */
import { plot, type PlotlyTrace, type PlotOptions, type PlotView } from "./plotly.ts";

/** One line: y values, and x values (default 0, 1, 2, ...). */
export interface PlotSeries {
  readonly name: string;
  readonly x?: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** Options shared by the helpers. */
export interface FigureOptions extends PlotOptions {
  readonly title?: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Height in pixels. @default {400} */
  readonly height?: number;
}

/** Options of {@linkcode linePlot}. */
export interface LinePlotOptions extends FigureOptions {
  /** Logarithmic y axis. @default {false} */
  readonly logY?: boolean;
  /** `"lines"`, `"markers"` or `"lines+markers"`. @default {"lines"} */
  readonly mode?: "lines" | "markers" | "lines+markers";
}

function layout(o: FigureOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: o.title ? { text: o.title } : undefined,
    xaxis: { title: o.xLabel ? { text: o.xLabel } : undefined },
    yaxis: { title: o.yLabel ? { text: o.yLabel } : undefined },
    height: o.height ?? 400,
    margin: { l: 60, r: 20, t: o.title ? 50 : 20, b: 50 },
    ...extra,
  };
}

/**
 * Lines through series of points.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linePlot } from "./plot_helpers.ts";
 * const fig = linePlot([{ name: "loss", y: [1, 0.5, 0.25] }], { logY: true, includePlotlyJs: "never" });
 * const trace = fig.figure.data[0] as { x: number[]; mode: string };
 * assertEquals(trace.x, [0, 1, 2]);
 * assertEquals((fig.figure.layout.yaxis as { type: string }).type, "log");
 * ```
 */
export function linePlot(series: readonly PlotSeries[], options: LinePlotOptions = {}): PlotView {
  const data: PlotlyTrace[] = series.map((s) => {
    const x = s.x ?? Array.from({ length: s.y.length }, (_, i) => i);
    if (x.length !== s.y.length) {
      throw new Error(`linePlot: series "${s.name}" has ${x.length} x values and ${s.y.length} y values`);
    }
    return {
      type: "scatter",
      mode: options.mode ?? "lines",
      name: s.name,
      x: Array.from(x),
      y: Array.from(s.y),
    };
  });
  const l = layout(options);
  if (options.logY) l.yaxis = { ...(l.yaxis as object), type: "log" };
  return plot({ data, layout: l }, options);
}

/** Options of {@linkcode barPlot}. */
export interface BarPlotOptions extends FigureOptions {
  /** Bars of one category side by side, or stacked. @default {"group"} */
  readonly barmode?: "group" | "stack";
}

/**
 * Bars per category, one colour per series (e.g. categories = metrics or classes, series = methods).
 * @param values Series name -> one value per category.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { barPlot } from "./plot_helpers.ts";
 * const fig = barPlot(["PSNR", "SSIM"], { full: [30, 0.9], uniform: [28, 0.85] }, { includePlotlyJs: "never" });
 * assertEquals(fig.figure.data.length, 2);
 * assertThrows(() => barPlot(["a"], { x: [1, 2] }));
 * ```
 */
export function barPlot(
  categories: readonly string[],
  values: Readonly<Record<string, ArrayLike<number>>>,
  options: BarPlotOptions = {},
): PlotView {
  const data: PlotlyTrace[] = Object.entries(values).map(([name, v]) => {
    if (v.length !== categories.length) {
      throw new Error(`barPlot: series "${name}" has ${v.length} values for ${categories.length} categories`);
    }
    return { type: "bar", name, x: [...categories], y: Array.from(v) };
  });
  return plot({ data, layout: layout(options, { barmode: options.barmode ?? "group" }) }, options);
}
