/**
 * Collected dataset problems: validation keeps going after the first inconsistency and reports every
 * problem it found in one error.
 * @module
 */

/** How many problems an error message lists before summarising the rest. */
export const MAX_LISTED_PROBLEMS = 20;

/**
 * An invalid dataset: `problems` holds one line per inconsistency, each naming the file (relative to
 * the dataset root), the field and what was expected; the message lists the first 20 of them.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { DatasetError } from "./problems.ts";
 * const e = new DatasetError("data/may", ["bc.jpg: missing background image"]);
 * assert(e.message.includes("1 problem") && e.message.includes("bc.jpg"));
 * ```
 */
export class DatasetError extends Error {
  /** Every problem found, in the order found. */
  readonly problems: readonly string[];
  /** The dataset folder (or the file, for a single parsed file). */
  readonly root: string;

  /**
   * @param root Names the dataset folder or file in the first line of the message.
   * @param problems One line per problem.
   */
  constructor(root: string, problems: readonly string[]) {
    const n = problems.length;
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => `  - ${p}`);
    if (n > MAX_LISTED_PROBLEMS) listed.push(`  ... and ${n - MAX_LISTED_PROBLEMS} more`);
    super(`dataset ${root}: ${n} problem${n === 1 ? "" : "s"}:\n${listed.join("\n")}`);
    this.name = "DatasetError";
    this.problems = problems;
    this.root = root;
  }
}

/** Throws a {@linkcode DatasetError} when `problems` is not empty. */
export function throwIfProblems(root: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new DatasetError(root, problems);
}

/** The message of an unknown thrown value. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
