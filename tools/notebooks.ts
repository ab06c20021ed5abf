/**
 * `deno task notebooks [paths...] [-- runner options]`: executes the notebooks (default: every
 * `notebooks/*.ipynb`) headless on the Deno kernel, checking each cell's expected outputs, and writes
 * the executed notebooks and their HTML into `build/notebooks/`. See `tools/run_notebook.py`.
 * @module
 */
import { jupyterPythonProblem, listNotebooks, runNotebooks } from "./notebook_runner.ts";

if (import.meta.main) {
  const sep = Deno.args.indexOf("--");
  const paths = sep < 0 ? Deno.args : Deno.args.slice(0, sep);
  const extra = sep < 0 ? [] : Deno.args.slice(sep + 1);
  const problem = await jupyterPythonProblem();
  if (problem) {
    console.error(problem);
    Deno.exit(2);
  }
  const notebooks = paths.length ? paths : listNotebooks();
  const t0 = performance.now();
  const { code } = await runNotebooks(notebooks, { args: extra, inherit: true });
  console.log(
    `${notebooks.length} notebook(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${
      code ? "FAILED" : "ok"
    }`,
  );
  Deno.exit(code);
}
