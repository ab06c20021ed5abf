/**
 * `deno task notebooks [paths...] [-p NAME VALUE]... [--out DIR] [--no-html]`: executes notebooks (default:
 * every `notebooks/*.ipynb`) with stock `jupyter nbconvert --execute`, checks each cell's expected
 * outputs, reruns a stalled kernel once, and writes the executed notebooks (and their HTML) into
 * `build/notebooks/`. `-p NAME VALUE` overrides a knob of the parameters cell as papermill's `-p` does
 * (VALUE is read as JSON when it parses, else as a string). See `tools/notebook_runner.ts`.
 * @module
 */
import { basename, join } from "node:path";
import {
  executeNotebook,
  jupyterPython,
  jupyterPythonProblem,
  listNotebooks,
  type ParamValue,
  REPO_ROOT,
} from "./notebook_runner.ts";

/** The command line of `deno task notebooks`. */
export interface NotebooksArgs {
  readonly paths: string[];
  readonly parameters: Record<string, ParamValue>;
  readonly out: string;
  readonly html: boolean;
}

/**
 * Parses the command line.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseNotebooksArgs } from "./notebooks.ts";
 * const a = parseNotebooksArgs(["n.ipynb", "-p", "STEPS", "300", "-p", "PRESET", "small"]);
 * assertEquals([a.paths, a.parameters], [["n.ipynb"], { STEPS: 300, PRESET: "small" }]);
 * ```
 */
export function parseNotebooksArgs(args: readonly string[]): NotebooksArgs {
  const paths: string[] = [], parameters: Record<string, ParamValue> = {};
  let out = join(REPO_ROOT, "build", "notebooks"), html = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-p" || a === "--parameter") {
      const [name, value] = [args[i + 1], args[i + 2]];
      if (name === undefined || value === undefined) throw new Error(`${a} expects NAME VALUE`);
      try {
        parameters[name] = JSON.parse(value);
      } catch {
        parameters[name] = value;
      }
      i += 2;
    } else if (a === "--out") {
      if (!args[i + 1]) throw new Error("--out expects a folder");
      out = args[++i];
    } else if (a === "--no-html") html = false;
    else if (a.startsWith("-")) {
      throw new Error(`unknown option ${a}: use -p NAME VALUE, --out DIR, --no-html`);
    } else paths.push(a);
  }
  return { paths, parameters, out, html };
}

async function main(): Promise<number> {
  let args: NotebooksArgs;
  try {
    args = parseNotebooksArgs(Deno.args);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    return 2;
  }
  const problem = await jupyterPythonProblem();
  if (problem) {
    console.error(problem);
    return 2;
  }
  const notebooks = args.paths.length ? args.paths : listNotebooks();
  let failed = 0;
  for (const path of notebooks) {
    const out = join(args.out, basename(path));
    console.log(`${path}: running`);
    const run = await executeNotebook(path, { parameters: args.parameters, out, log: console.log });
    const c = run.count;
    const counts = c
      ? `${c.displaysKept}/${c.displaysExpected} displays, ${c.stdoutKept}/${c.stdoutExpected} printing cells`
      : "not executed";
    console.log(
      `${path}: ${run.problems.length ? "FAILED" : "ok"} in ${run.seconds.toFixed(1)} s, ${counts}`,
    );
    for (const p of run.problems) console.error(p);
    failed += run.problems.length ? 1 : 0;
    if (run.executed && args.html) {
      const res = await new Deno.Command(jupyterPython(), {
        args: ["-m", "nbconvert", "--to", "html", out],
        stdout: "null",
        stderr: "piped",
      }).output();
      if (res.success) console.log(`  -> ${out}, ${out.replace(/\.ipynb$/, ".html")}`);
      else console.error(`HTML export of ${out} failed: ${new TextDecoder().decode(res.stderr).trim()}`);
    } else if (run.executed) console.log(`  -> ${out}`);
  }
  console.log(`${notebooks.length} notebook(s), ${failed} failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
