/**
 * Small notebooks written on the fly for the runner's tests (nbformat 4.5 JSON, Deno kernel).
 * @module
 */

/** A code cell: its source and optional `ssp` metadata (expected outputs, timeout). */
export interface TestCell {
  readonly source: string;
  readonly expect?: readonly string[];
  readonly timeout?: number;
}

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
        metadata: c.expect || c.timeout ? { ssp: { expect: c.expect, timeout: c.timeout } } : {},
        source: c.source,
        outputs: [],
        execution_count: null,
      })),
    ],
  };
  await Deno.writeTextFile(path, JSON.stringify(nb, null, 1));
}

/** Outputs of the code cells of an executed notebook. */
export async function readOutputs(
  path: string,
): Promise<{ output_type: string; data?: Record<string, unknown> }[][]> {
  const nb = JSON.parse(await Deno.readTextFile(path));
  return nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code").map((c: { outputs: [] }) =>
    c.outputs
  );
}
