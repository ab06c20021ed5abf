/**
 * The ablation rows (they live in the library, `lib/ablation/rows.ts`, so notebooks reach them through
 * `mod.ts`): re-exported here for the experiment scripts.
 * @module
 */
export { ablations } from "../lib/ablation/rows.ts";
