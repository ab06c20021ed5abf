/**
 * Interactive plotly.js figures in notebooks and offline HTML pages.
 *
 * A figure's MIME bundle has two renderings:
 * - `application/vnd.plotly.v1+json` (the figure as JSON): JupyterLab with the plotly extension,
 *   VS Code and nteract draw it with their own plotly.js;
 * - `text/html` for every other front end (classic Notebook, JupyterLab without the extension, and
 *   nbconvert's HTML export, which never renders the plotly MIME type): a `<div>` and a script drawing
 *   into it with `window.Plotly`.
 *
 * Where `window.Plotly` comes from, offline: the minified bundle of the installed npm package
 * `plotly.js-dist-min` (4.8 MB), inlined into the page. A `<script src="file://...">` does not work:
 * Jupyter pages are served over http(s), and browsers refuse file URLs from them; and a CDN is not
 * reachable offline. Inlining it in every figure would store 4.8 MB per figure, so with the default
 * `includePlotlyJs: "auto"` the first figure displayed in a kernel session carries the bundle (guarded:
 * it only defines `window.Plotly` once) and the following ones wait for it (an event, so the order the
 * outputs are drawn in does not matter). After reloading the page without restarting the kernel, or
 * when the first figure's output was cleared, display {@linkcode plotlyJs} once (or pass
 * `includePlotlyJs: "always"`). A notebook reopened untrusted runs no scripts: trust it to see figures.
 *
 * HTML reports inline the bundle once in the page head (see `html_report.ts`).
 * @module
 */
import { fileURLToPath } from "node:url";
// Importing the package's manifest puts the package into the module graph, so Deno installs it into
// node_modules (plotly.min.js itself is never imported: it is a browser bundle).
import plotlyPackage from "plotly.js-dist-min/package.json" with { type: "json" };
import { escapeHtml, scriptJson } from "./html_text.ts";
import { type Displayable, type JsonValue, JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** Version of the plotly.js bundle inlined into pages. */
export const PLOTLY_VERSION: string = plotlyPackage.version;

/** The MIME type of plotly figures. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A plotly.js trace (`type`, `x`, `y`, `z`, `mode`, `name`, `marker`, ...; see plotly.js's reference).
 * Numeric arrays may be typed arrays. */
export interface PlotlyTrace {
  readonly type?: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/** A plotly.js figure. */
export interface PlotlyFigure {
  readonly data: readonly PlotlyTrace[];
  readonly layout?: Readonly<Record<string, unknown>>;
  readonly config?: Readonly<Record<string, unknown>>;
}

/** Whether to put the plotly.js bundle into a figure's HTML: `"auto"`: the first figure displayed in this
 * process (kernel session) only. */
export type IncludePlotlyJs = "auto" | "always" | "never";

/** Event the inlined bundle dispatches on `window` once `window.Plotly` exists. */
const READY_EVENT = "ssp-plotly-ready";

let bundleText: string | undefined;
let sentInSession = false;

/** Path of the installed `plotly.min.js`. */
export function plotlyJsPath(): string {
  const url = import.meta.resolve("plotly.js-dist-min/plotly.min.js");
  if (!url.startsWith("file:")) {
    throw new Error(
      `plotly.js-dist-min resolves to ${url}, not a file: install it into node_modules (deno install)`,
    );
  }
  return fileURLToPath(url);
}

/** The text of the installed minified plotly.js bundle (read once). */
export function plotlyJsText(): string {
  if (bundleText === undefined) {
    const path = plotlyJsPath();
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      throw new Error(`cannot read plotly.js at ${path} (is node_modules installed? run deno install): ${e}`);
    }
    // Inline script text ends at the first "</script"; "<script" after "<!--" changes how it is parsed.
    if (/<\/?script/i.test(text)) {
      throw new Error(`${path} contains "<script" or "</script": it cannot be inlined`);
    }
    bundleText = text;
  }
  return bundleText;
}

/**
 * A `<script>` defining `window.Plotly` from the inlined bundle unless the page has it already, then
 * telling waiting figures.
 */
export function plotlyLoaderHtml(): string {
  return `<script type="text/javascript">/* plotly.js ${PLOTLY_VERSION}, from the npm package plotly.js-dist-min */\n` +
    `if (!window.Plotly) {\n${plotlyJsText()}\n}\nwindow.dispatchEvent(new Event(${
      JSON.stringify(READY_EVENT)
    }));</script>`;
}

/** Forgets that this session already sent plotly.js, so the next "auto" figure carries it again (after
 * reloading the notebook page without restarting the kernel). */
export function resetPlotlyJsState(): void {
  sentInSession = false;
}

/** Whether a figure displayed in this session has carried plotly.js. */
export function plotlyJsSent(): boolean {
  return sentInSession;
}

/**
 * A value as plain JSON: typed arrays become arrays (float32 values rounded to 7 significant digits),
 * NaN and infinities null, undefined object fields dropped.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toJson } from "./plotly.ts";
 * assertEquals(toJson({ x: new Float32Array([0.1, NaN]), y: undefined, z: [1n] }), { x: [0.1, null], z: [1] });
 * ```
 */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Float32Array) {
    return Array.from(value, (v) => Number.isFinite(v) ? Number(v.toPrecision(7)) : null);
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toJson(v));
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  throw new Error(`cannot put a ${typeof value} into a plotly figure`);
}

/** Options of {@linkcode plot}. */
export interface PlotOptions {
  /** @default {"auto"} */
  readonly includePlotlyJs?: IncludePlotlyJs;
}

const DEFAULT_CONFIG = { responsive: true, displaylogo: false };

/**
 * The HTML of a figure without the bundle: a `<div>` and a script that draws it as soon as
 * `window.Plotly` exists.
 */
export function figureHtml(
  figure: { data: JsonValue; layout: JsonValue; config: JsonValue },
  id: string,
): string {
  const layout = figure.layout as { height?: number };
  const height = typeof layout?.height === "number" ? layout.height : 450;
  return `<div id="${
    escapeHtml(id)
  }" class="ssp-plotly" style="width:100%;min-width:320px;height:${height}px">` +
    `<span style="color:#888;font-size:12px">waiting for plotly.js: it comes with the first figure of a kernel ` +
    `session; if this stays, display ssp.viz.plotlyJs() or re-run the first figure's cell</span></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var fig = ${scriptJson(figure)};\n` +
    `  function draw() { var el = document.getElementById(${
      scriptJson(id)
    }); if (!el) return; el.textContent = "";\n` +
    `    window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); }\n` +
    `  if (window.Plotly) draw(); else window.addEventListener(${
      scriptJson(READY_EVENT)
    }, draw, { once: true });\n` +
    `})();</script>`;
}

/** A plotly figure. Made by {@linkcode plot}. */
export class PlotView {
  /** The figure as JSON (what the plotly MIME type carries). */
  readonly figure: {
    data: JsonValue[];
    layout: { [key: string]: JsonValue };
    config: { [key: string]: JsonValue };
  };
  private readonly id: string = `ssp-plot-${crypto.randomUUID()}`;
  private renders = 0;
  constructor(figure: PlotlyFigure, readonly options: PlotOptions = {}) {
    if (!figure || !Array.isArray(figure.data)) {
      throw new Error("a plotly figure needs a data array of traces");
    }
    this.figure = {
      data: figure.data.map((t) => toJson(t)),
      layout: toJson(figure.layout ?? {}) as { [key: string]: JsonValue },
      config: toJson({ ...DEFAULT_CONFIG, ...figure.config }) as { [key: string]: JsonValue },
    };
  }
  /** The HTML rendering, with the bundle inlined or not (each rendering has its own element id, so one
   * figure can appear twice on a page). */
  html(includeBundle: boolean): string {
    return (includeBundle ? plotlyLoaderHtml() + "\n" : "") +
      figureHtml(this.figure, `${this.id}-${this.renders++}`);
  }
  /** A one-line description. */
  summary(): string {
    const traces = this.figure.data.map((t) => {
      const o = t as { type?: string; name?: string };
      return `${o.type ?? "scatter"}${o.name ? ` "${o.name}"` : ""}`;
    });
    const title = this.figure.layout.title;
    const titleText = typeof title === "string" ? title : (title as { text?: string } | undefined)?.text;
    return `plotly figure${titleText ? ` "${titleText}"` : ""}: ${traces.length} trace(s) (${
      traces.join(", ")
    })`;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    const mode = this.options.includePlotlyJs ?? "auto";
    const include = mode === "always" || (mode === "auto" && !sentInSession);
    if (include) sentInSession = true;
    return {
      [PLOTLY_MIME]: this.figure,
      "text/html": this.html(include),
      "text/plain": this.summary(),
    };
  }
}

/**
 * Shows a plotly.js figure: `application/vnd.plotly.v1+json` plus a `text/html` fallback that draws it
 * with the plotly.js of the installed npm package (inlined once per kernel session; see the module doc).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { displayBundle } from "./mime.ts";
 * import { plot, PLOTLY_MIME } from "./plotly.ts";
 * const fig = plot({ data: [{ type: "scatter", x: [0, 1], y: new Float32Array([2, 3]) }] }, { includePlotlyJs: "never" });
 * const json = displayBundle(fig)[PLOTLY_MIME] as { data: { y: number[] }[] };
 * assertEquals(json.data[0].y, [2, 3]);
 * ```
 */
export function plot(figure: PlotlyFigure, options: PlotOptions = {}): PlotView {
  return new PlotView(figure, options);
}

/**
 * An output that loads plotly.js into the page (and marks it sent for this session): display it once
 * when figures say they are waiting for plotly.js.
 */
export function plotlyJs(): Displayable {
  return {
    [JUPYTER_DISPLAY]() {
      sentInSession = true;
      return {
        "text/html": plotlyLoaderHtml() +
          `<span style="color:#888;font-size:12px">plotly.js ${PLOTLY_VERSION} loaded</span>`,
        "text/plain": `plotly.js ${PLOTLY_VERSION}`,
      };
    },
  };
}
