/**
 * Executes every notebook of `notebooks/` headless with `tools/run_notebook.py` (each a test of its own),
 * checking that no cell fails and that each cell shows the outputs its metadata expects. The executed
 * notebooks and their HTML land in `build/notebooks/`. Needs Debian's Jupyter packages: without them the
 * tests fail, naming the packages (CI installs them).
 */
import { fail } from "@std/assert";
import { basename } from "node:path";
import { jupyterPythonProblem, listNotebooks, runNotebooks } from "../tools/notebook_runner.ts";

for (const path of listNotebooks()) {
  Deno.test(`notebook ${basename(path)} runs with every expected output`, async () => {
    const problem = await jupyterPythonProblem();
    if (problem) fail(problem);
    const res = await runNotebooks([path]);
    if (res.code !== 0) {
      fail(`notebook ${path} failed (runner exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    }
    console.log(res.stdout.trim());
  });
}
