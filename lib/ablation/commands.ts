/**
 * One shell command per (row, seed) of an ablation study, for the schedulers people already have (GNU
 * parallel, a Slurm job array, Kubernetes Jobs): each command trains one run folder and is independent
 * of the others; collecting the folders afterwards gives the table.
 * @module
 */

/**
 * Quotes a word for a POSIX shell: as it is when it holds only safe characters, else in single quotes
 * (a `'` inside becomes `'\''`).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shellQuote } from "./commands.ts";
 * assertEquals(shellQuote("runs/ablation"), "runs/ablation");
 * assertEquals(shellQuote("w/o parsing branch"), "'w/o parsing branch'");
 * assertEquals(shellQuote("it's"), "'it'\\''s'");
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\/.,:=+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command lines of a study: `program --row <row> --seed <seed> <flags>` for every row and seed,
 * rows outer, seeds inner, every word quoted for a POSIX shell.
 * @param program The words that start the command (e.g. `["deno", "run", "-A", "/abs/experiments/ablation.ts"]`).
 * @param rows Row labels.
 * @param seeds Seeds.
 * @param flags Flags shared by every command, `--name value` each; `undefined` values are left out.
 * @returns One line per (row, seed).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ablationCommands } from "./commands.ts";
 * const lines = ablationCommands(["train"], ["full", "w/o parsing branch"], [1, 2], { steps: 400, seconds: undefined });
 * assertEquals(lines.length, 4);
 * assertEquals(lines[3], "train --row 'w/o parsing branch' --seed 2 --steps 400");
 * ```
 */
export function ablationCommands(
  program: readonly string[],
  rows: readonly string[],
  seeds: readonly number[],
  flags: Readonly<Record<string, string | number | undefined>> = {},
): string[] {
  const shared = Object.entries(flags).filter(([, v]) => v !== undefined).flatMap((
    [k, v],
  ) => [`--${k}`, String(v)]);
  return rows.flatMap((row) =>
    seeds.map((seed) =>
      [...program, "--row", row, "--seed", String(seed), ...shared].map(shellQuote).join(" ")
    )
  );
}
