import { assert, assertEquals, assertStringIncludes, assertThrows, fail } from "@std/assert";
import {
  cellSource,
  checkOutputs,
  executeNotebook,
  type ExecuteOptions,
  injectParameters,
  jupyterPythonProblem,
  type Notebook,
} from "../tools/notebook_runner.ts";
import { type TestCell, writeTestNotebook } from "./notebook_fixture.ts";

const VIZ = new URL("../lib/viz/mod.ts", import.meta.url).href;
const BUILD = new URL("../build", import.meta.url).pathname;

async function run(cells: readonly TestCell[], options: ExecuteOptions = {}) {
  const problem = await jupyterPythonProblem();
  if (problem) fail(problem);
  // Inside the repository, so the kernel finds deno.json (and its import map) above the notebook.
  await Deno.mkdir(BUILD, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: BUILD, prefix: "ssp-runner-" });
  try {
    await writeTestNotebook(`${dir}/t.ipynb`, cells);
    return await executeNotebook(`${dir}/t.ipynb`, options);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** "exited" (no such process, or a zombie: its files are closed) or the state letter of a live one. */
function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" ? "exited" : state;
  } catch {
    return "exited";
  }
}

const TABLE = { stdout: true, displays: [["text/html", "text/markdown"]] };

Deno.test("runner: with an awaited show, nbconvert keeps every output of every cell", async () => {
  const n = 16;
  const r = await run([
    { source: `import { show, table } from "${VIZ}";` },
    ...Array.from({ length: n }, (_, i) => ({
      source: `console.log("line ${i}");\nawait new Promise((r) => setTimeout(r, 20));\n` +
        `await show(table([{ cell: "c${i}" }]));`,
      expect: TABLE,
    })),
  ]);
  assertEquals(r.problems, []);
  assertEquals(r.count, {
    cells: n + 1,
    displaysExpected: n,
    displaysKept: n,
    stdoutExpected: n,
    stdoutKept: n,
  });
  const code = r.executed!.cells.filter((c) => c.cell_type === "code").slice(1);
  code.forEach((c, i) => {
    const html = c.outputs!.find((o) => o.output_type === "display_data")!.data!["text/html"];
    assertStringIncludes([html].flat().join(""), `<td>c${i}</td>`);
  });
});

Deno.test("runner: large displays (megabytes, as a first plotly figure) are kept too", async () => {
  // Without show's settle wait, 4-5 of 20 such cells had their display arrive after idle (see lib/viz/show.ts).
  const n = 8;
  const r = await run([
    { source: `import { show } from "${VIZ}";` },
    ...Array.from({ length: n }, (_, i) => ({
      source: `const html${i} = "<b>c${i}</b>" + "x".repeat(${i % 2 ? 3000 : 3_000_000});\n` +
        `await show({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "c${i}", "text/html": html${i} }) });`,
      expect: { displays: ["text/html"] },
    })),
  ]);
  assertEquals(r.problems, []);
  assertEquals(r.count?.displaysKept, n);
});

Deno.test("runner: a bare last expression fails the check, whether nbconvert kept its output or lost it", async () => {
  const r = await run(Array.from({ length: 6 }, (_, i) => ({
    source: `await new Promise((r) => setTimeout(r, 20));\n` +
      `({ [Symbol.for("Jupyter.display")]() { return { "text/plain": "${i}", "text/html": "<b>${i}</b>" }; } })`,
    expect: { displays: ["text/html"] },
  })));
  assertEquals(r.count?.cells, 6);
  // Every cell is reported: its output kept as an execute_result, or lost (no display at all).
  for (let i = 0; i < 6; i++) {
    const mine = r.problems.filter((p) => p.includes(`(id "c${i}")`));
    assert(mine.length > 0, `cell c${i} passed:\n${r.problems.join("\n")}`);
    for (const p of mine) assert(/has an execute_result|shows 0 display\(s\): expected 1/.test(p), p);
  }
});

Deno.test("runner: parameters are injected after the parameters cell, as papermill does", async () => {
  const r = await run([
    { source: 'const N = 1; // steps\nlet NAME = "a";\nconst LIST = [1];', tags: ["parameters"] },
    {
      // A console.log at the very end of a cell can reach the client after the cell's idle (the kernel
      // behaviour lib/viz/show.ts works around): wait a little after it, as `show` does.
      source: "console.log(`N=${N} NAME=${NAME} LIST=${JSON.stringify(LIST)}`);\n" +
        "await new Promise((r) => setTimeout(r, 100));",
      expect: { stdout: true, displays: [] },
    },
  ], { parameters: { N: 5, NAME: 'b"q', LIST: [2, 3] } });
  assertEquals(r.problems, []);
  const cells = r.executed!.cells;
  assertEquals(cells[2].metadata.tags, ["injected-parameters"]);
  assertEquals([cells[3].outputs![0].text].flat().join(""), 'N=5 NAME=b"q LIST=[2,3]\n');
});

Deno.test("injectParameters: replaces an earlier injected cell; unknown names and a missing cell are errors", () => {
  const nb: Notebook = {
    metadata: {},
    cells: [
      {
        cell_type: "code",
        source: ["const STEPS = 30;\n", "let PRESET = 'x';"],
        metadata: { tags: ["parameters"] },
      },
      { cell_type: "code", source: "const STEPS = 2;", metadata: { tags: ["injected-parameters"] } },
      { cell_type: "code", source: "console.log(STEPS)", metadata: {} },
    ],
  };
  const out = injectParameters(nb, { STEPS: 7, PRESET: "small" });
  assertEquals(out.cells.length, 3);
  assertEquals(cellSource(out.cells[1]), '// Parameters\nconst STEPS = 7;\nlet PRESET = "small";\n');
  assertEquals(nb.cells.length, 3, "the input notebook was changed");
  assertThrows(
    () => injectParameters(nb, { STEP: 1 }, "n.ipynb"),
    Error,
    "n.ipynb: parameter STEP is not declared",
  );
  assertThrows(
    () => injectParameters({ metadata: {}, cells: [nb.cells[2]] }, { STEPS: 1 }, "m.ipynb"),
    Error,
    'm.ipynb: no code cell tagged "parameters"',
  );
});

Deno.test("checkOutputs: missing metadata, errors, a missing MIME type and silent cells are each reported", () => {
  const code = (outputs: unknown[], expect?: unknown) =>
    ({ cell_type: "code", source: "", outputs, metadata: expect ? { ssp: { expect } } : {} }) as never;
  const plot = { output_type: "display_data", data: { "text/html": "<div>", "text/plain": "plot" } };
  const out = { output_type: "stream", name: "stdout", text: "hi\n" };
  const { problems, count } = checkOutputs({
    metadata: {},
    cells: [
      code([out]),
      code([{ output_type: "error", ename: "Error", evalue: "boom" }], { displays: [] }),
      code([plot], { displays: [["application/vnd.plotly.v1+json", "text/html"]] }),
      code([], { stdout: true, displays: [] }),
      code([out, plot], { stdout: true, displays: ["text/html"] }),
    ],
  }, "n");
  assertEquals(problems, [
    "n: cell 0 has no metadata.ssp.expect.displays: declare what the cell shows",
    "n: cell 1 failed: Error: boom",
    "n: cell 2: display 0 lacks application/vnd.plotly.v1+json (has text/html, text/plain)",
    "n: cell 3 printed nothing: expected stdout",
  ]);
  assertEquals(count, { cells: 5, displaysExpected: 2, displaysKept: 2, stdoutExpected: 2, stdoutKept: 1 });
});

Deno.test("runner: a cell error fails the run with the error, and stops there", async () => {
  const r = await run([
    { source: 'const x = 2;\nthrow new Error("boom " + x);' },
    {
      source: 'console.log("after");\nawait new Promise((r) => setTimeout(r, 100));',
      expect: { stdout: true, displays: [] },
    },
  ]);
  assertEquals(r.executed, null);
  assertEquals(r.problems.length, 1);
  assertStringIncludes(r.problems[0], "nbconvert failed");
  assertStringIncludes(r.problems[0], "boom 2");
});

Deno.test("runner: a kernel that dies fails the run at once", async () => {
  const t0 = performance.now();
  const r = await run([{ source: "Deno.exit(3);" }, { source: "1" }], { cellTimeoutS: 120 });
  assertEquals(r.executed, null);
  assertStringIncludes(r.problems[0], "nbconvert failed");
  assert(performance.now() - t0 < 60_000, "the runner waited for the cell timeout");
});

Deno.test("runner: a kernel that uses no CPU counts as stalled: rerun once, then a failure", async () => {
  // A cell waiting on a promise that never settles is what a stalled kernel looks like from outside.
  // Each kernel writes its pid first: a stalled kernel must have exited before the rerun starts (it may hold
  // a run folder's lock) and none may be left when the runner returns.
  const pids = await Deno.makeTempFile({ prefix: "ssp-kernel-pids-" });
  const lines: string[] = [];
  const r = await run([{
    source: `Deno.writeTextFileSync(${JSON.stringify(pids)}, Deno.pid + "\\n", { append: true });\n` +
      "await new Promise(() => {});",
  }], {
    stallS: 3,
    log: (l) => {
      lines.push(l);
      // the moment the runner announces the rerun, the first kernel has exited
      for (const pid of Deno.readTextFileSync(pids).trim().split("\n").map(Number)) {
        assertEquals(processState(pid), "exited", `kernel ${pid} still running when the rerun starts`);
      }
    },
  });
  assertEquals(r.stalls, 2);
  assertStringIncludes(r.problems[0], "stalled on every one of 2 runs");
  assertEquals(lines.length, 1);
  assertStringIncludes(lines[0], "running the notebook again with a new kernel");
  const kernels = Deno.readTextFileSync(pids).trim().split("\n").map(Number);
  await Deno.remove(pids);
  assertEquals(kernels.length, 2, `one kernel per run: ${kernels}`);
  for (const pid of kernels) assertEquals(processState(pid), "exited", `kernel ${pid} outlived the runner`);
});

Deno.test("runner: a busy cell is not taken for a stall", async () => {
  // The stall window is 4 s of an 8 s busy cell: wide enough that a kernel on a machine loaded by the
  // other tests (2 cores, tests in parallel) still shows CPU time in every window (2 s of 5 failed once).
  const busy =
    "const t = Date.now(); let x = 0; while (Date.now() - t < 8000) x += Math.sqrt(x + 1); console.log('done');";
  const r = await run([{ source: busy, expect: { stdout: true, displays: [] } }], { stallS: 4 });
  assertEquals(r.problems, []);
  assertEquals(r.stalls, 0);
});
