import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  configDigest,
  DEMO,
  type MlpFieldConfig,
  override,
  PAPER,
  PRESETS,
  SMALL,
  TINY,
  TRIPLANE,
  upgradeConfig,
  validateConfig,
} from "./mod.ts";

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
  const threads = assertThrows(() => validateConfig(override(TINY, { train: { threads: 1.5 } }), "t.json"));
  assertStringIncludes(threads.message, "train.threads must be a positive integer: got 1.5");
  assertThrows(() => validateConfig(override(TINY, { train: { threads: 0 } })), Error, "train.threads");
  validateConfig(override(TINY, { train: { threads: 2 } }));
});

Deno.test("old loss fields map to the loss section; a field beside the section is named in the error", () => {
  // An old config.json: the loss weights in train, parsing and torso.
  const { loss: _loss, pose: _pose, ...rest } = PAPER;
  const old = {
    ...rest,
    train: { ...PAPER.train, coarseWeight: 0.5 },
    parsing: { enabled: true, lambdaSem: 0.2 },
    torso: { ...PAPER.torso, penalty: 0.03 },
  };
  const c = upgradeConfig(JSON.parse(JSON.stringify(old)), "old.json");
  assertEquals(c.loss, {
    rgb: 1,
    rgbCoarse: 0.5,
    semantic: 0.2,
    semanticCoarse: 0.2 * 0.5,
    deformation: 0.03,
  });
  assertEquals(c.pose, { kind: "euler" });
  assertEquals("coarseWeight" in c.train || "lambdaSem" in c.parsing || "penalty" in c.torso, false);
  validateConfig(c, "old.json");
  // A current config passes unchanged.
  assertEquals(upgradeConfig(JSON.parse(JSON.stringify(PAPER)), "paper.json"), PAPER);
  const e = assertThrows(() =>
    upgradeConfig(
      { ...JSON.parse(JSON.stringify(PAPER)), parsing: { enabled: true, lambdaSem: 1 } },
      "mixed.json",
    )
  );
  assertStringIncludes(e.message, "mixed.json");
  assertStringIncludes(e.message, "parsing.lambdaSem");
});

Deno.test("loss weights are validated; each component's section is checked by its own validator", () => {
  const e = assertThrows(() =>
    validateConfig(
      override(TINY, {
        loss: { deformation: -1 },
        pixelSampler: { kind: "semanticDynamic", allocation: "errors" as never },
        torso: { weighting: "mask" as never },
        pose: { kind: "keypoints", count: 0 },
      }),
      "bad.json",
    )
  );
  assertStringIncludes(e.message, "loss.deformation must be a finite number >= 0: got -1");
  assertStringIncludes(e.message, `pixelSampler.allocation must be one of "error", "area", "errorArea"`);
  assertStringIncludes(e.message, "torso.weighting");
  assertStringIncludes(e.message, "pose.count must be a positive integer: got 0");
  validateConfig(DEMO, "demo");
  assertEquals(PRESETS.demo, DEMO);
});

Deno.test("override may add the optional fields a preset leaves out (torso.motion, field.codeAttention), no others", () => {
  const c = override(TRIPLANE, { torso: { motion: "rigid" }, field: { codeAttention: true } });
  assertEquals(c.torso, { ...TRIPLANE.torso, motion: "rigid" });
  assertEquals((c.field as { codeAttention?: boolean }).codeAttention, true);
  assertEquals("motion" in TRIPLANE.torso, false);
  assertEquals("codeAttention" in TRIPLANE.field, false);
  const e = assertThrows(() => override(DEMO, { train: { motion: "rigid" } } as never));
  assertStringIncludes(String(e), "config.train.motion is not a configuration field");
});

Deno.test("pixelSampler.eyeRegion: set by override on the demo preset, validated beside the sampler's fields", () => {
  const c = override(DEMO, { pixelSampler: { eyeRegion: true } });
  assertEquals(c.pixelSampler, { ...DEMO.pixelSampler, eyeRegion: true });
  assertEquals("eyeRegion" in DEMO.pixelSampler, false);
  validateConfig(c, "demo + eyeRegion");
  const bad = assertThrows(() =>
    validateConfig(override(DEMO, { pixelSampler: { eyeRegion: 1 as never } }), "x")
  );
  assertStringIncludes(String(bad), "pixelSampler.eyeRegion must be true or false: got 1");
  const uniform = override(DEMO, { pixelSampler: { kind: "uniform" } });
  const other = assertThrows(() =>
    validateConfig(override(uniform, { pixelSampler: { eyeRegion: true } }), "x")
  );
  assertStringIncludes(String(other), 'pixelSampler.eyeRegion applies to kind "semanticDynamic" only');
  const typo = assertThrows(() => override(DEMO, { pixelSampler: { eyesRegion: true } } as never));
  assertStringIncludes(String(typo), "config.pixelSampler.eyesRegion is not a configuration field");
});

Deno.test("train.closedEyeShare: set by override, validated as a number in [0, 1]", () => {
  validateConfig(override(DEMO, { train: { closedEyeShare: 0.25 } }), "demo + share");
  for (const bad of [-0.1, 1.5, "0.2"]) {
    const e = assertThrows(() =>
      validateConfig(override(DEMO, { train: { closedEyeShare: bad as never } }), "x")
    );
    assertStringIncludes(
      String(e),
      `train.closedEyeShare must be a number in [0, 1]: got ${JSON.stringify(bad)}`,
    );
  }
});

Deno.test("configDigest: FNV-1a 32 of the key-sorted JSON (values from an independent implementation), key order ignored", () => {
  // FNV-1a 32 of the text "a" is 0xe40c292c (the published test vector); here of the JSON text.
  assertEquals(configDigest("a"), "61a1cfea"); // of '"a"'
  assertEquals(configDigest({ b: [2, { c: null }], a: 1 }), "3c8a25b5"); // of '{"a":1,"b":[2,{"c":null}]}'
  assertEquals(configDigest(DEMO), configDigest(JSON.parse(JSON.stringify(DEMO))));
  const digests = new Set(Object.values(PRESETS).map(configDigest));
  assertEquals(digests.size, Object.keys(PRESETS).length);
  assertEquals(configDigest(override(DEMO, { train: { steps: 2401 } })) === configDigest(DEMO), false);
});
