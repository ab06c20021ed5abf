/**
 * `deno task bench --quick` end to end on the bundled fixture: every preset is trained, timed, evaluated
 * and rendered on one and two threads, and the JSON has the documented shape.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { thresholdList } from "../experiments/bench.ts";

const root = new URL("..", import.meta.url).pathname;

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

Deno.test("bench --psnr: one or more thresholds, ascending, each > 0", () => {
  assertEquals(thresholdList("30, 26,26"), [26, 30]);
  assertEquals(thresholdList("22"), [22]);
  for (const bad of ["", "26,x", "0", "-1"]) assertThrows(() => thresholdList(bad), Error, "--psnr");
});

Deno.test("bench --quick writes the JSON and the markdown table for small, triplane, demo and paper", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-bench-" });
  try {
    const out = join(dir, "sub", "bench.json");
    const p = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "experiments/bench.ts", "--quick", "--out", out],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const dec = new TextDecoder();
    const stdout = dec.decode(p.stdout), stderr = dec.decode(p.stderr);
    assertEquals(p.code, 0, stderr);
    assertStringIncludes(stdout, "| preset | rays/step |");
    const r = JSON.parse(await Deno.readTextFile(out));
    assertEquals(r.format, "ssp-bench/1");
    assertEquals(r.options.quick, true);
    assert(isNum(r.matmul1024.gflops) && r.matmul1024.gflops > 0);
    assert(Array.isArray(r.loadAverage.before) && r.loadAverage.before.length === 3);
    assert(isNum(r.memory.maxTfBytes) && r.memory.maxRssBytes > r.memory.maxTfBytes);
    assertEquals(Object.keys(r.presets), ["small", "triplane", "demo", "paper"]);
    assertEquals(r.psnrThresholds, [26, 30]);
    for (const [name, pr] of Object.entries<Record<string, Record<string, unknown>>>(r.presets)) {
      const t = pr.train;
      for (
        const k of [
          "raysPerSec",
          "pointsPerSec",
          "gflopsAchieved",
          "matmul1024Gflops",
          "fieldForwardPerPoint",
        ]
      ) {
        assert(isNum(t[k]) && (t[k] as number) > 0, `${name}: train.${k} = ${t[k]}`);
      }
      assertEquals(t.pointsPerSec, (t.raysPerSec as number) * (t.pointsPerRay as number));
      assertEquals(Object.keys(pr.render), ["128x128", "256x256"]);
      for (const timing of Object.values(pr.render) as Record<string, unknown>[]) {
        assert(isNum(timing.fps1) && isNum(timing.fps2) && isNum(timing.speedup), name);
        assertEquals(timing.threads, 2);
        assertEquals(timing.maxAbsDiff, 0, `${name}: the two-thread render equals the one-thread render`);
        // The paper preset has importance samples: its renders take every sample.
        assertEquals(timing.skipping, name === "paper" ? "none" : "aligned", name);
        assert(isNum(timing.secondsPerFramePlain) && isNum(timing.maxAbsDiffPlain), name);
      }
      const ps = pr.psnr;
      const thresholds = ps.thresholds as Record<string, unknown>[];
      assertEquals(thresholds.map((t) => t.threshold), [26, 30], name);
      for (const t of thresholds) {
        assert(typeof t.extrapolated === "boolean" && typeof t.method === "string", name);
        assert(t.secondsToThreshold === null || isNum(t.secondsToThreshold), name);
      }
      assert(Array.isArray(ps.evals) && ps.evals.length >= 1 && isNum(ps.finalPsnr), name);
      const g = pr.grid;
      if (name === "paper") {
        assertEquals(g, null);
        continue;
      }
      assert(isNum(g.fractionOccupied) && g.fractionOccupied >= 0 && g.fractionOccupied <= 1, name);
      assert(isNum(g.psnrWith) && isNum(g.psnrWithout) && isNum(g.secondsToBuild), name);
      // (padding of the last round and the last sample can add a few samples to rays the grid keeps whole)
      assert(isNum(g.samplesEvaluatedFraction) && g.samplesEvaluatedFraction < 1.5, name);
    }
    // 26 and 30 dB are out of reach of a smoke run
    for (const t of r.presets.paper.psnr.thresholds) assertEquals(t.extrapolated, true);
    assertStringIncludes(r.table, "| time to 26 dB (steps) | time to 30 dB (steps) |");
    assertStringIncludes(r.table, "| paper | 8 |");
    // Training threads on the demo config: 1 and 2, measured in one run, the ratio to 1 thread.
    assertEquals(r.threads.config, "demo");
    assertEquals(Object.keys(r.threads.byThreads), ["1", "2"]);
    assertEquals(r.threads.byThreads["1"].ratio, 1);
    const two = r.threads.byThreads["2"];
    assert(isNum(two.stepsPerSec) && two.stepsPerSec > 0 && isNum(two.ratio) && two.ratio > 0);
    assert(isNum(two.timing.ownMs) && isNum(two.timing.workerComputeMs));
    assert(isNum(two.warmupStepsPerSec) && two.warmupStepsPerSec > 0);
    // CPU times come in 10 ms ticks: a quick run may have none (then the field is absent).
    if (two.cpuMsPerStep) assert(isNum(two.cpuMsPerStep.other) && two.cpuMsPerStep.other >= 0);
    assertStringIncludes(r.threads.protocol, "warm-up steps each");
    assertStringIncludes(r.table, "| threads | steps/s |");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
