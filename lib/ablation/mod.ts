/**
 * Ablation studies: `runAblation` trains every row of an ablation set with several seeds at a step
 * budget, evaluates the held-out frames under the full-frame and head-only protocols, and tabulates
 * means with 95 % Student-t intervals and paired differences to "full"; `ablationCommands` and
 * `collectRunRecords` split the same study into one command per (row, seed) for a scheduler and merge
 * the run folders afterwards.
 * @module
 */
export * from "./statistics.ts";
export * from "./study_table.ts";
export * from "./collect.ts";
export * from "./commands.ts";
export * from "./run_ablation.ts";
export * from "./rows.ts";
