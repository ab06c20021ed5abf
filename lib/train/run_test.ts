import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, type SspNerfConfig, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { acquireRunLock } from "./run_lock.ts";
import { type RunOptions, type RunStepLog, trainRun } from "./run.ts";

await initBackend({ log: null });

async function tinyData() {
  const dir = await Deno.makeTempDir({ prefix: "ssp-run-" });
  await writeTinyDataset(dir, { frames: 12, width: 16, height: 16, audioDim: 13 });
  return { dir, dataset: await loadDataset(dir) };
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const readJson = (path: string) => JSON.parse(Deno.readTextFileSync(path));

async function run(
  dataset: Awaited<ReturnType<typeof loadDataset>>,
  config: SspNerfConfig,
  options: RunOptions,
) {
  const r = await trainRun(dataset, config, {
    progress: false,
    saveFrames: false,
    log: () => {},
    ...options,
  });
  r.trainer.dispose();
  return r;
}

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const p = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await p.status;
  return p.pid;
}

Deno.test("trainRun: a run folder is refused, or replaced only at the new run's first checkpoint", async () => {
  const { dir, dataset } = await tinyData();
  const R = `${dir}/runs/r`;
  try {
    await run(dataset, TINY, { runDir: R });
    const old = Deno.readTextFileSync(`${R}/checkpoint.json`);
    assertEquals(readJson(`${R}/config.json`).train.steps, 2);
    const e = await assertRejects(() => run(dataset, TINY, { runDir: R, existing: "refuse" }));
    assertStringIncludes(
      e.message,
      `run folder ${R} already holds a run (config "tiny", checkpoint at step 2)`,
    );
    assertEquals(Deno.readTextFileSync(`${R}/checkpoint.json`), old);

    // The replacing run checkpoints at step 2 of 4 (after that step's progress line): until then the
    // folder is the old run's.
    const seen: { step: number; old: boolean }[] = [];
    const lines: string[] = [];
    const next = override(TINY, { train: { steps: 4, checkpointEvery: 2 } });
    await run(dataset, next, {
      runDir: R,
      existing: "overwrite",
      log: (l) => lines.push(l),
      progress: {
        inPlace: false,
        every: 1,
        write: (t) => {
          const m = / (\d)\/4 /.exec(t);
          if (m) {
            seen.push({ step: Number(m[1]), old: Deno.readTextFileSync(`${R}/checkpoint.json`) === old });
          }
        },
      },
    });
    // One entry per step: the bar may print its last step twice (update, then finish), depending on timing.
    const perStep = seen.filter((s, i) => i === 0 || seen[i - 1].step !== s.step);
    assertEquals(perStep.map((s) => [s.step, s.old]), [[1, true], [2, true], [3, false], [4, false]]);
    assertStringIncludes(
      lines[0],
      `${R} holds a run (config "tiny", checkpoint at step 2): training the new run in`,
    );
    assert(lines.some((l) => l.startsWith(`replaced the previous run in ${R}`)));
    assertEquals(readJson(`${R}/checkpoint.json`).step, 4);
    assertEquals(readJson(`${R}/config.json`).train.steps, 4);
    assertEquals(readJson(`${R}/history.json`).map((h: RunStepLog) => h.step), [1, 2, 3, 4]);
    assertEquals(names(`${dir}/runs`), ["r"], "no staging folder and no lock file remain");
    assertEquals(names(R).filter((n) => n.endsWith(".bin")), ["checkpoint-2.bin", "checkpoint-4.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun: a replacing run that fails before its first checkpoint leaves the old run as it was", async () => {
  const { dir, dataset } = await tinyData();
  const R = `${dir}/r`;
  try {
    await run(dataset, TINY, { runDir: R });
    const before = names(R).map((n) => [n, Deno.statSync(`${R}/${n}`).mtime?.getTime()]);
    const old = Deno.readTextFileSync(`${R}/checkpoint.json`);
    // The frames vanish after loading: the first step of the new run fails reading one.
    const broken = await loadDataset(dataset.root);
    await Deno.remove(`${dataset.root}/ori_imgs`, { recursive: true });
    const lines: string[] = [];
    await assertRejects(() =>
      run(broken, override(TINY, { train: { steps: 5 } }), {
        runDir: R,
        existing: "overwrite",
        log: (l) => lines.push(l),
      })
    );
    assertEquals(Deno.readTextFileSync(`${R}/checkpoint.json`), old);
    assertEquals(names(R).map((n) => [n, Deno.statSync(`${R}/${n}`).mtime?.getTime()]), before);
    assertEquals(names(dir).filter((n) => n.startsWith(".r.")), [], "staging folder and lock removed");
    assertStringIncludes(
      lines.at(-1)!,
      `the new run failed before its first checkpoint: ${R} keeps the old run`,
    );
    (await acquireRunLock(R)).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun --resume: another config refused; steps accepted with a message; history marks the resume", async () => {
  const { dir, dataset } = await tinyData();
  const R = `${dir}/r`;
  try {
    await run(dataset, TINY, { runDir: R });
    const e = await assertRejects(() =>
      run(dataset, override(TINY, { field: { depth: 3 } }), {
        runDir: R,
        resume: true,
        configSource: "--config d3",
      })
    );
    assertStringIncludes(
      e.message,
      `--config d3 differs from the configuration of the run in ${R} at config.field.depth`,
    );
    // A kill between checkpoint.json and history.json: history ends before the checkpoint's step.
    const h = readJson(`${R}/history.json`);
    Deno.writeTextFileSync(`${R}/history.json`, JSON.stringify(h.slice(0, 1)));
    const lines: string[] = [];
    const r = await run(dataset, override(TINY, { train: { steps: 4 } }), {
      runDir: R,
      resume: true,
      log: (l) => lines.push(l),
    });
    assertStringIncludes(
      lines.join("\n"),
      "resume: config.train.steps: 2 -> 4 (a field a resumed run may change)",
    );
    assertStringIncludes(
      lines.join("\n"),
      `resumed ${R} at step 2; history.json lacks steps 2-2 (killed before it was written)`,
    );
    assertEquals(r.stepsDone, 2);
    const history: RunStepLog[] = readJson(`${R}/history.json`);
    assertEquals(history.map((s) => s.step), [1, 3, 4]);
    assertEquals(history.map((s) => s.resumed), [
      undefined,
      { fromStep: 2, missingSteps: [2, 2] },
      undefined,
    ]);
    assertEquals(readJson(`${R}/config.json`).train.steps, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun: leftovers of killed processes are cleaned at the next start; options checked first", async () => {
  const { dir, dataset } = await tinyData();
  const R = `${dir}/r`;
  try {
    await run(dataset, TINY, { runDir: R });
    const dead = await deadPid();
    Deno.writeTextFileSync(`${R}/.checkpoint-9.bin.tmp-${dead}-abc123`, "half");
    Deno.mkdirSync(`${dir}/.r.new-${dead}-xyz`);
    const lines: string[] = [];
    await run(dataset, override(TINY, { train: { steps: 3 } }), {
      runDir: R,
      resume: true,
      log: (l) => lines.push(l),
      checkLeaksEvery: 1,
    });
    assertEquals(names(dir).filter((n) => n.startsWith(".")), []);
    assert(!names(R).some((n) => n.includes(".tmp-")));
    assertStringIncludes(
      lines[0],
      `removed ${dir}/.r.new-${dead}-xyz, the folder of a replacing run killed before`,
    );
    assertStringIncludes(lines[1], `${R}: removed 1 temporary file(s) left by killed processes`);
    assert(lines.some((l) => /^\nstep 3: \d+ tensors$/.test(l)), lines.join("|"));
    await assertRejects(
      () => run(dataset, TINY, { runDir: `${dir}/s`, finalEvalFrames: 0 }),
      Error,
      "trainRun: options.finalEvalFrames must be an integer >= 1: got 0",
    );
    assertEquals(names(dir).includes("s"), false, "nothing is created for a run refused up front");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun: checkLeaksEvery reports the tensor count, flat from step to step", async () => {
  const { dir, dataset } = await tinyData();
  try {
    const lines: string[] = [];
    await run(dataset, override(TINY, { train: { steps: 5 } }), {
      runDir: `${dir}/r`,
      checkLeaksEvery: 2,
      log: (l) => lines.push(l),
    });
    const counts = lines.map((l) => /^\nstep (\d+): (\d+) tensors$/.exec(l)).filter((m) => m);
    assertEquals(counts.map((m) => Number(m![1])), [2, 4]);
    assertEquals(counts[0]![2], counts[1]![2]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
