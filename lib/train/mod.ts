/** Training: losses, Adam, the trainer, checkpoints, evaluation, run folders, progress. @module */
export * from "./adam.ts";
export * from "./losses.ts";
export * from "./trainer.ts";
export * from "./checkpoint.ts";
export * from "./evaluate.ts";
export * from "./run.ts";
export * from "./progress.ts";
export * from "./data_parallel.ts";
export * from "./run_lock.ts";
export * from "./run_folder.ts";
export * from "./load_scene.ts";
