import { assertEquals, assertLess } from "@std/assert";
import type { FrameMeta } from "../data/mod.ts";
import { createRng } from "../nn/rng.ts";
import { drawFrame } from "./sample_batch.ts";

// 40 frames, every 10th with the eyes shut (eye 0), one half-closed (0.49), the rest open or unknown.
const frames = Array.from({ length: 40 }, (_, i) => ({
  imgId: i,
  eye: i % 10 === 0 ? 0 : i === 7 ? 0.49 : i === 8 ? undefined : 1,
})) as unknown as FrameMeta[];
const isClosed = (f: FrameMeta) => f.eye !== undefined && f.eye < 0.5;

Deno.test("drawFrame: absent share draws exactly as before (one int per step)", () => {
  const a = createRng(3), b = createRng(3);
  for (let k = 0; k < 200; k++) assertEquals(drawFrame(frames, undefined, a), frames[b.int(frames.length)]);
});

Deno.test("drawFrame: share q gives closed frames with probability q + (1 - q) c (Monte Carlo vs analytic)", () => {
  const c = frames.filter(isClosed).length / frames.length; // 5 / 40
  for (const q of [0, 0.3, 1]) {
    const rng = createRng(11);
    const n = 20000;
    let hits = 0;
    for (let k = 0; k < n; k++) if (isClosed(drawFrame(frames, q, rng))) hits++;
    const p = q + (1 - q) * c;
    // 4.5 standard deviations of a binomial proportion (exact at q = 1).
    assertLess(Math.abs(hits / n - p), 4.5 * Math.sqrt(p * (1 - p) / n) + 1e-12, `q = ${q}`);
  }
  const open = frames.filter((f) => !isClosed(f));
  const rng = createRng(5), ref = createRng(5);
  for (let k = 0; k < 50; k++) {
    ref.next();
    assertEquals(drawFrame(open, 1, rng), open[ref.int(open.length)], "no closed frame: uniform");
  }
  const only = new Set<number>();
  const r = createRng(2);
  for (let k = 0; k < 500; k++) only.add(drawFrame(frames, 1, r).imgId);
  assertEquals(
    [...only].sort((a, b) => a - b),
    [0, 7, 10, 20, 30],
    "q = 1: the shut and the closing (0.49) frames",
  );
});
