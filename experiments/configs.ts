/**
 * Named run configurations of the experiments. `DEMO` is what `deno task demo` trains: the preset that
 * reaches the best held-out quality on the 128x128 fixture within its time budget on 2 CPU cores.
 * @module
 */
import { DEMO } from "../lib/config/mod.ts";

/** The demo's configuration: the named preset "demo" (`lib/config/presets.ts`). */
export { DEMO };

/** Seconds of training the demo allows itself (the whole demo stays within about 10 minutes). */
export const DEMO_TRAIN_SECONDS = 420;

/** Base of the ablation study (defined in the library beside the rows). */
export { ABLATION_BASE } from "../lib/ablation/rows.ts";
