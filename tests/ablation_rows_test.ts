import { assertEquals } from "@std/assert";
import { override, TINY } from "../lib/config/mod.ts";
import { ablations } from "../experiments/ablations.ts";
import { ABLATION_PAIRS } from "../lib/ablation/mod.ts";

Deno.test("ablations: the eye-control row flips the base's eye conditioning and changes nothing else", () => {
  for (const on of [true, false]) {
    const base = override(TINY, { eye: { enabled: on } });
    const rows = ablations(base);
    const label = on ? "w/o eye control" : "with eye control";
    assertEquals(label in rows, true);
    assertEquals((on ? "with eye control" : "w/o eye control") in rows, false);
    const { name: _a, eye: e, ...rest } = rows[label];
    const { name: _b, eye: baseEye, ...baseRest } = base;
    assertEquals([e.enabled, e.freqs], [!on, baseEye.freqs]);
    assertEquals(rest, baseRest);
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
