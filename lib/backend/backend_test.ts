import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertStringIncludes } from "@std/assert";
import { initBackend, wasmBinaryFolder } from "./backend.ts";

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
