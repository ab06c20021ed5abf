/**
 * `deno task render --eyes`: the eye track of an eye-conditioned run (a constant, a blink schedule, the
 * dataset's own), validated before any work.
 */
import { assert, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../lib/backend/mod.ts";
import { override, TINY } from "../lib/config/mod.ts";
import { loadDataset } from "../lib/data/mod.ts";
import { writeTinyDataset } from "../lib/data/tiny_dataset.ts";
import { readVideoFrames } from "../lib/io/mod.ts";
import { saveCheckpoint, Trainer } from "../lib/train/mod.ts";
import { renderCommand } from "../experiments/render.ts";

await initBackend({ log: null });

Deno.test("render --eyes: a bad value fails before the run is read, naming --eyes", async () => {
  for (
    const [value, msg] of [["blink:0", "the period must be seconds > 0"], ["2", "in [0, 1]"], [
      "wink",
      "--eyes",
    ]]
  ) {
    const e = await assertRejects(() =>
      renderCommand(["--run", "/nonexistent/run", "--audio", "x.wav", "--eyes", value])
    );
    assertStringIncludes((e as Error).message, msg);
  }
});

Deno.test("render --eyes: closed, open, blink and dataset tracks of an eye-conditioned tiny run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-render-eyes-" });
  const data = join(dir, "data"), run = join(dir, "run");
  await writeTinyDataset(data, { frames: 12, width: 16, height: 16, audioDim: 13 });
  const dataset = await loadDataset(data);
  const trainer = Trainer.create(dataset, override(TINY, { eye: { enabled: true }, train: { steps: 2 } }));
  try {
    for (let i = 0; i < 2; i++) await trainer.trainStep();
    await saveCheckpoint(trainer, run);
  } finally {
    trainer.dispose();
  }
  try {
    const frames = async (eyes: string) => {
      const out = join(dir, `${eyes.replace(/[:,.]/g, "_")}.mp4`);
      await renderCommand(
        [
          "--run",
          run,
          "--audio",
          join(data, "aud.npy"),
          "--frames",
          "3",
          "--workers",
          "0",
          "--eyes",
          eyes,
          "--out",
          out,
        ],
      );
      const all = [];
      for await (const f of readVideoFrames(out)) all.push(f.data);
      return all;
    };
    const diff = (a: Uint8Array[], b: Uint8Array[]) =>
      Math.max(...a.map((f, k) => f.reduce((m, v, i) => Math.max(m, Math.abs(v - b[k][i])), 0)));
    const closed = await frames("closed"), open = await frames("open"), zero = await frames("0");
    assert(closed.length === 3);
    assert(
      diff(closed, zero) <= diff(closed, open),
      "closed and 0 should match at least as well as closed and open",
    );
    assert(diff(closed, open) > 0, "the eye value does not reach the rendered frames");
    assert((await frames("blink:0.1,0.05")).length === 3);
    assert((await frames("dataset")).length === 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
