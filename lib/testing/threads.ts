/**
 * Worker threads of this process, for tests that check workers end on every exit path.
 * @module
 */

/**
 * Names of this process's worker threads (Deno names them "worker-<n>"; Linux lists them in /proc).
 * @returns The names; empty on other systems (no /proc).
 */
export function workerThreads(): Set<string> {
  const names = new Set<string>();
  if (Deno.build.os !== "linux") return names;
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const name = Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim();
      if (/^worker-\d+$/.test(name)) names.add(name);
    } catch {
      // the thread ended while listing
    }
  }
  return names;
}
