/** The typed configuration tree, presets and overrides. @module */
export * from "./config.ts";
export * from "./presets.ts";
export * from "./validate.ts";
export * from "./upgrade.ts";
