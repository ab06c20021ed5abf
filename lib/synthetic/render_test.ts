import { assert, assertEquals, assertGreater, assertLess, assertThrows } from "@std/assert";
import { CLASS, type FrameParams } from "./body.ts";
import { renderBackground, renderFrame } from "./render.ts";
import { portraitScene } from "./scene.ts";

const scene64 = portraitScene({ width: 64, height: 64 });

function atRest(scene = scene64, mouthOpen = 0, euler: [number, number, number] = [0, 0, 0]): FrameParams {
  return {
    head: { euler, trans: [...scene.headRest] },
    torso: { euler: [0, 0, 0], trans: [...scene.torsoRest] },
    mouthOpen,
  };
}

function count(parsing: Uint8Array, cls: number): number {
  return parsing.reduce((n, c) => n + (c === cls ? 1 : 0), 0);
}

Deno.test("a frontal frame shows all 11 classes, in portrait proportions", () => {
  const scene = portraitScene({ width: 96, height: 96 });
  const f = renderFrame(scene, atRest(scene, 1));
  for (let c = 0; c < 11; c++) assertGreater(count(f.parsing, c), 0, `class ${c} is missing`);
  // head (skin, hair, ears ...) spans 35-55 % of the image height; the torso reaches the bottom row
  const headRows = new Set<number>();
  f.parsing.forEach((c, i) => {
    if (c !== CLASS.background && c !== CLASS.neck && c !== CLASS.torso) headRows.add(Math.floor(i / 96));
  });
  const share = headRows.size / 96;
  assert(share > 0.35 && share < 0.55, `head spans ${share} of the height`);
  assertEquals(f.parsing[95 * 96 + 48], CLASS.torso);
  assertEquals([f.rgb.width, f.rgb.height, f.rgb.channels, f.rgb.data.length], [96, 96, 3, 96 * 96 * 3]);
});

Deno.test("the frontal parsing is mirror-symmetric (camera on the head's axis, pixel-centre rays)", () => {
  const f = renderFrame(scene64, atRest(), { supersample: 1 });
  let diff = 0;
  for (let v = 0; v < 64; v++) {
    for (let u = 0; u < 32; u++) diff += f.parsing[v * 64 + u] !== f.parsing[v * 64 + 63 - u] ? 1 : 0;
  }
  assertLess(diff, 8);
  // mirrored landmarks: 0 <-> 16 (jaw), 36 <-> 45 (outer eye corners), 48 <-> 54 (mouth corners)
  for (const [a, b] of [[0, 16], [36, 45], [48, 54]]) {
    assertLess(Math.abs(f.landmarks[2 * a] - (64 - f.landmarks[2 * b])), 0.05);
    assertLess(Math.abs(f.landmarks[2 * a + 1] - f.landmarks[2 * b + 1]), 0.05);
  }
});

Deno.test("the mouth interior appears and grows as the mouth opens", () => {
  const areas = [0, 0.25, 0.5, 0.75, 1].map((m) =>
    count(renderFrame(scene64, atRest(scene64, m)).parsing, CLASS.mouth)
  );
  assertEquals(areas[0], 0);
  for (let i = 1; i < areas.length; i++) assert(areas[i] >= areas[i - 1], `areas ${areas}`);
  assertGreater(areas[4], areas[1] + 3);
  // the lower-lip landmark moves down with the opening, the upper one stays put
  const closed = renderFrame(scene64, atRest(scene64, 0)).landmarks;
  const open = renderFrame(scene64, atRest(scene64, 1)).landmarks;
  assertGreater(open[2 * 57 + 1] - closed[2 * 57 + 1], 1.5);
  assertLess(Math.abs(open[2 * 51 + 1] - closed[2 * 51 + 1]), 1);
});

Deno.test("pose conventions: yaw b > 0 turns the nose to image right, pitch a > 0 nods it down", () => {
  const rest = renderFrame(scene64, atRest()).landmarks;
  const yaw = renderFrame(scene64, atRest(scene64, 0, [0, 0.2, 0])).landmarks;
  const pitch = renderFrame(scene64, atRest(scene64, 0, [0.2, 0, 0])).landmarks;
  assertGreater(yaw[2 * 30] - rest[2 * 30], 1);
  assertGreater(pitch[2 * 30 + 1] - rest[2 * 30 + 1], 1);
});

Deno.test("background pixels equal the background render; rendering is deterministic", () => {
  const f = renderFrame(scene64, atRest(scene64, 0.5, [0.1, -0.2, 0.05]));
  const bg = renderBackground(scene64);
  let checked = 0;
  for (let v = 1; v < 63; v++) {
    for (let u = 1; u < 63; u++) {
      let clear = true;
      for (let dv = -1; dv <= 1; dv++) {
        for (let du = -1; du <= 1; du++) clear &&= f.parsing[(v + dv) * 64 + u + du] === 0;
      }
      if (!clear) continue;
      checked++;
      for (let k = 0; k < 3; k++) {
        assertEquals(f.rgb.data[3 * (v * 64 + u) + k], bg.data[3 * (v * 64 + u) + k]);
      }
    }
  }
  assertGreater(checked, 1000);
  const again = renderFrame(scene64, atRest(scene64, 0.5, [0.1, -0.2, 0.05]));
  assertEquals(again.rgb.data, f.rgb.data);
  assertEquals(again.parsing, f.parsing);
  assertEquals(again.landmarks, f.landmarks);
});

Deno.test("a turned head hides the far side of the jaw, and only that", () => {
  const f = renderFrame(scene64, atRest(scene64, 0, [0, 0.35, 0]));
  const hidden = [...f.landmarkVisible].flatMap((v, i) => (v ? [] : [i]));
  assert(hidden.length > 0 && hidden.every((i) => i >= 9 && i <= 16 || i >= 60), `hidden ${hidden}`);
  assertEquals(renderFrame(scene64, atRest()).landmarkVisible.every((v) => v === 1), true);
});

Deno.test("bad frame parameters are named in the error", () => {
  assertThrows(() => renderFrame(scene64, atRest(scene64, 1.5)), Error, "mouthOpen");
  assertThrows(() => renderFrame(scene64, atRest(), { supersample: 3 as 2 }), Error, "supersample");
  assertThrows(() => portraitScene({ width: 3 }), Error, "width");
});

Deno.test("blinks: the lids shrink and then hide the eye class, the eye landmarks close, the skin shows", () => {
  const scene = portraitScene({ width: 128, height: 128 });
  const at = (eyeClosure: number) =>
    renderFrame(scene, { ...atRest(scene, 0, [0.05, 0.1, 0]), eyeClosure }, { supersample: 1 });
  const open = at(0), half = at(0.5), shut = at(1);
  const eyes = [open, half, shut].map((f) => count(f.parsing, CLASS.eyes));
  assertGreater(eyes[0], 20);
  assertLess(eyes[1], 0.8 * eyes[0]);
  assertEquals(eyes[2], 0);
  // what was eye is now skin (the lid), and the rest of the parsing is unchanged
  let toSkin = 0, other = 0;
  open.parsing.forEach((c, i) => {
    if (c === CLASS.eyes && shut.parsing[i] === CLASS.skin) toSkin++;
    else if (c !== shut.parsing[i]) other++;
  });
  assertEquals([toSkin, other], [eyes[0], 0]);
  // the eyes' upper and lower landmarks (37/41, 38/40, 43/47, 44/46) meet when shut, and open by
  // (1 - closure) of their open gap in between
  const gap = (f: typeof open) =>
    [[37, 41], [38, 40], [43, 47], [44, 46]].reduce(
      (s, [a, b]) =>
        s +
        Math.hypot(f.landmarks[2 * a] - f.landmarks[2 * b], f.landmarks[2 * a + 1] - f.landmarks[2 * b + 1]),
      0,
    ) / 4;
  assertGreater(gap(open), 1.5);
  assertLess(gap(shut), 1e-3);
  assert(Math.abs(gap(half) / gap(open) - 0.5) < 0.02, `${gap(half) / gap(open)}`);
  // the picture changes only around the eyes
  let changed = 0;
  for (let i = 0; i < open.rgb.data.length; i++) if (open.rgb.data[i] !== shut.rgb.data[i]) changed++;
  assertGreater(changed, 3 * eyes[0] * 0.5);
  assertLess(changed, 3 * 128 * 10);
  assertThrows(() => renderFrame(scene, { ...atRest(scene), eyeClosure: 1.5 }), Error, "eyeClosure");
});
