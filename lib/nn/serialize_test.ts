import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { Mlp } from "./mlp.ts";
import { collectParams } from "./module.ts";
import { Conv1d } from "./conv1d.ts";
import { loadParams, serializeParams } from "./serialize.ts";

await initBackend({ log: null });

Deno.test("serialize -> load round-trips a model's weights into a differently seeded copy", () => {
  const a = new Mlp("field", [6, 16, 3], { seed: 1 }), conv = new Conv1d("aud.c0", 4, 8, { seed: 2 });
  const b = new Mlp("field", [6, 16, 3], { seed: 99 }), convB = new Conv1d("aud.c0", 4, 8, { seed: 98 });
  const { manifest, data } = serializeParams(collectParams(a, conv));
  assertEquals(manifest.map((e) => e.name), [
    "field.l0.w",
    "field.l0.b",
    "field.l1.w",
    "field.l1.b",
    "aud.c0.w",
    "aud.c0.b",
  ]);
  assertEquals(manifest.map((e) => e.offset), [0, 96, 112, 160, 163, 259]);
  assertEquals(data.length, 267);
  // Through JSON and bytes, as a checkpoint file would carry them.
  const manifest2 = JSON.parse(JSON.stringify(manifest));
  const data2 = new Float32Array(new Uint8Array(data.buffer.slice(0)).buffer);
  loadParams(collectParams(b, convB), manifest2, data2, "mem.bin");
  const x = tf.randomNormal([5, 6]) as tf.Tensor2D;
  const ya = a.apply(x), yb = b.apply(x);
  assertEquals(ya.dataSync(), yb.dataSync());
  assertEquals(conv.w.dataSync(), convB.w.dataSync());
  tf.dispose([x, ya, yb]);
  for (const m of [a, b, conv, convB]) m.dispose();
});

Deno.test("loadParams names the checkpoint, the key and both shapes, and changes nothing on error", () => {
  const small = new Mlp("field", [63, 128, 4]), big = new Mlp("field", [63, 256, 4]);
  const { manifest, data } = serializeParams(small.params);
  const before = big.layers[1].w.dataSync().slice();
  assertThrows(
    () => loadParams(big.params, manifest, data, "runs/x/ckpt.bin"),
    Error,
    "checkpoint runs/x/ckpt.bin: parameter field.l0.w has shape [63,128], model expects [63,256]",
  );
  assertEquals(big.layers[1].w.dataSync(), before);
  assertThrows(
    () => loadParams(small.params, manifest.slice(1), data, "c.bin"),
    Error,
    "checkpoint c.bin: parameter field.l0.w is missing (model expects [63,128])",
  );
  assertThrows(
    () => loadParams(small.params, [...manifest, { name: "extra.w", shape: [1], offset: 0 }], data, "c.bin"),
    Error,
    "checkpoint c.bin: parameter extra.w is not in the model",
  );
  assertThrows(
    () => loadParams(small.params, manifest, data.subarray(0, 8100), "c.bin"),
    Error,
    "checkpoint c.bin: parameter field.l0.b needs values [8064, 8192) but the data holds 8100",
  );
  assertThrows(
    () => loadParams(small.params, [...manifest, manifest[0]], data, "c.bin"),
    Error,
    "parameter field.l0.w appears twice",
  );
  small.dispose();
  big.dispose();
});
