/**
 * Runs one of the project's scripts in a fresh `deno run -A` process from the repository root (no type
 * check, no colour), for the tests of the command-line tasks.
 * @module
 */

/** The repository root. */
export const root = new URL("..", import.meta.url).pathname;

/**
 * `deno run -A --no-check ...args` in the repository root.
 * @param args Script and its arguments.
 * @returns Exit code, standard output and standard error.
 */
export async function denoRun(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: p.code, out: dec.decode(p.stdout), err: dec.decode(p.stderr) };
}
