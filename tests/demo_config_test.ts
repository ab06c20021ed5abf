import { assertEquals } from "@std/assert";
import { DEMO, override, validateConfig } from "../lib/config/mod.ts";
import { ABLATION_BASE, ablationBase } from "../lib/ablation/mod.ts";
import { DEMO_STEPS, DEMO_THREADS, demoConfig } from "../experiments/configs.ts";

Deno.test("demoConfig: the demo preset with the budget's steps, a decay over them and the thread count, nothing else", () => {
  const c = demoConfig();
  assertEquals([c.train.steps, c.train.lrDecaySteps, c.train.threads], [
    DEMO_STEPS,
    DEMO_STEPS,
    DEMO_THREADS,
  ]);
  const { train, ...rest } = c;
  const { train: demoTrain, ...demoRest } = DEMO;
  assertEquals(rest, demoRest);
  assertEquals({ ...train, steps: 0, lrDecaySteps: 0, threads: 0 }, {
    ...demoTrain,
    steps: 0,
    lrDecaySteps: 0,
    threads: 0,
  });
  validateConfig(c, "demo");
  const short = demoConfig(30, 1);
  assertEquals([short.train.steps, short.train.lrDecaySteps, short.train.threads], [30, 30, 1]);
});

Deno.test("the ablation base is the demo preset with the paper's sampler rule (and the study's torso gate), the demo allocates by error share", () => {
  assertEquals(DEMO.pixelSampler.kind === "semanticDynamic" && DEMO.pixelSampler.allocation, "errorArea");
  const base = ablationBase(DEMO);
  assertEquals(base.pixelSampler.kind === "semanticDynamic" && base.pixelSampler.allocation, "error");
  // nothing else differs: the demo's other sampler settings and every other section
  assertEquals({ ...base, pixelSampler: DEMO.pixelSampler }, DEMO);
  assertEquals({ ...base.pixelSampler, allocation: "errorArea" }, DEMO.pixelSampler);
  const { name, train, torso, ...rest } = ABLATION_BASE;
  assertEquals([name, train.evalEvery, train.checkpointEvery], ["full", 0, 0]);
  assertEquals(rest, (({ name: _n, train: _t, torso: _o, ...r }) => r)(base));
  // The study's torso: the demo's, with the gate the study was run with (read from the pose-seeing MLP).
  assertEquals(DEMO.torso.kind === "deform3d" && DEMO.torso.gate, "point");
  const { gate: _g, ...studyTorso } = DEMO.torso as typeof DEMO.torso & { gate?: string };
  assertEquals(torso, studyTorso);
  // a preset with another sampler is left as it is
  const uniform = override(DEMO, { pixelSampler: { kind: "uniform" } });
  assertEquals(ablationBase(uniform), uniform);
});
