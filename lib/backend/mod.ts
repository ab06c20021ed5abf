/** Choosing and starting the tfjs backend (wasm by default, cpu as fallback). @module */
export * from "./backend.ts";
