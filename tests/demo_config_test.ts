import { assertEquals } from "@std/assert";
import { DEMO, validateConfig } from "../lib/config/mod.ts";
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
