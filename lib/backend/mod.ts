/** Choosing and starting the tfjs backend (wasm by default; webgpu on request; cpu as fallback). @module */
export * from "./backend.ts";
