/**
 * The shared --backend / --require-gpu flags of the tasks (experiments/cli.ts): parsing, the SSP_BACKEND
 * variable, and clear errors end to end.
 */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { BACKEND_FLAGS, backendOptions } from "../experiments/cli.ts";

const root = new URL("..", import.meta.url).pathname;

async function deno(args: string[], env: Record<string, string> = {}) {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: p.code, out: dec.decode(p.stdout), err: dec.decode(p.stderr) };
}

Deno.test("backendOptions: the flag wins over SSP_BACKEND, which wins over wasm; bad names are named", () => {
  assertEquals(backendOptions({}, undefined), { backend: "wasm", requireGpu: false });
  assertEquals(backendOptions({}, "webgpu"), { backend: "webgpu", requireGpu: false });
  assertEquals(backendOptions({ backend: "cpu", "require-gpu": true }, "webgpu"), {
    backend: "cpu",
    requireGpu: true,
  });
  assertThrows(
    () => backendOptions({ backend: "gpu" }, undefined),
    Error,
    '--backend must be one of wasm, webgpu, cpu: got "gpu"',
  );
  assertThrows(() => backendOptions({}, "cuda"), Error, "SSP_BACKEND must be one of");
  assertEquals(Object.keys(BACKEND_FLAGS), ["backend", "require-gpu"]);
});

Deno.test("every tfjs task lists --backend and --require-gpu in its help", async () => {
  for (const task of ["train", "render", "demo", "ablation", "bench", "eval", "preprocess"]) {
    const r = await deno([`experiments/${task}.ts`, "--help"]);
    assertStringIncludes(r.out, "--backend <value>", task);
    assertStringIncludes(r.out, "--require-gpu", task);
  }
});

Deno.test("train: a bad backend and --require-gpu without webgpu fail before any work, saying why", async () => {
  const bad = await deno(["experiments/train.ts", "--config", "tiny", "--backend", "tpu"]);
  assertEquals(bad.code, 1);
  assertStringIncludes(bad.err, "--backend must be one of wasm, webgpu, cpu");
  const env = await deno(["experiments/train.ts", "--config", "tiny"], { SSP_BACKEND: "tpu" });
  assertEquals(env.code, 1);
  assertStringIncludes(env.err, "SSP_BACKEND must be one of");
  const req = await deno(["experiments/train.ts", "--config", "tiny", "--require-gpu"]);
  assertEquals(req.code, 1);
  assertStringIncludes(req.err, "--require-gpu needs the webgpu backend");
});
