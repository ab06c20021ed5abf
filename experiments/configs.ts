/**
 * Named run configurations of the experiments. `DEMO` is what `deno task demo` trains: the preset that
 * reaches the best held-out quality on the 128x128 fixture within its time budget on 2 CPU cores.
 * @module
 */
import { DEMO, override, type SspNerfConfig } from "../lib/config/mod.ts";

/** The demo's preset: "demo" (`lib/config/presets.ts`); `deno task demo` trains {@linkcode demoConfig}. */
export { DEMO };

/** Steps `deno task demo` trains by default (about 6.5 minutes of training, 7 in all, on both cores of our 2-core machine). */
export const DEMO_STEPS = 4800;

/** Threads `deno task demo` trains on by default (`train.threads`; the numbers depend on it, not on the
 * machine: a one-core machine gives the same numbers, slower). */
export const DEMO_THREADS = 2;

/**
 * What `deno task demo` trains: the demo preset for `steps` steps on `threads` threads, with its
 * learning-rate decay (10x) spread over those steps.
 * @param steps Training steps.
 * @param threads Threads computing each step's gradients.
 * @returns The configuration.
 */
export function demoConfig(steps: number = DEMO_STEPS, threads: number = DEMO_THREADS): SspNerfConfig {
  return override(DEMO, { train: { steps, lrDecaySteps: steps, threads } });
}

/** Seconds of training the demo allows itself (the whole demo stays within about 10 minutes). */
export const DEMO_TRAIN_SECONDS = 420;

/** Base of the ablation study (defined in the library beside the rows). */
export { ABLATION_BASE } from "../lib/ablation/rows.ts";
