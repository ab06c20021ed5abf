/**
 * The "eyes" region of evaluation (`eyeRegionMask`) on the fixture, whose person blinks: the box covers the
 * parsing's eye class when the eyes are open, and stays put when they shut (the class then vanishes).
 */
import { assert, assertEquals } from "@std/assert";
import { loadDataset } from "../data/mod.ts";
import { eyeRegionMask } from "./evaluate.ts";

const FIXTURE = new URL("../../fixtures/synthetic_portrait", import.meta.url).pathname;
const EYES = 3; // class "eyes" of the 11-class palette

Deno.test("eyeRegionMask on the fixture: covers the open eyes, does not move through a blink", async () => {
  const ds = await loadDataset(FIXTURE);
  const { width, height } = ds.intrinsics;
  const frames = [...ds.train, ...ds.val].sort((a, b) => a.imgId - b.imgId);
  const shut = frames.filter((f) => f.eye! < 0.2);
  assert(shut.length >= 3, "the fixture blinks");
  const box = (m: Uint8Array) => {
    let x0 = width, x1 = -1, y0 = height, y1 = -1;
    m.forEach((v, p) => {
      if (!v) return;
      const x = p % width, y = Math.floor(p / width);
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
    });
    return [x0, x1, y0, y1];
  };
  for (const f of shut.slice(0, 3)) {
    const labels = await ds.parsing(f.imgId);
    const mask = eyeRegionMask(await ds.landmarks(f.imgId), width, height)!;
    // The eye class is (nearly) gone from the parsing of a shut frame; the box is not.
    assert(labels.filter((c) => c === EYES).length < 0.2 * mask.reduce((a, b) => a + b, 0));
    // The nearest open frame before the blink: its box is the same to within a pixel or two.
    const open = frames.filter((g) => g.imgId < f.imgId && g.eye! > 0.9).at(-1)!;
    const openMask = eyeRegionMask(await ds.landmarks(open.imgId), width, height)!;
    const [a, b] = [box(mask), box(openMask)];
    a.forEach((v, i) =>
      assert(Math.abs(v - b[i]) <= 2, `frame ${f.imgId} vs ${open.imgId}: box ${a} vs ${b}`)
    );
    // And it holds the open frame's eyes: nearly every eye-class pixel lies in the box.
    const openLabels = await ds.parsing(open.imgId);
    let eyes = 0, inside = 0;
    openLabels.forEach((c, p) => {
      if (c !== EYES) return;
      eyes++;
      inside += openMask[p];
    });
    assert(eyes > 10, `frame ${open.imgId} shows its eyes`);
    assert(
      inside / eyes >= 0.95,
      `only ${inside} of ${eyes} eye pixels of frame ${open.imgId} lie in the box`,
    );
  }
});

Deno.test("eyeRegionMask: undefined when the corners coincide or the box misses the image", () => {
  assertEquals(eyeRegionMask(new Float32Array(136), 16, 16), undefined);
  const far = new Float32Array(136);
  for (const [i, x] of [[36, 100], [39, 104], [42, 106], [45, 110]]) [far[2 * i], far[2 * i + 1]] = [x, 100];
  assertEquals(eyeRegionMask(far, 16, 16), undefined);
});
