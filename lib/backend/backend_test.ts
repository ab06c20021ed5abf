import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { describeGpuAdapter, initBackend, VULKAN_PACKAGES, wasmBinaryFolder } from "./backend.ts";

Deno.test("wasm binaries come from the installed package, not a CDN", async () => {
  const folder = wasmBinaryFolder();
  assertStringIncludes(folder, "file://");
  const stat = await Deno.stat(new URL("tfjs-backend-wasm-simd.wasm", folder));
  assertEquals(stat.isFile, true);
});

Deno.test("initBackend starts wasm, names it, and computes correctly", async () => {
  const messages: string[] = [];
  const info = await initBackend({ log: (m) => messages.push(m) });
  assertEquals(info.name, "wasm");
  assertEquals(tf.getBackend(), "wasm");
  assertStringIncludes(messages[0], "tfjs backend: wasm");
  const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]]));
  assertEquals(Array.from(y.dataSync()), [17, 39]);
  y.dispose();
});

Deno.test("requireGpu with a CPU backend is refused, naming the flag to use", async () => {
  await assertRejects(
    () => initBackend({ backend: "wasm", requireGpu: true, log: null }),
    Error,
    "--backend webgpu",
  );
  await assertRejects(() => initBackend({ backend: "tpu" as never, log: null }), Error, "wasm, webgpu, cpu");
});

/** Runs initBackend in a fresh process (webgpu would become this test process's backend otherwise). */
async function initInSubprocess(options: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = `import * as tf from "@tensorflow/tfjs";
    import { initBackend } from ${JSON.stringify(new URL("./backend.ts", import.meta.url).href)};
    const info = await initBackend(${options});
    const y = await tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).data();
    console.log(JSON.stringify({ name: info.name, backend: tf.getBackend(), y: Array.from(y), adapter: info.adapter }));`;
  const env: Record<string, string> = { ...Deno.env.toObject() };
  env.XDG_RUNTIME_DIR ??= await Deno.makeTempDir();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const adapter = await describeGpuAdapter();
const allowNoGpu = Deno.env.get("SSP_ALLOW_NO_GPU") === "1";

Deno.test({
  name:
    "initBackend webgpu: starts it explicitly, logs the adapter, computes; requireGpu refuses a fallback adapter",
  ignore: !adapter && allowNoGpu,
  fn: async () => {
    if (!adapter) {
      throw new Error(`no WebGPU adapter: install ${VULKAN_PACKAGES} (or set SSP_ALLOW_NO_GPU=1)`);
    }
    const run = await initInSubprocess(`{ backend: "webgpu" }`);
    assertEquals(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assertEquals([r.name, r.backend, r.y], ["webgpu", "webgpu", [17, 39]]);
    assertEquals(r.adapter.isFallbackAdapter, adapter.isFallbackAdapter);
    assertStringIncludes(run.stderr, "tfjs backend: webgpu (");
    const strict = await initInSubprocess(`{ backend: "webgpu", requireGpu: true }`);
    if (adapter.isFallbackAdapter) {
      assertEquals(strict.code, 1);
      assertStringIncludes(strict.stderr, "fallback (software) one");
    } else {
      assertEquals(strict.code, 0, strict.stderr);
    }
  },
});

Deno.test("a process that does not ask for webgpu never starts it (importing the package would)", async () => {
  const run = await initInSubprocess(`{ log: null }`);
  assertEquals(run.code, 0, run.stderr);
  assertEquals(JSON.parse(run.stdout.trim()).backend, "wasm");
});

Deno.test("on wasm, clones and same-dtype casts share the data; each stays valid until its own dispose", async () => {
  await initBackend({ backend: "wasm", log: null });
  const before = tf.memory();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const c = tf.clone(x), f = tf.cast(x, "float32"), i = tf.cast(x, "int32");
  const buffers = tf.memory().numDataBuffers - before.numDataBuffers;
  assertEquals(buffers, 2, "x and the int32 cast hold data; the clone and the float32 cast share x's");
  x.dispose();
  assertEquals(Array.from(c.dataSync()), [1, 2, 3, 4]);
  c.dispose();
  assertEquals(Array.from(f.dataSync()), [1, 2, 3, 4]);
  assertEquals(i.dtype, "int32");
  // A variable's clone keeps the old value when the variable is assigned (a gradient's saved input).
  const v0 = tf.tensor1d([5, 6]), v1 = tf.tensor1d([7, 8]);
  const v = tf.variable(v0);
  const saved = tf.clone(v);
  v.assign(v1);
  assertEquals(Array.from(saved.dataSync()), [5, 6]);
  assertEquals(Array.from(v.dataSync()), [7, 8]);
  tf.dispose([f, i, v, saved, v0, v1]);
  assertEquals(tf.memory().numTensors, before.numTensors);
  assertEquals(tf.memory().numDataBuffers, before.numDataBuffers);
});
