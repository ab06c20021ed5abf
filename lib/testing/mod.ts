/** Helpers for tests: the `@std/assert` stand-in and tensor-leak checks. @module */
export * from "./assert.ts";
export * from "./leak.ts";
export * from "./threads.ts";
