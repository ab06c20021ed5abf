/**
 * Small notebooks written on the fly for the runner's tests (nbformat 4.5 JSON, Deno kernel).
 * @module
 */
import type { CellExpectation } from "../tools/notebook_runner.ts";

/** A code cell: its source, its expected outputs and tags. */
export interface TestCell {
  readonly source: string;
  readonly expect?: CellExpectation;
  readonly tags?: readonly string[];
}

/** The library's entry point as a URL, for notebooks written outside the repository. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;

/** Writes a notebook of code cells (after one markdown cell) to `path`. */
export async function writeTestNotebook(path: string, cells: readonly TestCell[]): Promise<void> {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: "# runner test" },
      ...cells.map((c, i) => ({
        cell_type: "code",
        id: `c${i}`,
        metadata: {
          ...(c.tags ? { tags: c.tags } : {}),
          ssp: { expect: c.expect ?? { displays: [] } },
        },
        source: c.source,
        outputs: [],
        execution_count: null,
      })),
    ],
  };
  await Deno.writeTextFile(path, JSON.stringify(nb, null, 1));
}
