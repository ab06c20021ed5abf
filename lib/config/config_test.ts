import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { type MlpFieldConfig, override, PAPER, SMALL, TINY, validateConfig } from "./mod.ts";

const mlp = (c: { field: unknown }) => c.field as MlpFieldConfig;

Deno.test("presets are valid and the paper preset has AD-NeRF's sizes", () => {
  for (const c of [PAPER, SMALL, TINY]) validateConfig(c, c.name);
  assertEquals([mlp(PAPER).depth, mlp(PAPER).width, mlp(PAPER).skips], [8, 256, [4]]);
  assertEquals([PAPER.points.numCoarse, PAPER.points.numFine, PAPER.train.raysPerStep], [64, 128, 2048]);
  // SSP-NeRF's own sampler; AD-NeRF's face-rect rule is an ablation row.
  assertEquals(PAPER.pixelSampler.kind, "semanticDynamic");
  assertEquals(PAPER.torso.kind, "deform3d");
});

Deno.test("override replaces only the named fields, deeply, and leaves the base alone", () => {
  const c = override(PAPER, { field: { width: 64 }, train: { steps: 5 } });
  assertEquals(mlp(c).width, 64);
  assertEquals(mlp(c).depth, 8);
  assertEquals(c.train.steps, 5);
  assertEquals(mlp(PAPER).width, 256);
});

Deno.test("override with a new kind replaces the whole variant", () => {
  const c = override(PAPER, { pixelSampler: { kind: "uniform" } });
  assertEquals(c.pixelSampler, { kind: "uniform" });
});

Deno.test("override rejects unknown fields with their path", () => {
  const e = assertThrows(() => override(PAPER, { field: { widht: 3 } } as never));
  assertStringIncludes(e.message, "config.field.widht is not a configuration field");
});

Deno.test("validateConfig lists every bad field", () => {
  const bad = override(TINY, { field: { width: 0 }, train: { lr: -1 } });
  const e = assertThrows(() => validateConfig(bad, "my.json"));
  assertStringIncludes(e.message, "my.json: invalid configuration");
  assertStringIncludes(e.message, "field.width must be a positive integer: got 0");
  assertStringIncludes(e.message, "train.lr must be a finite number > 0: got -1");
});
