import { assertEquals, assertStringIncludes } from "@std/assert";
import { createProgress, formatDuration } from "./progress.ts";

Deno.test("formatDuration covers seconds, minutes and hours", () => {
  assertEquals(formatDuration(12.34), "12.3s");
  assertEquals(formatDuration(187), "3m07s");
  assertEquals(formatDuration(3720), "1h02m");
  assertEquals(formatDuration(NaN), "?");
});

Deno.test("progress shows step, values and an ETA from the elapsed rate", () => {
  let t = 0;
  const lines: string[] = [];
  const p = createProgress(100, {
    label: "train",
    write: (s) => lines.push(s),
    inPlace: false,
    every: 10,
    now: () => t,
  });
  for (let i = 1; i <= 20; i++) {
    t = i * 500; // 0.5 s per step
    p.update(i, { loss: 0.01234, psnr: 21.5 });
  }
  assertEquals(lines.length, 2);
  assertStringIncludes(lines[1], "train [####----------------] 20/100");
  assertStringIncludes(lines[1], "loss 0.0123");
  assertStringIncludes(lines[1], "psnr 21.50");
  assertStringIncludes(lines[1], "eta 40.0s"); // 80 steps left at 0.5 s
});
