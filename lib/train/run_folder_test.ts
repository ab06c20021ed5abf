import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { override, SMALL, TINY } from "../config/mod.ts";
import {
  cleanTempLeftovers,
  existingRunError,
  inspectRunFolder,
  processAlive,
  recoverReplacement,
  replaceRun,
  resumeConfig,
  tempOwner,
} from "./run_folder.ts";

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const p = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await p.status;
  return p.pid;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("resumeConfig: the first differing field is named; steps and evaluation cadence may change", () => {
  const src = { requested: "--config x.json", run: "runs/a" };
  const e = assertThrows(() => resumeConfig(TINY, override(TINY, { field: { depth: 3 } }), src));
  assertEquals(
    e.message.split(". ")[0],
    "--config x.json differs from the configuration of the run in runs/a at config.field.depth: the run has 2, " +
      "--config x.json gives 3",
  );
  assertStringIncludes(e.message, "resume without it, or start a new run (--overwrite, or another --out)");
  // Another preset differs in its name first, but the message names a field that says more.
  const e2 = assertThrows(() => resumeConfig(TINY, SMALL, src));
  assert(!e2.message.includes("at config.name"), e2.message);
  const ok = resumeConfig(TINY, override(TINY, { train: { steps: 40, checkpointEvery: 10 } }), src);
  assertEquals(ok.config.train.steps, 40);
  assertEquals(ok.config.train.checkpointEvery, 10);
  assertEquals(ok.config.train.lr, TINY.train.lr);
  assertEquals(ok.changes, ["config.train.steps: 2 -> 40", "config.train.checkpointEvery: 0 -> 10"]);
  assertEquals(resumeConfig(TINY, TINY, src).changes, []);
  const lr = assertThrows(() => resumeConfig(TINY, override(TINY, { train: { lr: 1 } }), src));
  assertStringIncludes(lr.message, "at config.train.lr");
});

Deno.test("cleanTempLeftovers: files and folders of dead processes removed and named; a live writer's kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-leftovers-" });
  try {
    const dead = await deadPid();
    assert(!processAlive(dead));
    assert(processAlive(Deno.pid));
    await Deno.writeTextFile(`${dir}/.checkpoint-40.bin.tmp-${dead}-k3j9a`, "x");
    await Deno.mkdir(`${dir}/val`);
    await Deno.writeTextFile(`${dir}/val/.12.png.tmp-${dead}-aa11.png`, "x");
    await Deno.mkdir(`${dir}/.data.tmp-${dead}-zz99`);
    await Deno.writeTextFile(`${dir}/.data.tmp-${dead}-zz99/f`, "x");
    await Deno.writeTextFile(`${dir}/.render.mp4.tmp-${Deno.pid}-live1.mp4`, "x");
    await Deno.writeTextFile(`${dir}/checkpoint.json`, "{}");
    assertEquals(tempOwner(`.checkpoint-40.bin.tmp-${dead}-k3j9a`), dead);
    assertEquals(tempOwner("checkpoint.json"), undefined);
    const lines: string[] = [];
    const removed = await cleanTempLeftovers(dir, (l) => lines.push(l));
    assertEquals(removed.sort(), [
      `.checkpoint-40.bin.tmp-${dead}-k3j9a`,
      `.data.tmp-${dead}-zz99`,
      `val/.12.png.tmp-${dead}-aa11.png`,
    ]);
    assertEquals(names(dir), [`.render.mp4.tmp-${Deno.pid}-live1.mp4`, "checkpoint.json", "val"]);
    assertEquals(names(`${dir}/val`), []);
    assertEquals(lines.length, 1);
    assertStringIncludes(lines[0], `${dir}: removed 3 temporary file(s) left by killed processes`);
    assertEquals(await cleanTempLeftovers(`${dir}/missing`, (l) => lines.push(l)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("replaceRun and recoverReplacement: a kill at any point leaves one whole run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-replace-" });
  const run = `${dir}/run`;
  const write = async (folder: string, step: number) => {
    await Deno.mkdir(folder, { recursive: true });
    await Deno.writeTextFile(`${folder}/checkpoint.json`, JSON.stringify({ step, config: { name: "tiny" } }));
  };
  const stepOf = async () => JSON.parse(await Deno.readTextFile(`${run}/checkpoint.json`)).step;
  try {
    const dead = await deadPid();
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    // Replacement in one go.
    await write(run, 400);
    await write(`${dir}/.run.new-${Deno.pid}-a`, 2);
    await replaceRun(`${dir}/.run.new-${Deno.pid}-a`, run);
    assertEquals(await stepOf(), 2);
    assertEquals(names(dir), ["run"]);
    // Killed before the new run's first checkpoint: its folder goes, the old run stays.
    await Deno.mkdir(`${dir}/.run.new-${dead}-b`);
    await recoverReplacement(run, log);
    assertEquals(names(dir), ["run"]);
    assertEquals(await stepOf(), 2);
    assertStringIncludes(lines.pop()!, "killed before its first checkpoint");
    // Killed between the two renames: the new run (it has its checkpoint) takes the place.
    await Deno.rename(run, `${dir}/.run.old-${dead}-c`);
    await write(`${dir}/.run.new-${dead}-d`, 7);
    await recoverReplacement(run, log);
    assertEquals(names(dir), ["run"]);
    assertEquals(await stepOf(), 7);
    assertEquals(lines.length, 2);
    // Killed after the renames, before the old run was removed.
    await write(`${dir}/.run.old-${dead}-e`, 1);
    await recoverReplacement(run, log);
    assertEquals(names(dir), ["run"]);
    assertEquals(await stepOf(), 7);
    // An old run set aside with nothing in its place is restored.
    await Deno.rename(run, `${dir}/.run.old-${dead}-f`);
    await recoverReplacement(run, log);
    assertEquals(await stepOf(), 7);
    assertStringIncludes(lines.at(-1)!, "restored the old run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspectRunFolder and existingRunError: what the folder holds, and the ways on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-inspect-" });
  try {
    assertEquals(await inspectRunFolder(`${dir}/none`), { exists: false, holdsRun: false });
    assertEquals(await inspectRunFolder(dir), {
      exists: true,
      holdsRun: false,
      step: undefined,
      configName: undefined,
    });
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ name: "small" }));
    const s = await inspectRunFolder(dir);
    assert(s.holdsRun);
    assertEquals(s.configName, "small");
    await Deno.writeTextFile(
      `${dir}/checkpoint.json`,
      JSON.stringify({ step: 400, config: { name: "tiny" } }),
    );
    const t = await inspectRunFolder(dir);
    assertEquals([t.step, t.configName], [400, "tiny"]);
    assertEquals(
      existingRunError("runs/a", t).message,
      'run folder runs/a already holds a run (config "tiny", checkpoint at step 400): pass --resume to ' +
        "continue it, or --overwrite to replace it (the old run stays intact until the new run's first " +
        "checkpoint), or choose another --out",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resumeConfig: a run written before the eye section resumes under a config with eye off", () => {
  const src = { requested: "the requested config", run: "runs/old" };
  const { eye: _, ...old } = TINY;
  const r = resumeConfig(old as typeof TINY, TINY, src);
  assertEquals([r.changes, r.config.eye], [[], TINY.eye]);
  assertThrows(
    () => resumeConfig(old as typeof TINY, override(TINY, { eye: { enabled: true } }), src),
    Error,
    "at config.eye.enabled",
  );
});
