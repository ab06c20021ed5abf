/**
 * Every notebook of `notebooks/`, executed headless with stock `jupyter nbconvert --execute`
 * (`tools/notebook_runner.ts`), each a test of its own: no cell fails, and each cell shows the outputs its
 * metadata expects (`metadata.ssp.expect`). The notebooks that train get smaller budgets than their
 * committed defaults, injected after their parameters cell as papermill does (`TEST_PARAMETERS`), so the
 * suite stays short on 2 CPU cores. The executed notebooks land in `build/notebooks/`. Needs Debian's
 * Jupyter packages: without them the tests fail, naming the packages (`.ci/run` installs them).
 *
 * Also checked without a kernel: the first code cell is the parameters cell (tagged, declarations only),
 * every code cell declares its outputs, and the notebooks import only `mod.ts`.
 */
import { assert, assertEquals, fail } from "@std/assert";
import { basename, join } from "node:path";
import {
  cellSource,
  executeNotebook,
  jupyterPythonProblem,
  listNotebooks,
  type Notebook,
  type ParamValue,
  REPO_ROOT,
} from "../tools/notebook_runner.ts";

/** Budgets of the test runs, by notebook (the others run with their committed parameters). */
const TEST_PARAMETERS: Readonly<Record<string, Record<string, ParamValue>>> = {
  "01_nerf_from_scratch.ipynb": { STEPS: 40 },
  "02_ssp_components.ipynb": { STEPS: 30 },
  "03_ablation_study.ipynb": { STEPS: 10, VAL_FRAMES: 1, SEEDS: [1, 2] },
};

/** Modules a notebook may import besides `../mod.ts` (none: the library is the notebooks' only source). */
const OTHER_IMPORTS: string[] = [];

const notebooks = listNotebooks();

Deno.test("notebooks: the first code cell holds the parameters, every cell declares its outputs, imports are mod.ts", async () => {
  assertEquals(notebooks.map((p) => basename(p)).length, 5);
  for (const path of notebooks) {
    const nb: Notebook = JSON.parse(await Deno.readTextFile(path));
    const code = nb.cells.filter((c) => c.cell_type === "code");
    const params = code[0];
    assert(
      (params.metadata.tags ?? []).includes("parameters"),
      `${path}: first code cell is not tagged parameters`,
    );
    // Statements start at the line start: comments, or const/let declarations (continued on indented lines
    // or closed by "}" / "]").
    for (const line of cellSource(params).split("\n")) {
      assert(
        line === "" || /^(\/\/|(const|let) [A-Z_][A-Z0-9_]*(: [^=]+)? = |\s|[}\]])/.test(line),
        `${path}: the parameters cell may only declare knobs (const/let NAME = value): got ${
          JSON.stringify(line)
        }`,
      );
    }
    for (const cell of code) {
      assert(
        Array.isArray(cell.metadata.ssp?.expect?.displays),
        `${path}: cell "${cell.id}" lacks ssp.expect`,
      );
      for (const m of cellSource(cell).matchAll(/^\s*import\s[^"']*["']([^"']+)["']/gm)) {
        assert(
          m[1] === "../mod.ts" || OTHER_IMPORTS.includes(m[1]) || !m[1].startsWith("."),
          `${path}: cell "${cell.id}" imports ${m[1]}: notebooks import the library through ../mod.ts`,
        );
      }
    }
  }
});

for (const path of notebooks) {
  const name = basename(path);
  Deno.test(`notebook ${name} runs under nbconvert with every expected output`, async () => {
    const problem = await jupyterPythonProblem();
    if (problem) fail(problem);
    const run = await executeNotebook(path, {
      parameters: TEST_PARAMETERS[name],
      out: join(REPO_ROOT, "build", "notebooks", name),
      log: console.log,
    });
    if (run.problems.length) fail(`notebook ${path}:\n${run.problems.join("\n")}`);
    const c = run.count!;
    assertEquals(c.displaysKept, c.displaysExpected);
    console.log(
      `${name}: ${c.displaysKept}/${c.displaysExpected} displays, ${c.stdoutKept}/${c.stdoutExpected} printing ` +
        `cells, ${run.seconds.toFixed(1)} s${run.stalls ? `, ${run.stalls} stalled run(s) repeated` : ""}`,
    );
  });
}
