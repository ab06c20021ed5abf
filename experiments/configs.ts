/**
 * Named run configurations of the experiments. `DEMO` is what `deno task demo` trains: the preset that
 * reaches the best held-out quality on the 128x128 fixture within its time budget on 2 CPU cores.
 * @module
 */
import { override, type SspNerfConfig, TRIPLANE } from "../lib/config/mod.ts";

/**
 * The demo's configuration: the full SSP-NeRF model (parsing branch, semantic dynamic sampling, 3-D torso
 * deformation) on the tri-plane backbone, the fastest preset here (about 4x the MLP's steps per second,
 * with its torso deformation sized for a CPU: 32 x 2, every point deformed), and a learning-rate decay
 * that ends with the budget.
 */
export const DEMO: SspNerfConfig = override(TRIPLANE, {
  name: "demo",
  train: { steps: 2400, lrDecaySteps: 2400, evalEvery: 600, checkpointEvery: 600 },
});

/** Seconds of training the demo allows itself (the whole demo stays within about 10 minutes). */
export const DEMO_TRAIN_SECONDS = 420;

/** Base of the ablation study: the full SSP-NeRF model in the demo's sizes. */
export const ABLATION_BASE: SspNerfConfig = override(DEMO, {
  name: "full",
  train: { evalEvery: 0, checkpointEvery: 0 },
});
