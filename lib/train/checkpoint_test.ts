import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { type CheckpointMeta, loadCheckpoint, readCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { Trainer } from "./trainer.ts";

await initBackend({ log: null });

async function tinyData() {
  const dir = await Deno.makeTempDir({ prefix: "ssp-ckpt-" });
  await writeTinyDataset(dir, { frames: 12, width: 16, height: 16, audioDim: 13 });
  return { dir, dataset: await loadDataset(dir) };
}

const bins = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".bin")).sort();

/** Rewrites a checkpoint's .bin with `edit` applied, and its size and hash in checkpoint.json to match. */
async function editCheckpoint(dir: string, edit: (data: Float32Array, meta: CheckpointMeta) => void) {
  const meta: CheckpointMeta = JSON.parse(await Deno.readTextFile(`${dir}/checkpoint.json`));
  const bytes = await Deno.readFile(`${dir}/${meta.bin}`);
  edit(new Float32Array(bytes.buffer), meta);
  await Deno.writeFile(`${dir}/${meta.bin}`, bytes);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(
    `${dir}/checkpoint.json`,
    JSON.stringify({ ...meta, binBytes: bytes.byteLength, binSha256: hex }),
  );
}

Deno.test("checkpoint: NaN or Inf is refused at load, naming the parameter; a diverged trainer does not overwrite", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TINY), b = Trainer.create(dataset, TINY);
  try {
    await a.trainStep();
    await saveCheckpoint(a, `${dir}/run`);
    const meta: CheckpointMeta = JSON.parse(await Deno.readTextFile(`${dir}/run/checkpoint.json`));
    const size = (t: { shape: readonly number[] }) => t.shape.reduce((x, y) => x * y, 1);
    const p = meta.params.find((t) => size(t) >= 8)!;
    await editCheckpoint(`${dir}/run`, (d) => {
      d[p.offset + 3] = NaN;
      d[p.offset + 5] = Infinity;
    });
    const e = await assertRejects(() => loadCheckpoint(b, `${dir}/run`));
    const n = size(p);
    assertStringIncludes(
      e.message,
      `checkpoint ${dir}/run/checkpoint-1.bin (step 1): parameter ${p.name} holds NaN at index 3 (2 of ${n} values ` +
        "are not finite): the run had diverged when it was saved",
    );
    const o = meta.optimizer[0];
    await editCheckpoint(`${dir}/run`, (d, m) => {
      d[p.offset + 3] = 0, d[p.offset + 5] = 0;
      d[m.optimizerOffset + o.offset] = -Infinity;
    });
    await assertRejects(
      () => loadCheckpoint(b, `${dir}/run`),
      Error,
      `optimizer moment ${o.name} holds -Infinity`,
    );
    // A trainer whose parameters went NaN: the save is refused and the last checkpoint stays.
    await saveCheckpoint(a, `${dir}/good`);
    const good = await Deno.readTextFile(`${dir}/good/checkpoint.json`);
    await a.trainStep();
    const [name, v] = [...a.model.params][0];
    v.assign(tf.fill(v.shape, NaN));
    const s = await assertRejects(() => saveCheckpoint(a, `${dir}/good`));
    assertStringIncludes(s.message, `training diverged at step 2: parameter ${name} holds NaN at index 0`);
    assertStringIncludes(s.message, `the last checkpoint in ${dir}/good is kept`);
    assertEquals(await Deno.readTextFile(`${dir}/good/checkpoint.json`), good);
    assertEquals(bins(`${dir}/good`), ["checkpoint-1.bin"]);
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: the .json and .bin are one unit: a changed .bin is refused after a second read", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TINY);
  try {
    await a.trainStep();
    await saveCheckpoint(a, `${dir}/run`);
    const bytes = await Deno.readFile(`${dir}/run/checkpoint-1.bin`);
    bytes[17] ^= 1;
    await Deno.writeFile(`${dir}/run/checkpoint-1.bin`, bytes);
    await assertRejects(
      () => readCheckpoint(`${dir}/run`),
      Error,
      `checkpoint ${dir}/run/checkpoint.json: its data file ${dir}/run/checkpoint-1.bin does not match the ` +
        "SHA-256 in checkpoint.json (read twice",
    );
    await Deno.writeFile(`${dir}/run/checkpoint-1.bin`, bytes.subarray(0, 40));
    await assertRejects(() => readCheckpoint(`${dir}/run`), Error, "has 40 bytes, checkpoint.json expects");
    await Deno.remove(`${dir}/run/checkpoint-1.bin`);
    await assertRejects(() => readCheckpoint(`${dir}/run`), Error, "is missing (read twice");
  } finally {
    a.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint: loads while a trainer keeps saving always get a whole checkpoint; the previous .bin is kept", async () => {
  const { dir, dataset } = await tinyData();
  const a = Trainer.create(dataset, TINY), b = Trainer.create(dataset, TINY);
  try {
    await a.trainStep();
    await saveCheckpoint(a, `${dir}/run`);
    const before = tf.memory().numTensors;
    let writing = true;
    const steps: number[] = [];
    const writer = (async () => {
      for (let i = 0; i < 12; i++) {
        await a.trainStep();
        await saveCheckpoint(a, `${dir}/run`);
      }
      writing = false;
    })();
    const reader = (async () => {
      while (writing) steps.push((await loadCheckpoint(b, `${dir}/run`)).step);
    })();
    await Promise.all([writer, reader]);
    assert(steps.length >= 3, `only ${steps.length} loads overlapped the writes`);
    for (let i = 1; i < steps.length; i++) assert(steps[i] >= steps[i - 1], `steps went back: ${steps}`);
    assertEquals(b.step, steps.at(-1));
    assertEquals(tf.memory().numTensors, before);
    assertEquals(bins(`${dir}/run`), ["checkpoint-12.bin", "checkpoint-13.bin"]);
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
