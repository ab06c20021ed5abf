/**
 * Choosing and starting the TensorFlow.js backend.
 *
 * The default is the WebAssembly backend (SIMD): on this project's 2-core CPUs a 1024x1024 matMul takes
 * ~50-75 ms there against ~2.1 s on the pure-JS `cpu` backend. Its `.wasm` binaries are loaded from the
 * installed npm package (resolved through the import map), never from a CDN, so it works offline.
 * tfjs turns wasm threads off under Node-compatible runtimes, so wasm runs one thread here.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** The backends this toolkit knows how to start. */
export type BackendName = "wasm" | "cpu";

/** Options of {@linkcode initBackend}. */
export interface BackendOptions {
  /** Backend to try first; on failure the other one is used (and the reason is reported).
   * @default {"wasm"} */
  readonly preferred?: BackendName;
  /** Where the message naming the backend goes; `null` keeps quiet.
   * @default {console.error} */
  readonly log?: ((message: string) => void) | null;
}

/** What {@linkcode initBackend} started. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Human-readable description, e.g. "wasm (SIMD, 1 thread)". */
  readonly description: string;
  /** Why the preferred backend was not used, when it was not. */
  readonly fallbackReason?: string;
}

let current: BackendInfo | undefined;

/** Folder URL (with trailing slash) holding the tfjs wasm binaries of the installed package. */
export function wasmBinaryFolder(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  return new URL("./", entry).href;
}

async function tryStart(name: BackendName): Promise<void> {
  if (name === "wasm") setWasmPaths(wasmBinaryFolder());
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
}

function describe(name: BackendName): string {
  if (name === "cpu") return "cpu (pure JavaScript, slow: ~1 GFLOP/s)";
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
  const threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "multi-thread" : "1 thread";
  return `wasm (${simd}, ${threads})`;
}

/**
 * Starts the tfjs backend once per process (later calls return the first result unless the preferred
 * backend differs) and reports which one is in use.
 * @param options Preferred backend and logger.
 * @returns The backend in use.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { initBackend } from "./backend.ts";
 * const info = await initBackend({ log: null });
 * assert(info.name === "wasm" || info.name === "cpu");
 * ```
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const preferred = options.preferred ?? "wasm";
  const log = options.log === undefined ? (m: string) => console.error(m) : options.log;
  if (current && current.name === preferred) return current;
  let fallbackReason: string | undefined;
  let name: BackendName = preferred;
  try {
    await tryStart(preferred);
  } catch (e) {
    fallbackReason = `${preferred} backend failed to start: ${e instanceof Error ? e.message : e}`;
    name = preferred === "wasm" ? "cpu" : "wasm";
    await tryStart(name);
  }
  current = { name, description: describe(name), fallbackReason };
  if (log) {
    log(`tfjs backend: ${current.description}${fallbackReason ? ` (fallback: ${fallbackReason})` : ""}`);
  }
  return current;
}

/** The backend started by {@linkcode initBackend}, or undefined before it ran. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}
