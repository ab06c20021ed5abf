import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { acquireRunLock, runLockPath } from "./run_lock.ts";

const LOCK_MODULE = new URL("./run_lock.ts", import.meta.url).href;

/** A separate process that takes the lock of `runDir` and holds it until killed. */
async function holder(runDir: string): Promise<Deno.ChildProcess> {
  const code = `import { acquireRunLock } from ${JSON.stringify(LOCK_MODULE)};
await acquireRunLock(${JSON.stringify(runDir)});
console.log("locked");
setInterval(() => {}, 1000);`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  assertStringIncludes(new TextDecoder().decode(value), "locked");
  return child;
}

Deno.test("run lock: a second taker in this process is refused; release frees it and removes the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-lock-" });
  try {
    const lock = await acquireRunLock(`${dir}/run`, () => {});
    assertEquals(lock.path, `${dir}/.run.lock`);
    const info = JSON.parse(await Deno.readTextFile(lock.path));
    assertEquals(info.pid, Deno.pid);
    assertEquals(info.host, Deno.hostname());
    const e = await assertRejects(() => acquireRunLock(`${dir}/run/`, () => {}));
    assertStringIncludes(
      e.message,
      `run folder ${dir}/run/ is in use by process ${Deno.pid} on ${Deno.hostname()}`,
    );
    assertStringIncludes(e.message, "choose another --out");
    lock.release();
    lock.release(); // idempotent
    assert(![...Deno.readDirSync(dir)].some((f) => f.name === ".run.lock"));
    const again = await acquireRunLock(`${dir}/run`, () => {});
    again.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run lock: another live process is named; after kill -9 its lock is taken over with a message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-lock-proc-" });
  const child = await holder(`${dir}/run`);
  try {
    const e = await assertRejects(() => acquireRunLock(`${dir}/run`, () => {}));
    assertStringIncludes(e.message, `is in use by process ${child.pid} on ${Deno.hostname()}`);
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    // The killed process could not remove its lock file: it is still there, naming it.
    assertEquals(JSON.parse(await Deno.readTextFile(runLockPath(`${dir}/run`))).pid, child.pid);
    const lines: string[] = [];
    const lock = await acquireRunLock(`${dir}/run`, (l) => lines.push(l));
    assertEquals(lines.length, 1);
    assertStringIncludes(lines[0], `taking over the lock file ${dir}/.run.lock left by process ${child.pid}`);
    assertStringIncludes(lines[0], "which is no longer running");
    assertEquals(JSON.parse(await Deno.readTextFile(lock.path)).pid, Deno.pid);
    lock.release();
  } finally {
    try {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel();
    } catch { /* already ended */ }
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runLockPath: beside the folder, trailing slashes ignored; no folder name is an error", () => {
  assertEquals(runLockPath("runs/a/"), "runs/.a.lock");
  assertEquals(runLockPath("/x/y"), "/x/.y.lock");
  assertEquals(runLockPath("a"), ".a.lock");
  let threw = false;
  try {
    runLockPath("..");
  } catch (e) {
    threw = true;
    assertStringIncludes((e as Error).message, "must name a folder");
  }
  assert(threw);
});
