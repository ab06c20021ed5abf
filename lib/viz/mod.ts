/**
 * Visualisation: objects that notebooks display (images, grids, parsing maps, prediction / ground truth /
 * error comparisons, heat maps, videos, plotly figures, tables), SVG charts, and standalone HTML reports.
 *
 * Every display object has a `[Symbol.for("Jupyter.display")]()` method returning a MIME bundle, so a
 * cell ending with one shows it, and the same code runs in tests and scripts (no `Deno.jupyter`):
 * ```ts
 * import { assert } from "@std/assert";
 * import * as viz from "./mod.ts";
 * const red = { rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 };
 * const bundle = viz.displayBundle(viz.image(red, { scale: 4 }));
 * assert(typeof bundle["image/png"] === "string");
 * ```
 * @module
 */
export * from "./svg_chart.ts";
export * from "./html_report.ts";
export * from "./html_text.ts";
export * from "./mime.ts";
export * from "./colormap.ts";
export * from "./image_view.ts";
export * from "./image_grid.ts";
export * from "./mark_pixels.ts";
export * from "./parsing_colors.ts";
export * from "./compare_images.ts";
export * from "./video.ts";
export * from "./plotly.ts";
export * from "./plot_helpers.ts";
export * from "./table.ts";
export * from "./draw_landmarks.ts";
export * from "./moving_average.ts";
export * from "./show.ts";
