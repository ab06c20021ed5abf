import { assertEquals, assertThrows } from "@std/assert";
import { displayBundle } from "./mime.ts";
import { barPlot, linePlot } from "./plot_helpers.ts";
import { PLOTLY_MIME } from "./plotly.ts";

type Fig = {
  data: { type: string; name: string; x: unknown[]; y: number[]; mode?: string }[];
  layout: {
    title: { text: string };
    xaxis: { title: { text: string } };
    yaxis: unknown;
    barmode?: string;
  };
};

Deno.test("linePlot: one scatter trace per series, axis titles, log axis", () => {
  const fig = linePlot([
    { name: "train", x: new Float32Array([0, 10]), y: new Float32Array([0.5, 0.25]) },
    { name: "val", y: [0.6, 0.3, 0.2] },
  ], {
    title: "loss",
    xLabel: "step",
    yLabel: "MSE",
    logY: true,
    mode: "lines+markers",
    includePlotlyJs: "never",
  });
  const json = JSON.parse(JSON.stringify(displayBundle(fig)[PLOTLY_MIME])) as Fig;
  assertEquals(json.data.map((t) => [t.type, t.name, t.mode]), [["scatter", "train", "lines+markers"], [
    "scatter",
    "val",
    "lines+markers",
  ]]);
  assertEquals(json.data[0].x, [0, 10]);
  assertEquals(json.data[1].x, [0, 1, 2]);
  assertEquals(json.layout.title.text, "loss");
  assertEquals(json.layout.xaxis.title.text, "step");
  assertEquals(json.layout.yaxis, { title: { text: "MSE" }, type: "log" });
  assertThrows(
    () => linePlot([{ name: "bad", x: [1], y: [1, 2] }]),
    Error,
    '"bad" has 1 x values and 2 y values',
  );
});

Deno.test("barPlot: one bar trace per series over the categories, grouped or stacked", () => {
  const fig = barPlot(["face", "lips"], { full: [0.9, 0.7], uniform: new Float64Array([0.8, 0.5]) }, {
    barmode: "stack",
    includePlotlyJs: "never",
  });
  const json = JSON.parse(JSON.stringify(displayBundle(fig)[PLOTLY_MIME])) as Fig;
  assertEquals(json.data.map((t) => [t.type, t.name, t.x, t.y]), [
    ["bar", "full", ["face", "lips"], [0.9, 0.7]],
    ["bar", "uniform", ["face", "lips"], [0.8, 0.5]],
  ]);
  assertEquals(json.layout.barmode, "stack");
});
