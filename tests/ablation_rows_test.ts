import { assertEquals } from "@std/assert";
import { override, TINY, TRIPLANE, validateConfig } from "../lib/config/mod.ts";
import { ablations } from "../experiments/ablations.ts";
import { ABLATION_PAIRS, EYE_CONTROL_CLOSED_SHARE } from "../lib/ablation/mod.ts";

Deno.test("ablations: the eye-control rows: w/o flips the eye conditioning only; with adds the recipe, nothing else", () => {
  // A base with eye control: the row turns it off and changes nothing else.
  const on = override(TINY, { eye: { enabled: true } });
  const offRows = ablations(on);
  assertEquals(["w/o eye control" in offRows, "with eye control" in offRows], [true, false]);
  const { name: _a, eye: e, ...rest } = offRows["w/o eye control"];
  const { name: _b, eye: onEye, ...onRest } = on;
  assertEquals([e.enabled, e.freqs], [false, onEye.freqs]);
  assertEquals(rest, onRest);
  // A base without: the row adds eye control with the settings it needs where the base has them (the
  // tri-plane field's attention, the semantic sampler's eye region), and the closed-eye frame share.
  for (const base of [TINY, TRIPLANE, override(TRIPLANE, { pixelSampler: { kind: "uniform" } })]) {
    const rows = ablations(base);
    assertEquals(["with eye control" in rows, "w/o eye control" in rows], [true, false]);
    const row = rows["with eye control"];
    const want = override(base, {
      name: row.name,
      eye: { enabled: true },
      ...(base.field.kind === "triplane" && { field: { codeAttention: true } }),
      ...(base.pixelSampler.kind === "semanticDynamic" && { pixelSampler: { eyeRegion: true } }),
      train: { closedEyeShare: EYE_CONTROL_CLOSED_SHARE },
    });
    assertEquals(row, want, base.name);
    assertEquals(row.train.closedEyeShare, 0.25);
    validateConfig(row, `with eye control on ${base.name}`);
  }
});

Deno.test("ablations: two NeRFs and its one-NeRF match differ by the architecture alone; the match is full with AD-NeRF's settings", () => {
  const full = ablations(TINY)["full"];
  for (const base of [TINY, override(TINY, { architecture: "twoNerf" })]) {
    const rows = ablations(base);
    const two = rows["two NeRFs (AD-NeRF)"], one = rows["one NeRF (AD-NeRF settings)"];
    assertEquals([two.architecture, one.architecture], ["twoNerf", "unified"]);
    const { name: _a, architecture: _b, ...twoRest } = two;
    const { name: _c, architecture: _d, ...oneRest } = one;
    assertEquals(twoRest, oneRest);
  }
  // The match against full: parsing off, face-box sampling, no torso deformation, nothing else.
  const one = ablations(TINY)["one NeRF (AD-NeRF settings)"];
  assertEquals(one.name, "one-nerf-adnerf-settings");
  assertEquals([one.parsing.enabled, one.pixelSampler, one.torso], [false, {
    kind: "faceRect",
    insideFraction: 0.95,
  }, { kind: "none" }]);
  const strip = (c: typeof one) => {
    const { name: _n, parsing: { enabled: _e, ...parsing }, pixelSampler: _p, torso: _t, ...rest } = c;
    return { ...rest, parsing };
  };
  assertEquals(strip(one), strip(full));
  // The study's matched comparison names two rows of the set.
  for (const p of ABLATION_PAIRS) {
    assertEquals([p.row in ablations(TINY), p.reference in ablations(TINY)], [true, true]);
  }
});

Deno.test("ablations: no row label holds a comma (`deno task ablation --rows` splits on commas)", () => {
  for (const on of [true, false]) {
    for (const label of Object.keys(ablations(override(TINY, { eye: { enabled: on } })))) {
      assertEquals(label.includes(","), false, label);
    }
  }
});
