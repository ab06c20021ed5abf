/**
 * The eye region as a class of the semantic dynamic sampler (`eyeRegionClass`, config
 * `pixelSampler.eyeRegion`) on a hand-made 20 x 12 frame whose eye box can be counted by hand.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { ADNERF4, SSPNERF11 } from "../data/palette.ts";
import { eyeRegionMask } from "../landmarks/eye.ts";
import { createPixelSampler, pixelSamplerConfigProblems } from "./create.ts";
import { eyeRegionClass, withEyeRegion } from "./eye_region.ts";
import { semanticDynamicSampler } from "./semantic_dynamic_sampler.ts";
import type { PixelSampleContext } from "./pixel_sampler.ts";

const W = 20, H = 12;
const SEMANTIC = { kind: "semanticDynamic", allocation: "error", beta: 1, floor: 0.2, emaRate: 0.1 } as const;

/**
 * Background (0) in columns 0-1 and 18-19, hair (10) in rows 0-1, face skin (1) elsewhere; open eyes: six
 * eye (3) pixels on row 5 (x = 6..8 and 11..13), all inside the eye box; shut eyes: no eye pixel.
 */
function parsingOf(open: boolean): Uint8Array {
  const p = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) p[y * W + x] = x < 2 || x >= 18 ? 0 : y < 2 ? 10 : 1;
  }
  if (open) { for (const x of [6, 7, 8, 11, 12, 13]) p[5 * W + x] = 3; }
  return p;
}

/**
 * Eye corners 36, 39, 42, 45 at x = 6, 8, 12, 14 on y = 5.5 (the other points at 0): centre (10, 5.5),
 * D = 8; pixel centres x + 0.5 in [10 - 5.6, 10 + 5.6) -> x = 4..15 (12 columns), y + 0.5 in
 * [5.5 - 2, 5.5 + 2) -> y = 3..6 (4 rows): 48 pixels.
 */
function landmarks(): Float32Array {
  const lms = new Float32Array(136);
  for (const [i, x] of [[36, 6], [39, 8], [42, 12], [45, 14]]) [lms[2 * i], lms[2 * i + 1]] = [x, 5.5];
  return lms;
}
const BOX = { x0: 4, x1: 16, y0: 3, y1: 7, area: 48 };
const inBox = (id: number) => {
  const x = id % W, y = Math.floor(id / W);
  return x >= BOX.x0 && x < BOX.x1 && y >= BOX.y0 && y < BOX.y1;
};

const frameOf = (open: boolean, withLandmarks = true): PixelSampleContext => ({
  width: W,
  height: H,
  parsing: parsingOf(open),
  ...(withLandmarks && { landmarks: landmarks() }),
});
const count = (a: ArrayLike<number>, k: number) =>
  Array.prototype.filter.call(a, (v: number) => v === k).length;

Deno.test("the hand-counted box is evaluation's eye region", () => {
  const mask = eyeRegionMask(landmarks(), W, H)!;
  assertEquals(count(mask, 1), BOX.area);
  for (let i = 0; i < W * H; i++) assertEquals(mask[i] === 1, inBox(i), `pixel ${i}`);
});

Deno.test("eyeRegion: the eye class's area is the box's pixel count, eyes open or shut", () => {
  for (const open of [true, false]) {
    const frame = frameOf(open);
    const before = frame.parsing!.slice();
    const s = semanticDynamicSampler({ eyeRegionClass: 3 });
    const classes = s.classMap(frame)!;
    assertEquals(count(classes, 3), BOX.area, open ? "open" : "shut");
    for (let i = 0; i < W * H; i++) assertEquals(classes[i], inBox(i) ? 3 : frame.parsing![i], `pixel ${i}`);
    assertEquals(frame.parsing, before, "the parsing map (the semantic loss's labels) is not changed");
    // "area" at floor 0 draws in proportion to the areas: 48 of 240 rays, all inside the box.
    const area = semanticDynamicSampler({ eyeRegionClass: 3, allocation: "area", floor: 0 });
    assertEquals(area.classProbabilities(frame)[3], BOX.area / (W * H));
    const ids = area.sample(frame, W * H, createRng(3));
    assertEquals(ids.filter(inBox).length, BOX.area);
  }
  // Without the option the shut frame has no eye class at all, the open one its six pixels.
  const plain = semanticDynamicSampler();
  assertEquals(count(plain.classMap(frameOf(false))!, 3), 0);
  assertEquals(count(plain.classMap(frameOf(true))!, 3), 6);
});

Deno.test("eyeRegion: the allocation gives the eye class rays on a shut-eye frame; the EMA credits it", () => {
  const shut = frameOf(false);
  const on = semanticDynamicSampler({ eyeRegionClass: 3 });
  const off = semanticDynamicSampler();
  // One error per class the sampler sees: the box's pixel 4 * 20 + 10 = 90 is class 3 with the option
  // (face skin, 1, without).
  const pixelIds = Int32Array.of(0, 22, 90, 210); // classes 0, 10, box, 1
  const errors = Float32Array.of(0.01, 0.02, 0.4, 0.05);
  on.update({ frame: shut, pixelIds, errors });
  off.update({ frame: shut, pixelIds, errors });
  assertEquals(on.state().ema[3], Float32Array.of(0.4)[0]);
  assertEquals(on.state().ema[1], Float32Array.of(0.05)[0]);
  assertEquals(off.state().ema[3], null, "no eye class without the option");
  // Off: class 1's EMA = mean(0.4, 0.05), no ray for class 3. On: p3 = 0.8 * 0.4 / 0.46 + 0.2 / 4.
  const ids = on.sample(shut, 1000, createRng(1));
  const p3 = 0.8 * Float32Array.of(0.4)[0] /
      (Float32Array.of(0.01)[0] + Float32Array.of(0.05)[0] + Float32Array.of(0.4)[0] +
        Float32Array.of(0.02)[0]) + 0.2 / 4;
  assert(Math.abs(on.lastAllocation()[3] - p3) <= 1 / 1000, `${on.lastAllocation()[3]} vs ${p3}`);
  assertEquals(ids.filter(inBox).length, Math.round(on.lastAllocation()[3] * 1000));
  off.sample(shut, 1000, createRng(1));
  assertEquals(off.lastAllocation()[3], 0);
  // Per-class sums of the sampler's classes give the same state as its per-ray update.
  const viaSums = semanticDynamicSampler({ eyeRegionClass: 3 });
  const map = viaSums.classMap(shut)!;
  const sums = new Float64Array(11), n = new Int32Array(11);
  pixelIds.forEach((p, i) => (sums[map[p]] += errors[i], n[map[p]]++));
  viaSums.updateClassSums(sums, n);
  assertEquals(viaSums.state(), { ...on.state(), lastAllocation: [] });
});

Deno.test("without eyeRegion the draws are today's, landmarks or not (golden ids of the sampler before it)", () => {
  // Golden: the sampler as it was before the option, same feedback, seed 11.
  // deno-fmt-ignore
  const golden = [120, 121, 165, 162, 211, 150, 54, 149, 165, 133, 137, 209, 108, 112, 112, 106, 107, 107, 108, 108, 111, 106, 25, 24];
  const feedback = {
    pixelIds: Int32Array.of(0, 22, 40, 106),
    errors: Float32Array.of(0.01, 0.02, 0.05, 0.2),
  };
  for (const withLandmarks of [false, true]) {
    const frame = frameOf(true, withLandmarks);
    for (const s of [semanticDynamicSampler(), createPixelSampler({ ...SEMANTIC, eyeRegion: false })]) {
      s.update!({ frame, ...feedback });
      const ids = s.sample(frame, 24, createRng(11));
      assertEquals(Array.from(ids), golden);
    }
  }
  // With the option, a frame without landmarks is sampled as without it.
  const s = semanticDynamicSampler({ eyeRegionClass: 3 });
  s.update({ frame: frameOf(true, false), ...feedback });
  assertEquals(Array.from(s.sample(frameOf(true, false), 24, createRng(11))), golden);
});

Deno.test("eyeRegion: a new landmarks array for a cached map rebuilds its classes; a box off the image keeps them", () => {
  const s = semanticDynamicSampler({ eyeRegionClass: 3 });
  const frame = frameOf(false);
  assertEquals(count(s.classMap(frame)!, 3), BOX.area);
  const moved = landmarks();
  for (let i = 0; i < 136; i += 2) moved[i] += 2; // the box shifts 2 px right: x = 6..17
  assertEquals(count(s.classMap({ ...frame, landmarks: moved })!, 3), BOX.area);
  assertEquals(s.classMap({ ...frame, landmarks: moved })![5 * W + 17], 3);
  const off = new Float32Array(136).fill(1000);
  off[90] = 1010; // corners far outside the image: no box
  assertEquals(s.classMap({ ...frame, landmarks: off }), frame.parsing);
  assertThrows(() => s.classMap({ ...frame, landmarks: new Float32Array(10) }), Error, "68 points");
  assertEquals(withEyeRegion(frame.parsing!, off, W, H, 3), frame.parsing);
});

Deno.test("eyeRegion config: checked beside the sampler's fields; the factory takes the class from the dataset", () => {
  assertEquals(pixelSamplerConfigProblems({ ...SEMANTIC, eyeRegion: true }), []);
  assertEquals(pixelSamplerConfigProblems({ ...SEMANTIC, eyeRegion: "yes" as never }), [
    'pixelSampler.eyeRegion must be true or false: got "yes"',
  ]);
  assertEquals(pixelSamplerConfigProblems({ kind: "uniform", eyeRegion: true } as never), [
    'pixelSampler.eyeRegion applies to kind "semanticDynamic" only: got true with kind "uniform"',
  ]);
  assertEquals(pixelSamplerConfigProblems({ kind: "uniform", eyeRegion: false } as never), []);
  const ssp = { root: "d", palette: SSPNERF11, numClasses: 11, has: { landmarks: true } };
  assertEquals(eyeRegionClass(ssp), 3);
  const eye = createPixelSampler({ ...SEMANTIC, eyeRegion: true }, ssp) as ReturnType<
    typeof semanticDynamicSampler
  >;
  assertEquals(count(eye.classMap(frameOf(false))!, 3), BOX.area);
  assertThrows(() => createPixelSampler({ ...SEMANTIC, eyeRegion: true }), Error, "needs the dataset");
  assertThrows(
    () => eyeRegionClass({ ...ssp, palette: ADNERF4, numClasses: 4 }),
    Error,
    'pixelSampler.eyeRegion is true but the dataset d has parsing palette "adnerf4" (background, head, neck, torso), which has no "eyes" class',
  );
  assertThrows(() => eyeRegionClass({ ...ssp, palette: undefined, numClasses: 0 }), Error, "no parsing maps");
  assertThrows(() => eyeRegionClass({ ...ssp, has: { landmarks: false } }), Error, "no landmarks");
  // Without the option the dataset is not consulted.
  assertEquals(createPixelSampler(SEMANTIC).kind, "semanticDynamic");
  assertThrows(() => semanticDynamicSampler({ eyeRegionClass: 256 }), Error, "eyeRegionClass");
});
