import { assert, assertEquals, assertGreater, assertNotEquals } from "@std/assert";
import { DEFAULT_BACKGROUND, DEFAULT_CLOTHING, identityLook, portraitScene } from "./scene.ts";
import { renderBackground, renderFrame } from "./render.ts";
import { CLASS } from "./body.ts";

Deno.test("identity: absent keeps the committed portrait; a seed gives another, reproducible person", () => {
  const base = portraitScene();
  assertEquals(base.identity, null);
  assertEquals(base.colors.skin, [0.86, 0.66, 0.54]);
  assertEquals([base.clothing, base.background, base.hairline], [DEFAULT_CLOTHING, DEFAULT_BACKGROUND, 0.43]);
  const a = portraitScene({ identity: 5 }),
    b = portraitScene({ identity: 5 }),
    c = portraitScene({ identity: 6 });
  assertEquals(a, b);
  assertEquals(a.identity, 5);
  assertNotEquals(a.colors, c.colors);
  assertNotEquals(a.background, c.background);
  // the camera and the body do not change with the person
  assertEquals([a.focal, a.headRest, a.torsoRest], [base.focal, base.headRest, base.torsoRest]);
  // colours stay colours, patterns and layouts stay in range, over many seeds
  const kinds = new Set<string>();
  for (let s = 0; s < 40; s++) {
    const look = identityLook(s);
    for (const c of Object.values(look.colors)) assert(c.every((v) => v >= 0 && v <= 1), `seed ${s}`);
    assert(look.hairline >= 0.36 && look.hairline <= 0.5);
    assert(look.clothing.period >= 0.22 && look.clothing.period <= 0.47);
    assert(look.background.discs.length >= 3 && look.background.discs.length <= 5);
    const p = look.background.picture;
    assert(p.x0 < p.x1 && p.y0 < p.y1);
    kinds.add(look.clothing.kind);
  }
  assertEquals(kinds.size, 3);
});

Deno.test("identity: another person renders other skin, clothing and background, same parsing layout", () => {
  const base = portraitScene({ width: 48, height: 48 });
  const other = portraitScene({ width: 48, height: 48, identity: 2 });
  const frame = {
    head: { euler: [0, 0, 0], trans: base.headRest },
    torso: { euler: [0, 0, 0], trans: base.torsoRest },
    mouthOpen: 0.3,
  } as const;
  const a = renderFrame(base, frame), b = renderFrame(other, frame);
  const differ = (cls: number) => {
    let n = 0, d = 0;
    a.parsing.forEach((c, i) => {
      if (c !== cls || b.parsing[i] !== cls) return;
      n++;
      for (let k = 0; k < 3; k++) d += Math.abs(a.rgb.data[3 * i + k] - b.rgb.data[3 * i + k]);
    });
    return d / Math.max(1, 3 * n);
  };
  assertGreater(differ(CLASS.torso), 10);
  assertGreater(differ(CLASS.skin) + differ(CLASS.hair), 10);
  const bgA = renderBackground(base), bgB = renderBackground(other);
  let d = 0;
  for (let i = 0; i < bgA.data.length; i++) d += Math.abs(bgA.data[i] - bgB.data[i]);
  assertGreater(d / bgA.data.length, 5);
  // the head's outline moves only with the hairline
  let same = 0;
  a.parsing.forEach((c, i) =>
    same += c === b.parsing[i] || c === CLASS.hair || b.parsing[i] === CLASS.hair ? 1 : 0
  );
  assertEquals(same, a.parsing.length);
});
