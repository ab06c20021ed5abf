/**
 * `deno task jupyter:install`: registers the Deno Jupyter kernel (`deno jupyter --install --force`)
 * and adds settings to the `env` block of the kernel.json it wrote, which the kernel process receives:
 *
 * - `DENO_V8_FLAGS=--max-old-space-size=<heap MiB>`: training and rendering in a notebook hold large
 *   typed arrays; V8's default old-space limit (~4 GiB) is too small for the larger notebook settings;
 * - `DENO_NO_UPDATE_CHECK=1`: no network request at every kernel start (these machines are offline).
 *
 * Options: `--heap-mb N` (default 8192), `--name NAME` and `--display NAME` (passed to deno),
 * `--env NAME=VALUE` (repeatable, more settings).
 *
 * Where kernel.json lies: deno prints the folder it wrote ("installed successfully at <dir>."); when
 * that line is missing, the default per-user Jupyter data folder of the platform is used
 * (`~/.local/share/jupyter/kernels/<name>` on Linux, `~/Library/Jupyter/kernels/<name>` on macOS,
 * `%APPDATA%\jupyter\kernels\<name>` on Windows), which is where deno 2.9.6 writes it.
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Settings this script adds to the kernel's `env` block. */
export function kernelEnv(
  heapMb: number,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  if (!Number.isInteger(heapMb) || heapMb < 256) {
    throw new Error(`--heap-mb must be an integer of at least 256 (MiB): got ${heapMb}`);
  }
  return { DENO_V8_FLAGS: `--max-old-space-size=${heapMb}`, DENO_NO_UPDATE_CHECK: "1", ...extra };
}

/**
 * Merges `env` into the text of a kernel.json and returns the new text: existing `env` entries are kept
 * unless `env` names them; `argv`, `display_name` and the other fields are left untouched.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { patchKernelJson } from "./jupyter_install.ts";
 * const text = patchKernelJson('{"argv": ["deno"], "env": {"A": "1"}}', { B: "2" });
 * assertEquals(JSON.parse(text), { argv: ["deno"], env: { A: "1", B: "2" } });
 * ```
 */
export function patchKernelJson(text: string, env: Readonly<Record<string, string>>): string {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (e) {
    throw new Error(`kernel.json is not valid JSON: ${e instanceof Error ? e.message : e}`);
  }
  if (typeof spec !== "object" || spec === null || !Array.isArray((spec as { argv?: unknown }).argv)) {
    throw new Error(`kernel.json must be an object with an "argv" list: got ${text.slice(0, 200)}`);
  }
  const s = spec as Record<string, unknown>;
  const old = typeof s.env === "object" && s.env !== null ? s.env as Record<string, string> : {};
  return JSON.stringify({ ...s, env: { ...old, ...env } }, null, 2) + "\n";
}

/** The kernelspec folder named in deno's "installed successfully at <dir>." message, if any. */
export function folderFromInstallMessage(output: string): string | undefined {
  const m = /installed successfully at (.+?)\.?\s*$/m.exec(output);
  return m?.[1];
}

/** The default per-user Jupyter kernels folder of a kernel name on this platform. */
export function defaultKernelDir(
  name: string,
  os: typeof Deno.build.os,
  env: (key: string) => string | undefined,
): string {
  const home = env("HOME") ?? env("USERPROFILE") ?? ".";
  if (os === "darwin") return join(home, "Library", "Jupyter", "kernels", name);
  if (os === "windows") {
    return join(env("APPDATA") ?? join(home, "AppData", "Roaming"), "jupyter", "kernels", name);
  }
  return join(env("XDG_DATA_HOME") ?? join(home, ".local", "share"), "jupyter", "kernels", name);
}

function parseArgs(args: readonly string[]) {
  const out = {
    heapMb: 8192,
    name: "deno",
    display: undefined as string | undefined,
    env: {} as Record<string, string>,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i], v = args[i + 1];
    if (a === "--heap-mb") out.heapMb = Number(v), i++;
    else if (a === "--name") out.name = v, i++;
    else if (a === "--display") out.display = v, i++;
    else if (a === "--env" && v?.includes("=")) {
      out.env[v.slice(0, v.indexOf("="))] = v.slice(v.indexOf("=") + 1), i++;
    } else {throw new Error(
        `unknown or incomplete option ${a}: use --heap-mb N, --name NAME, --display NAME, --env K=V`,
      );}
  }
  return out;
}

async function main(): Promise<number> {
  let opts, env;
  try {
    opts = parseArgs(Deno.args);
    env = kernelEnv(opts.heapMb, opts.env);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    return 2;
  }
  const args = ["jupyter", "--install", "--force", "--name", opts.name];
  if (opts.display) args.push("--display", opts.display);
  const res = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  })
    .output();
  const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  if (!res.success) {
    console.error(`deno ${args.join(" ")} failed (exit ${res.code}):\n${text}`);
    return 1;
  }
  const dir = folderFromInstallMessage(text) ??
    defaultKernelDir(opts.name, Deno.build.os, (k) => Deno.env.get(k));
  const path = join(dir, "kernel.json");
  const patched = patchKernelJson(await Deno.readTextFile(path), env);
  await Deno.writeTextFile(path, patched);
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  console.log(`Deno kernel "${opts.name}" installed: ${path}\n${patched}`);
  console.log(
    [
      "Open the notebooks (the kernel finds deno.json by walking up from the notebook's folder):",
      `  cd ${root} && jupyter lab notebooks/      # or: jupyter notebook notebooks/`,
      'then pick the "Deno" kernel. Headless: jupyter nbconvert --to notebook --execute notebooks/04_metrics.ipynb',
      "(or all of them, outputs checked, parameters with -p NAME VALUE: deno task notebooks)",
      "(Jupyter itself: apt-get install -y jupyter-notebook python3-jupyter-client, or pip install jupyterlab)",
    ].join("\n"),
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
