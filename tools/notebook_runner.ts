/**
 * Runs notebooks headless with the stock `jupyter nbconvert --to notebook --execute` (Debian's nbconvert,
 * run as `/usr/bin/python3 -m nbconvert`, the same program), then checks every cell's outputs against what
 * its metadata expects. Used by `deno task notebooks` and `tests/notebooks_test.ts`.
 *
 * What it adds to nbconvert, and only that:
 * - **parameters**, injected the way papermill does it: a cell tagged `injected-parameters` right after the
 *   cell tagged `parameters`, redeclaring the knobs (`const STEPS = 10;`; the Deno kernel evaluates cells in
 *   REPL mode, where a later `const` may redeclare a `const`, and `let` a `let`);
 * - **expected outputs**: each code cell declares what it shows in its metadata,
 *   `"metadata": {"ssp": {"expect": {"stdout": true, "displays": [["text/html", "text/markdown"]]}}}`:
 *   `displays` lists the cell's `display_data` outputs in order (their number must match exactly), each
 *   entry the MIME type(s) that output must carry; `stdout: true` means the cell must print. Every code
 *   cell must have an `expect`, and no cell may have an `execute_result` (a bare last expression, which
 *   the Deno 2.9.6 kernel may publish after `idle`, where nbconvert no longer reads: use
 *   `await ssp.viz.show(x)`) or an `error`; `"timeout"` beside `expect` is informational (nbconvert has
 *   one per-cell timeout, `cellTimeoutS`);
 * - **stall detection**: the Deno kernel (its ZeroMQ layer) now and then stops in the middle of a notebook
 *   under load, sleeping with no CPU use (seen once in ~25 notebook runs of CI); nbconvert would wait for
 *   its cell timeout. When nbconvert and the kernel together use under half a CPU second in `stallS`
 *   seconds, the run is stopped and started again with a new kernel (`retries`); a working cell uses CPU,
 *   so it is not taken for a stall.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Debian packages the runner needs (other systems: `pip install nbconvert jupyter_client nbformat`). */
export const JUPYTER_PACKAGES = [
  "jupyter-nbconvert",
  "python3-nbconvert",
  "python3-jupyter-client",
  "python3-nbformat",
] as const;

/** The repository root. */
export const REPO_ROOT: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** A JSON value, as papermill parameters are. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

/** A notebook as nbformat 4 JSON (only the fields the runner reads). */
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

/** One cell of a {@linkcode Notebook}. */
export interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: { tags?: string[]; ssp?: { expect?: CellExpectation; timeout?: number }; [k: string]: unknown };
  outputs?: CellOutput[];
  [key: string]: unknown;
}

/** One output of an executed code cell. */
export interface CellOutput {
  output_type: string;
  name?: string;
  data?: Record<string, unknown>;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}

/** What a code cell declares it shows (`metadata.ssp.expect`). */
export interface CellExpectation {
  /** The cell prints to stdout. @default {false: printing is allowed, not required} */
  readonly stdout?: boolean;
  /** One entry per `display_data` output, in order: the MIME type(s) it must carry. */
  readonly displays: readonly (string | readonly string[])[];
}

/**
 * The Python with Jupyter's packages: Debian's system one by its full path, because the `python3` first
 * on PATH may be another interpreter without them. `JUPYTER_PYTHON` overrides it.
 */
export function jupyterPython(env: (key: string) => string | undefined = (k) => Deno.env.get(k)): string {
  return env("JUPYTER_PYTHON") ?? "/usr/bin/python3";
}

/** Why `python` cannot run nbconvert (a message naming what to install), or undefined when it can. */
export async function jupyterPythonProblem(python: string = jupyterPython()): Promise<string | undefined> {
  const install = `install them: apt-get install -y ${JUPYTER_PACKAGES.join(" ")} ` +
    `(or ${python} -m pip install nbconvert jupyter_client nbformat; JUPYTER_PYTHON=/path/to/python picks another Python)`;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(python, {
      args: ["-c", "import jupyter_client, nbformat, nbconvert"],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return `cannot run ${python} (${e instanceof Error ? e.message : e}): the notebooks run with ` +
      `nbconvert, which needs a Python with jupyter_client, nbformat and nbconvert; ${install}`;
  }
  if (out.success) return undefined;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
  return `${python} lacks Jupyter packages (${err}): ${install}`;
}

/** The text of a cell's source (nbformat stores it as a string or a list of lines). */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** A JavaScript literal for a parameter value (JSON is valid JavaScript for every JSON value). */
function literal(value: ParamValue): string {
  return JSON.stringify(value);
}

/**
 * Returns a copy of `nb` with `params` injected as papermill does: a cell tagged `injected-parameters`
 * placed right after the cell tagged `parameters` (replacing an earlier injected cell), declaring each
 * parameter again with its own keyword (`const NAME = value;` or `let NAME = value;`).
 * @param nb The notebook.
 * @param params Parameter name -> value; each name must be declared (`const`/`let`) in the parameters cell.
 * @param label Names the notebook in errors.
 * @returns The new notebook (`nb` is not modified).
 * @throws When there is no cell tagged `parameters`, or a name is not declared in it.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cellSource, injectParameters } from "./notebook_runner.ts";
 * const nb = { metadata: {}, cells: [{ cell_type: "code", source: "const STEPS = 30;", metadata: { tags: ["parameters"] } }] };
 * const out = injectParameters(nb, { STEPS: 5 });
 * assertEquals(cellSource(out.cells[1]), "// Parameters\nconst STEPS = 5;\n");
 * ```
 */
export function injectParameters(
  nb: Notebook,
  params: Readonly<Record<string, ParamValue>>,
  label = "notebook",
): Notebook {
  const cells = nb.cells.filter((c) => !(c.metadata.tags ?? []).includes("injected-parameters"));
  const at = cells.findIndex((c) => c.cell_type === "code" && (c.metadata.tags ?? []).includes("parameters"));
  if (at < 0) {
    throw new Error(`${label}: no code cell tagged "parameters" (metadata.tags): cannot inject parameters`);
  }
  // A name is redeclared with the keyword of its declaration: REPL mode accepts const after const and let
  // after let, not one after the other.
  const declared = new Map(
    [...cellSource(cells[at]).matchAll(/^\s*(const|let)\s+([A-Za-z_$][\w$]*)/gm)].map((m) => [m[2], m[1]]),
  );
  for (const name of Object.keys(params)) {
    if (!declared.has(name)) {
      throw new Error(
        `${label}: parameter ${name} is not declared in the parameters cell: expected one of ${
          [...declared.keys()].join(", ") || "(none)"
        }`,
      );
    }
  }
  const source = "// Parameters\n" +
    Object.entries(params).map(([k, v]) => `${declared.get(k)} ${k} = ${literal(v)};\n`).join("");
  const injected: NotebookCell = {
    cell_type: "code",
    id: "injected-parameters",
    metadata: { tags: ["injected-parameters"], ssp: { expect: { displays: [] } } },
    source,
    outputs: [],
    execution_count: null,
  };
  return { ...nb, cells: [...cells.slice(0, at + 1), injected, ...cells.slice(at + 1)] };
}

/** Output counts of one checked notebook. */
export interface OutputCount {
  /** Code cells. */
  readonly cells: number;
  /** Displays the cells' metadata expects, and those the executed notebook holds. */
  readonly displaysExpected: number;
  readonly displaysKept: number;
  /** Cells expected to print, and those that did. */
  readonly stdoutExpected: number;
  readonly stdoutKept: number;
}

/** Names a cell in messages: its position (from 0, markdown cells included) and id. */
function cellName(nb: Notebook, cell: NotebookCell): string {
  return `cell ${nb.cells.indexOf(cell)}${cell.id ? ` (id "${cell.id}")` : ""}`;
}

/**
 * Checks an executed notebook against the expectations in its cells' metadata (see the module doc).
 * @param nb The executed notebook.
 * @param label Names the notebook in problems.
 * @returns The problems found (empty: every expected output is there) and the counts.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkOutputs } from "./notebook_runner.ts";
 * const cell = { cell_type: "code", source: "", metadata: { ssp: { expect: { displays: ["text/html"] } } } };
 * const html = { output_type: "display_data", data: { "text/html": "<b>1</b>", "text/plain": "1" } };
 * assertEquals(checkOutputs({ metadata: {}, cells: [{ ...cell, outputs: [html] }] }).problems, []);
 * assertEquals(checkOutputs({ metadata: {}, cells: [{ ...cell, outputs: [] }] }, "t").problems,
 *   ['t: cell 0 shows 0 display(s): expected 1 ([["text/html"]])']);
 * ```
 */
export function checkOutputs(nb: Notebook, label = "notebook"): { problems: string[]; count: OutputCount } {
  const problems: string[] = [];
  let cells = 0, displaysExpected = 0, displaysKept = 0, stdoutExpected = 0, stdoutKept = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code") continue;
    cells++;
    const name = `${label}: ${cellName(nb, cell)}`;
    const outputs = cell.outputs ?? [];
    const expect = cell.metadata.ssp?.expect;
    for (const o of outputs) {
      if (o.output_type === "error") problems.push(`${name} failed: ${o.ename}: ${o.evalue}`);
      if (o.output_type === "execute_result") {
        problems.push(
          `${name} has an execute_result (a bare last expression): headless runs may lose it; ` +
            `show it with await ssp.viz.show(...)`,
        );
      }
    }
    if (!expect || !Array.isArray(expect.displays)) {
      problems.push(`${name} has no metadata.ssp.expect.displays: declare what the cell shows`);
      continue;
    }
    const want = expect.displays.map((d) => typeof d === "string" ? [d] : [...d]);
    const displays = outputs.filter((o) => o.output_type === "display_data");
    displaysExpected += want.length;
    displaysKept += Math.min(want.length, displays.length);
    if (displays.length !== want.length) {
      problems.push(
        `${name} shows ${displays.length} display(s): expected ${want.length} (${JSON.stringify(want)})`,
      );
    }
    want.forEach((mimes, i) => {
      const have = Object.keys(displays[i]?.data ?? {});
      const missing = mimes.filter((m) => !have.includes(m));
      if (displays[i] && missing.length) {
        problems.push(`${name}: display ${i} lacks ${missing.join(", ")} (has ${have.join(", ")})`);
      }
    });
    if (expect.stdout) {
      stdoutExpected++;
      if (outputs.some((o) => o.output_type === "stream" && o.name === "stdout")) stdoutKept++;
      else problems.push(`${name} printed nothing: expected stdout`);
    }
  }
  return { problems, count: { cells, displaysExpected, displaysKept, stdoutExpected, stdoutKept } };
}

/** Writes a kernelspec named `deno` for this very deno executable into `<dir>/kernels/deno`. */
async function writeKernelspec(dir: string, env: Readonly<Record<string, string>>): Promise<void> {
  const spec = {
    argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: "Deno (notebook runner)",
    language: "typescript",
    env,
  };
  await Deno.mkdir(join(dir, "kernels", "deno"), { recursive: true });
  await Deno.writeTextFile(join(dir, "kernels", "deno", "kernel.json"), JSON.stringify(spec, null, 2));
}

/** The fields of a /proc/PID/stat line after "(comm)" (which may hold spaces): state, ppid, ... */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** CPU seconds (user + system) of a process and its live descendants, from /proc; null if unreadable. */
export async function treeCpuSeconds(pid: number): Promise<number | null> {
  const tick = 100; // USER_HZ: 100 on every Linux architecture Deno ships for
  const stats = new Map<number, { ppid: number; cpu: number }>();
  try {
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const text = await Deno.readTextFile(`/proc/${e.name}/stat`);
        // after "(comm)": state ppid ... utime (14th field) stime (15th)
        const f = statFields(text);
        stats.set(Number(e.name), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tick });
      } catch {
        // the process ended while we looked
      }
    }
  } catch {
    return null;
  }
  if (!stats.has(pid)) return null;
  let total = 0;
  for (const p of treePids(pid, stats)) total += stats.get(p)!.cpu;
  return total;
}

function treePids(pid: number, stats: Map<number, { ppid: number }>): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [p, s] of stats) if (s.ppid === out[i]) out.push(p);
  }
  return out;
}

/**
 * SIGKILLs a process and its descendants, then waits (up to `waitS`) until each has exited, so that what it
 * held (a run folder's lock, a port) is free before the caller starts anew. A zombie counts as exited: the
 * kernel closed its files when it died, whether or not a parent has reaped it yet.
 */
async function killTree(pid: number, waitS = 20): Promise<void> {
  const stats = new Map<number, { ppid: number }>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const text = await Deno.readTextFile(`/proc/${e.name}/stat`);
      stats.set(Number(e.name), { ppid: Number(statFields(text)[1]) });
    } catch {
      // gone
    }
  }
  const pids = treePids(pid, stats).reverse();
  for (const p of pids) {
    try {
      Deno.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = performance.now() + waitS * 1000;
  while (performance.now() < deadline && (await Promise.all(pids.map(isRunning))).some(Boolean)) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a process exists and has not exited (a zombie has: state "Z" in /proc/PID/stat). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    return statFields(await Deno.readTextFile(`/proc/${pid}/stat`))[0] !== "Z";
  } catch {
    return false;
  }
}

/** Options of {@linkcode executeNotebook}. */
export interface ExecuteOptions {
  /** Parameters injected after the `parameters` cell (papermill's way). @default {none} */
  readonly parameters?: Readonly<Record<string, ParamValue>>;
  /** Write the executed notebook here (atomically). @default {not written} */
  readonly out?: string;
  /** @default {jupyterPython()} */
  readonly python?: string;
  /** nbconvert's per-cell timeout, seconds. @default {900} */
  readonly cellTimeoutS?: number;
  /** Seconds with under half a CPU second used that count as a stalled kernel; 0: never. @default {120} */
  readonly stallS?: number;
  /** Reruns after a stall. @default {1} */
  readonly retries?: number;
  /** Kernel environment (the kernelspec's `env`). @default {a 8 GiB V8 heap, no update check, no colour} */
  readonly kernelEnv?: Readonly<Record<string, string>>;
  /** Progress lines (stall reruns). @default {none} */
  readonly log?: (line: string) => void;
}

/** What {@linkcode executeNotebook} found. */
export interface NotebookRun {
  /** The executed notebook; null when nbconvert failed (see `problems`). */
  readonly executed: Notebook | null;
  /** Problems: nbconvert's failure (cell error, timeout, dead kernel), a stall, or missing outputs. */
  readonly problems: string[];
  readonly count: OutputCount | null;
  readonly seconds: number;
  /** Runs stopped as stalled before this one. */
  readonly stalls: number;
}

/**
 * Executes one notebook with stock nbconvert (`python -m nbconvert --to notebook --execute`, the
 * notebook's folder as the kernel's working directory, a `deno` kernelspec for this deno executable first
 * on `JUPYTER_PATH`), then checks its outputs ({@linkcode checkOutputs}).
 * @param path The .ipynb file.
 * @param options Parameters, output file, timeouts.
 * @returns The executed notebook, the problems (empty: it ran and every expected output is kept), counts.
 */
export async function executeNotebook(path: string, options: ExecuteOptions = {}): Promise<NotebookRun> {
  const t0 = performance.now();
  let nb: Notebook = JSON.parse(await Deno.readTextFile(path));
  if (options.parameters && Object.keys(options.parameters).length) {
    nb = injectParameters(nb, options.parameters, path);
  }
  const jupyterDir = await Deno.makeTempDir({ prefix: "ssp-jupyter-" });
  const log = options.log ?? (() => {});
  try {
    await writeKernelspec(jupyterDir, {
      DENO_V8_FLAGS: "--max-old-space-size=8192",
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
      ...options.kernelEnv,
    });
    const retries = options.retries ?? 1;
    for (let attempt = 0;; attempt++) {
      const res = await runNbconvert(nb, dirname(path), jupyterDir, options);
      if (res.kind === "stalled") {
        const why = `${path}: the kernel used no CPU for ${options.stallS ?? 120} s (stalled)`;
        if (attempt < retries) {
          log(`${why}: running the notebook again with a new kernel`);
          continue;
        }
        return {
          executed: null,
          problems: [`${why}; stalled on every one of ${attempt + 1} runs`],
          count: null,
          seconds: (performance.now() - t0) / 1000,
          stalls: attempt + 1,
        };
      }
      if (res.kind === "failed") {
        return {
          executed: null,
          problems: [`${path}: nbconvert failed (exit ${res.code}):\n${res.stderr}`],
          count: null,
          seconds: (performance.now() - t0) / 1000,
          stalls: attempt,
        };
      }
      const executed: Notebook = JSON.parse(res.stdout);
      if (options.out) {
        await Deno.mkdir(dirname(options.out), { recursive: true });
        const tmp = `${options.out}.tmp-${Deno.pid}`;
        await Deno.writeTextFile(tmp, res.stdout);
        await Deno.rename(tmp, options.out);
      }
      const { problems, count } = checkOutputs(executed, path);
      return { executed, problems, count, seconds: (performance.now() - t0) / 1000, stalls: attempt };
    }
  } finally {
    await Deno.remove(jupyterDir, { recursive: true }).catch(() => {});
  }
}

type NbconvertResult =
  | { kind: "ok"; stdout: string }
  | { kind: "failed"; code: number; stderr: string }
  | { kind: "stalled" };

async function runNbconvert(
  nb: Notebook,
  cwd: string,
  jupyterDir: string,
  options: ExecuteOptions,
): Promise<NbconvertResult> {
  const python = options.python ?? jupyterPython();
  const env = { JUPYTER_PATH: [jupyterDir, Deno.env.get("JUPYTER_PATH")].filter(Boolean).join(":") };
  // --stdin keeps the kernel's working directory the process's (the notebook's folder, where its relative
  // imports point) while the notebook itself may carry injected parameters.
  const child = new Deno.Command(python, {
    args: [
      "-m",
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      "--stdin",
      "--stdout",
      `--ExecutePreprocessor.timeout=${options.cellTimeoutS ?? 900}`,
      "--ExecutePreprocessor.kernel_name=deno",
    ],
    cwd,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(nb)));
  await writer.close();
  const output = child.output();
  const stallS = options.stallS ?? 120;
  let stalled = false;
  if (stallS > 0) {
    let done = false;
    output.finally(() => done = true).catch(() => {});
    let lastCpu = await treeCpuSeconds(child.pid), lastChange = performance.now();
    while (!done) {
      await Promise.race([output.catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
      if (done) break;
      const cpu = await treeCpuSeconds(child.pid);
      if (cpu === null || lastCpu === null || cpu - lastCpu > 0.5) {
        lastCpu = cpu;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > stallS * 1000) {
        stalled = true;
        await killTree(child.pid);
        break;
      }
    }
  }
  const out = await output;
  if (stalled) return { kind: "stalled" };
  const text = new TextDecoder();
  if (!out.success) {
    // nbconvert prints the failing cell's source and traceback last
    return {
      kind: "failed",
      code: out.code,
      stderr: text.decode(out.stderr).split("\n").slice(-60).join("\n"),
    };
  }
  return { kind: "ok", stdout: text.decode(out.stdout) };
}

/** The notebooks of a folder (`*.ipynb`, sorted by name). */
export function listNotebooks(folder: string = join(REPO_ROOT, "notebooks")): string[] {
  return [...Deno.readDirSync(folder)].filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) =>
    join(folder, e.name)
  ).sort();
}
