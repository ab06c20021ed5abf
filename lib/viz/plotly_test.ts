import { assert, assertEquals, assertFalse, assertStringIncludes, assertThrows } from "@std/assert";
import { displayBundle } from "./mime.ts";
import {
  plot,
  PLOTLY_MIME,
  PLOTLY_VERSION,
  plotlyJs,
  plotlyJsPath,
  plotlyJsSent,
  plotlyJsText,
  resetPlotlyJsState,
} from "./plotly.ts";

const BUNDLE_MARK = "window.Plotly = Plotly";

/** The figure scripts of an html output (the bundle left out), as source texts. */
function figureScripts(html: string): string[] {
  return [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1])
    .filter((s) => !s.includes(BUNDLE_MARK));
}

/** Runs a figure script against a stub page; returns what Plotly.newPlot received and a way to load Plotly. */
function runOnStubPage(script: string, withPlotly: boolean) {
  const calls: unknown[][] = [];
  const listeners = new Map<string, () => void>();
  const el = { textContent: "waiting" };
  const plotly = { newPlot: (...args: unknown[]) => calls.push(args) };
  const win: Record<string, unknown> = {
    Plotly: withPlotly ? plotly : undefined,
    addEventListener: (name: string, fn: () => void) => listeners.set(name, fn),
  };
  const doc = { getElementById: () => el };
  new Function("window", "document", script)(win, doc);
  return {
    calls,
    el,
    load() {
      win.Plotly = plotly;
      for (const fn of listeners.values()) fn();
    },
  };
}

Deno.test("plot: the plotly MIME data is the figure as JSON", () => {
  const view = plot({
    data: [{ type: "scatter", name: "a", x: [0, 1], y: new Float32Array([0.1, NaN]) }],
    layout: { title: { text: "T" } },
  }, { includePlotlyJs: "never" });
  const b = displayBundle(view);
  assertEquals(Object.keys(b).sort(), [PLOTLY_MIME, "text/html", "text/plain"]);
  const json = JSON.parse(JSON.stringify(b[PLOTLY_MIME]));
  assertEquals(json.data, [{ type: "scatter", name: "a", x: [0, 1], y: [0.1, null] }]);
  assertEquals(json.layout.title.text, "T");
  assertEquals(json.config.displaylogo, false);
  assertEquals(b["text/plain"], 'plotly figure "T": 1 trace(s) (scatter "a")');
  assertThrows(() => plot({} as never), Error, "data array");
});

Deno.test("plot: the html fallback carries the same figure and draws it once plotly.js arrives", () => {
  const view = plot({ data: [{ type: "bar", x: ["a"], y: [2] }], layout: { height: 300 } }, {
    includePlotlyJs: "never",
  });
  const html = displayBundle(view)["text/html"] as string;
  assertFalse(html.includes(BUNDLE_MARK));
  assertStringIncludes(html, "height:300px");
  const [script] = figureScripts(html);
  const figJson = JSON.parse(script.match(/var fig = (.*);\n/)![1]);
  assertEquals(figJson, JSON.parse(JSON.stringify(view.figure)));
  const now = runOnStubPage(script, true);
  assertEquals(now.calls.length, 1);
  assertEquals((now.calls[0][1] as unknown[]).length, 1);
  assertEquals(now.el.textContent, "");
  const later = runOnStubPage(script, false);
  assertEquals(later.calls.length, 0);
  later.load();
  assertEquals(later.calls.length, 1);
});

Deno.test("plot: 'auto' inlines plotly.js in the first figure of a session only; 'always' and plotlyJs() too", () => {
  resetPlotlyJsState();
  const fig = { data: [{ y: [1, 2] }] };
  const first = displayBundle(plot(fig))["text/html"] as string;
  assert(plotlyJsSent());
  const second = displayBundle(plot(fig))["text/html"] as string;
  assertStringIncludes(first, BUNDLE_MARK);
  assertFalse(second.includes(BUNDLE_MARK));
  assert(first.length > 3_000_000 && second.length < 10_000, `${first.length} ${second.length}`);
  assertStringIncludes(
    displayBundle(plot(fig, { includePlotlyJs: "always" }))["text/html"] as string,
    BUNDLE_MARK,
  );
  resetPlotlyJsState();
  assertStringIncludes(displayBundle(plotlyJs())["text/html"] as string, BUNDLE_MARK);
  assert(plotlyJsSent());
  // one figure shown twice gets two element ids
  const v = plot(fig, { includePlotlyJs: "never" });
  const ids = [v.html(false), v.html(false)].map((h) => h.match(/id="([^"]+)"/)![1]);
  assert(ids[0] !== ids[1]);
});

Deno.test("plotly.js comes from the installed npm package and can be inlined", () => {
  assert(plotlyJsPath().endsWith("plotly.min.js"));
  const text = plotlyJsText();
  assertStringIncludes(text, `plotly.js v${PLOTLY_VERSION}`);
  assertStringIncludes(text, BUNDLE_MARK);
  assertFalse(/<\/script/i.test(text));
});
