import { assert, assertEquals, assertStringIncludes, fail } from "@std/assert";
import { jupyterPythonProblem, runNotebooks } from "../tools/notebook_runner.ts";
import { readOutputs, writeTestNotebook } from "./notebook_fixture.ts";
import type { TestCell } from "./notebook_fixture.ts";

async function run(cells: readonly TestCell[], args: string[] = []) {
  const problem = await jupyterPythonProblem();
  if (problem) fail(problem);
  const dir = await Deno.makeTempDir({ prefix: "ssp-runner-" });
  await writeTestNotebook(`${dir}/t.ipynb`, cells);
  const res = await runNotebooks([`${dir}/t.ipynb`], {
    out: `${dir}/out`,
    args: ["--grace", "0.05", ...args],
  });
  return { ...res, dir, executed: `${dir}/out/t.ipynb` };
}

const DISPLAY = (i: number) =>
  `console.log("line ${i}"); ({ [Symbol.for("Jupyter.display")]() { return { "text/plain": "${i}", "text/html": "<b>${i}</b>" }; } })`;

Deno.test("runner: every output of every cell is kept, also those the kernel publishes after idle", async () => {
  const n = 16;
  const r = await run(
    Array.from({ length: n }, (_, i) => ({ source: DISPLAY(i), expect: ["stdout", "text/html"] })),
  );
  try {
    assertEquals(r.code, 0, r.stderr);
    const outputs = await readOutputs(r.executed);
    assertEquals(outputs.map((o) => o.length), Array(n).fill(2));
    // nbformat may store text as a list of lines
    outputs.forEach((o, i) => assertEquals([o[1].data?.["text/html"]].flat().join(""), `<b>${i}</b>`));
    assertStringIncludes(r.stdout, "t.ipynb: ok in");
    assert((await Deno.stat(`${r.dir}/out/t.html`)).size > 1000);
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a cell error fails the run with the cell's source and the error, and stops there", async () => {
  const r = await run([{ source: "1 + 1" }, { source: 'const x = 2;\nthrow new Error("boom " + x);' }, {
    source: 'console.log("after")',
  }]);
  try {
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, 'cell 2 (id "c1") failed');
    assertStringIncludes(r.stderr, "  2 | throw new Error");
    assertStringIncludes(r.stderr, "boom 2");
    assertEquals((await readOutputs(r.executed))[2], []); // written for inspection, last cell not run
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a missing expected output kind fails the run", async () => {
  const r = await run([{ source: '"just text"', expect: ["image/png"] }]);
  try {
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      "cell 1 (id \"c0\") is expected to output ['image/png'] but produced ['text/plain']",
    );
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a cell over its timeout fails and the kernel is stopped", async () => {
  const t0 = performance.now();
  const r = await run([{ source: "await new Promise((r) => setTimeout(r, 60_000));", timeout: 1 }]);
  try {
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "timed out after 1.0 s");
    assert(performance.now() - t0 < 30_000, "the runner waited for the cell");
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a kernel that dies fails the run at once, naming the cell", async () => {
  const t0 = performance.now();
  const r = await run([{ source: "1" }, { source: "Deno.exit(3);" }]);
  try {
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, 'cell 2 (id "c1") failed');
    assertStringIncludes(r.stderr, "the kernel died");
    assert(performance.now() - t0 < 30_000, "the runner waited for the cell timeout");
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a kernel that sends nothing and uses no CPU counts as stalled: rerun once, then a failure", async () => {
  // A cell waiting on a promise that never settles is what a stalled kernel looks like from outside.
  const r = await run([{ source: "1" }, { source: "await new Promise(() => {});" }], ["--stall", "3"]);
  try {
    assertEquals(r.code, 1);
    assertStringIncludes(r.stdout, "the kernel stalled; running the notebook again with a new kernel");
    assertStringIncludes(r.stderr, "stalled on every one of 2 runs");
    assertStringIncludes(r.stderr, 'cell 2 (id "c1")');
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});

Deno.test("runner: a busy cell is not taken for a stall", async () => {
  const busy =
    "const t = Date.now(); let x = 0; while (Date.now() - t < 5000) x += Math.sqrt(x + 1); console.log('done');";
  const r = await run([{ source: busy, expect: ["stdout"] }], ["--stall", "2"]);
  try {
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("stalled"), r.stdout);
  } finally {
    await Deno.remove(r.dir, { recursive: true });
  }
});
