/** Visualisation: SVG charts and standalone HTML reports. @module */
export * from "./svg_chart.ts";
export * from "./html_report.ts";
