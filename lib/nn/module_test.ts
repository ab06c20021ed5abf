import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { Linear } from "./linear.ts";
import { collectParams, countParams, disposeParams, namedVariable } from "./module.ts";

await initBackend({ log: null });

Deno.test("namedVariable keeps the key as the tf name when free, and suffixes it when taken", () => {
  const [a, b] = tf.tidy(
    () => [namedVariable("module.test.v", tf.zeros([2])), namedVariable("module.test.v", tf.zeros([2]))],
  );
  assertEquals(a.name, "module.test.v");
  assertNotEquals(b.name, a.name);
  tf.dispose([a, b]);
});

Deno.test("collectParams merges in order, counts, and rejects duplicates", () => {
  const a = new Linear("m.a", 3, 4), b = new Linear("m.b", 4, 2, { bias: false });
  const all = collectParams(a, b);
  assertEquals([...all.keys()], ["m.a.w", "m.a.b", "m.b.w"]);
  assertEquals(countParams(all), 12 + 4 + 8);
  assertEquals(countParams(a), 16);
  assertThrows(
    () => collectParams(a, a),
    Error,
    "module.ts: parameter name m.a.w appears in more than one module",
  );
  const before = tf.memory().numTensors;
  disposeParams(all);
  assertEquals(tf.memory().numTensors, before - 3);
});
