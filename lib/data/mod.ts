export * from "./types.ts";
export * from "./palette.ts";
