import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { faceApiFolder, loadFaceApi, readFaceApiWeights } from "./faceapi.ts";

Deno.test("loadFaceApi: face-api runs on the project's tfjs engine and backend", async () => {
  await initBackend({ log: null });
  const faceapi = await loadFaceApi();
  const theirs = faceapi.tf as unknown as typeof tf;
  assert(theirs.engine() === tf.engine(), "one engine");
  assert(theirs.Tensor === tf.Tensor, "one Tensor class");
  assertEquals(theirs.getBackend(), tf.getBackend());
  assertEquals(faceapi.tf.version["tfjs-core"], tf.version_core);
  assert((await loadFaceApi()) === faceapi, "loaded once");
});

Deno.test("readFaceApiWeights: reads manifest and shards from the package folder, without fetch", async () => {
  await initBackend({ log: null });
  const realFetch = globalThis.fetch;
  globalThis.fetch = () => Promise.reject(new Error("no network in this test"));
  try {
    const manifest = JSON.parse(
      await Deno.readTextFile(new URL("model/face_landmark_68_model-weights_manifest.json", faceApiFolder())),
    ) as { weights: { name: string; shape: number[] }[] }[];
    const specs = manifest.flatMap((g) => g.weights);
    const before = tf.memory().numTensors;
    const weights = await readFaceApiWeights("face_landmark_68_model");
    assertEquals(Object.keys(weights).sort(), specs.map((s) => s.name).sort());
    for (const s of specs) assertEquals(weights[s.name].shape, s.shape, s.name);
    // Quantised uint8 weights come back dequantised to float32 values in their stated range.
    const conv0 = weights["dense0/conv0/filters"].dataSync();
    assert(conv0.every((v) => Number.isFinite(v) && Math.abs(v) < 5));
    tf.dispose(Object.values(weights));
    assertEquals(tf.memory().numTensors, before);
  } finally {
    globalThis.fetch = realFetch;
  }
});
