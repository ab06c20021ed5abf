/**
 * Runs notebooks headless with `tools/run_notebook.py` (Debian's system Python and its Jupyter
 * packages), from Deno: used by `deno task notebooks` and by `tests/notebooks_test.ts`.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Debian packages the runner needs (other systems: `pip install jupyter_client nbformat nbconvert`). */
export const JUPYTER_PACKAGES = ["python3-jupyter-client", "python3-nbformat", "python3-nbconvert"] as const;

/** The repository root. */
export const REPO_ROOT: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** The runner script. */
export const RUNNER: string = join(REPO_ROOT, "tools", "run_notebook.py");

/**
 * The Python with Jupyter's packages: Debian's system one by its full path, because the `python3` first
 * on PATH may be another interpreter without them. `JUPYTER_PYTHON` overrides it.
 */
export function jupyterPython(env: (key: string) => string | undefined = (k) => Deno.env.get(k)): string {
  return env("JUPYTER_PYTHON") ?? "/usr/bin/python3";
}

/** Why `python` cannot run the runner (a message naming what to install), or undefined when it can. */
export async function jupyterPythonProblem(python: string = jupyterPython()): Promise<string | undefined> {
  const install = `install them: apt-get install -y ${JUPYTER_PACKAGES.join(" ")} ` +
    `(or ${python} -m pip install jupyter_client nbformat nbconvert; JUPYTER_PYTHON=/path/to/python picks another Python)`;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: ["-c", "import jupyter_client, nbformat, nbconvert"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return `cannot run ${python} (${
      e instanceof Error ? e.message : e
    }): the notebook runner needs a Python with ` +
      `jupyter_client, nbformat and nbconvert; ${install}`;
  }
  if (out.success) return undefined;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
  return `${python} lacks Jupyter packages (${err}): ${install}`;
}

/** Options of {@linkcode runNotebooks}. */
export interface RunNotebooksOptions {
  /** Folder of the executed notebooks and their HTML. @default {"<repo>/build/notebooks"} */
  readonly out?: string;
  /** @default {jupyterPython()} */
  readonly python?: string;
  /** More runner arguments (e.g. `["--cell-timeout", "120"]`). */
  readonly args?: readonly string[];
  /** Pass the runner's output through (the CLI) instead of capturing it (tests). @default {false} */
  readonly inherit?: boolean;
}

/** What a run reported. */
export interface RunNotebooksResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Executes notebooks with the runner on the Deno kernel of this very deno executable. */
export async function runNotebooks(
  paths: readonly string[],
  options: RunNotebooksOptions = {},
): Promise<RunNotebooksResult> {
  const args = [
    RUNNER,
    "--deno",
    Deno.execPath(),
    "--out",
    options.out ?? join(REPO_ROOT, "build", "notebooks"),
    ...(options.args ?? []),
    ...paths,
  ];
  const io = options.inherit ? "inherit" : "piped";
  const out = await new Deno.Command(options.python ?? jupyterPython(), { args, stdout: io, stderr: io })
    .output();
  if (options.inherit) return { code: out.code, stdout: "", stderr: "" };
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** The notebooks of a folder (`*.ipynb`, sorted by name). */
export function listNotebooks(folder: string = join(REPO_ROOT, "notebooks")): string[] {
  return [...Deno.readDirSync(folder)].filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) =>
    join(folder, e.name)
  )
    .sort();
}
