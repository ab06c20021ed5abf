import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertLess,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { createRng } from "../nn/rng.ts";
import type { PixelSampleContext } from "./pixel_sampler.ts";
import { createPixelSampler } from "./create.ts";
import { semanticAllocation, semanticDynamicSampler } from "./semantic_dynamic_sampler.ts";

// 20 x 10 frame: class 3 = u < 10, v < 5 (50 px); class 5 = u 15..16, v 7..8 (4 px); class 0 the other
// 146 px. Classes 1, 2, 4 are absent.
const W = 20, H = 10;
function makeParsing(): Uint8Array {
  const p = new Uint8Array(W * H);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      if (u < 10 && v < 5) p[v * W + u] = 3;
      else if (u >= 15 && u < 17 && v >= 7 && v < 9) p[v * W + u] = 5;
    }
  }
  return p;
}
const PARSING = makeParsing();
const FRAME: PixelSampleContext = { width: W, height: H, parsing: PARSING };
const firstPixelOf = (k: number, parsing = PARSING) => parsing.indexOf(k);

/** Feeds one ray per listed class with the given error. */
function feed(
  sampler: ReturnType<typeof semanticDynamicSampler>,
  errors: Record<number, number>,
  frame = FRAME,
) {
  const entries = Object.entries(errors);
  sampler.update({
    frame,
    pixelIds: Int32Array.from(entries, ([k]) => firstPixelOf(Number(k), frame.parsing)),
    errors: Float32Array.from(entries, ([, e]) => e),
  });
}

const classCounts = (ids: Int32Array, parsing = PARSING) => {
  const c = new Array(6).fill(0);
  for (const id of ids) c[parsing[id]]++;
  return c;
};

Deno.test("allocation follows the fed error: 4x the error gets the formula's share exactly", () => {
  const s = semanticDynamicSampler({ floor: 0.2 });
  feed(s, { 0: 0.01, 3: 0.01, 5: 0.04 });
  // K = 3 present: p5 = 0.8 * 4/6 + 0.2/3 = 0.6, p0 = p3 = 0.8 * 1/6 + 0.2/3 = 0.2.
  const p = s.classProbabilities(FRAME);
  assertAlmostEquals(p[5], 0.6, 1e-9);
  assertAlmostEquals(p[0], 0.2, 1e-9);
  assertAlmostEquals(p[3], 0.2, 1e-9);
  const ids = s.sample(FRAME, 1000, createRng(1));
  assertEquals(classCounts(ids), [200, 0, 0, 200, 0, 600]);
  const last = s.lastAllocation();
  assertAlmostEquals(last[5], 0.6, 1e-12);
  assertAlmostEquals(last[0], 0.2, 1e-12);
  // beta = 2 sharpens: scores 1, 1, 16 -> p5 = 0.8 * 16/18 + 0.2/3.
  const s2 = semanticDynamicSampler({ floor: 0.2, beta: 2 });
  feed(s2, { 0: 0.01, 3: 0.01, 5: 0.04 });
  assertAlmostEquals(s2.classProbabilities(FRAME)[5], 0.8 * 16 / 18 + 0.2 / 3, 1e-9);
});

Deno.test("the EMA starts at the first class mean, then moves by emaRate", () => {
  const s = semanticDynamicSampler({ emaRate: 0.25 });
  // Two rays of class 3 (mean 0.3) and one of class 0.
  const ids3 = [0, 1], id0 = firstPixelOf(0);
  s.update({ frame: FRAME, pixelIds: Int32Array.of(...ids3, id0), errors: Float32Array.of(0.2, 0.4, 1) });
  s.update({ frame: FRAME, pixelIds: Int32Array.of(0), errors: Float32Array.of(0.7) });
  const st = s.state();
  assertAlmostEquals(st.ema[3]!, 0.75 * 0.3 + 0.25 * 0.7, 1e-7);
  assertAlmostEquals(st.ema[0]!, 1, 1e-7);
  assertEquals(st.ema[1], null);
  assertEquals(st.counts, [1, 0, 0, 3]);
});

Deno.test("the floor keeps every present class sampled however small its error", () => {
  const s = semanticDynamicSampler({ floor: 0.2 });
  feed(s, { 0: 100, 3: 1e-6, 5: 1e-6 });
  const count = 300;
  const c = classCounts(s.sample(FRAME, count, createRng(2)));
  for (const k of [3, 5]) assert(c[k] >= Math.floor(count * 0.2 / 3), `class ${k} got ${c[k]} rays`);
  assertEquals(c[0] + c[3] + c[5], count);
  // floor 0: the error alone decides; the 1e-6 classes get (nearly) nothing.
  const s0 = semanticDynamicSampler({ floor: 0 });
  feed(s0, { 0: 100, 3: 1e-6, 5: 1e-6 });
  assertEquals(classCounts(s0.sample(FRAME, count, createRng(2)))[0], count);
});

Deno.test("pixels lie in their class masks, grouped by class, uniform within a class", () => {
  const s = semanticDynamicSampler({ floor: 0.2 });
  feed(s, { 0: 0.01, 3: 0.01, 5: 0.04 });
  const ids = s.sample(FRAME, 1000, createRng(3));
  const labels = Array.from(ids, (id) => PARSING[id]);
  assertEquals(labels, [...labels].sort((a, b) => a - b)); // grouped, ascending class id
  // Class 5's 600 rays over its 4 pixels: Binomial(600, 1/4), sd 10.6; allow 5 sd.
  const hits = new Map<number, number>();
  ids.forEach((id) => PARSING[id] === 5 && hits.set(id, (hits.get(id) ?? 0) + 1));
  assertEquals(hits.size, 4);
  for (const h of hits.values()) assertLess(Math.abs(h - 150), 5 * Math.sqrt(600 * 0.25 * 0.75));
});

Deno.test("classes absent from the frame get no rays, whatever their error", () => {
  const other = new Uint8Array(W * H).fill(1); // a frame of class 1 only
  other[0] = 0;
  const s = semanticDynamicSampler({ floor: 0.2 });
  feed(s, { 1: 1000 }, { width: W, height: H, parsing: other });
  feed(s, { 0: 0.01, 3: 0.01, 5: 0.01 });
  const c = classCounts(s.sample(FRAME, 600, createRng(4)));
  assertEquals([c[1], c[2], c[4]], [0, 0, 0]);
  assertEquals(c[0] + c[3] + c[5], 600);
  assertEquals(s.lastAllocation()[1], 0);
  assertEquals(s.classProbabilities(FRAME)[1], 0);
});

Deno.test('"area" allocation matches the class areas (= uniform sampling at floor 0)', () => {
  const s = semanticDynamicSampler({ allocation: "area", floor: 0 });
  feed(s, { 5: 50 }); // errors do not matter for "area"
  assertEquals(classCounts(s.sample(FRAME, 200, createRng(5))), [146, 0, 0, 50, 0, 4]);
  assertEquals(classCounts(s.sample(FRAME, 2000, createRng(5))), [1460, 0, 0, 500, 0, 40]);
  // With a floor: p = 0.8 area / 200 + 0.2 / 3.
  const p = semanticDynamicSampler({ allocation: "area", floor: 0.2 }).classProbabilities(FRAME);
  assertAlmostEquals(p[5], 0.8 * 4 / 200 + 0.2 / 3, 1e-12);
  assertAlmostEquals(p[0], 0.8 * 146 / 200 + 0.2 / 3, 1e-12);
});

Deno.test('"errorArea" allocation weighs the error by the area', () => {
  const s = semanticDynamicSampler({ allocation: "errorArea", floor: 0 });
  feed(s, { 0: 0.01, 3: 0.02, 5: 0.5 });
  const score = [146 * 0.01, 50 * 0.02, 4 * 0.5], sum = score[0] + score[1] + score[2];
  const p = s.classProbabilities(FRAME);
  assertAlmostEquals(p[0], score[0] / sum, 1e-7);
  assertAlmostEquals(p[3], score[1] / sum, 1e-7);
  assertAlmostEquals(p[5], score[2] / sum, 1e-7);
});

Deno.test("classes never fed back: 'max' treats them as the hardest seen, a number as given", () => {
  const max = semanticDynamicSampler({ floor: 0 });
  assertEquals(Array.from(max.classProbabilities(FRAME)), [1 / 3, 0, 0, 1 / 3, 0, 1 / 3]); // none seen: all 1
  feed(max, { 0: 0.5, 3: 0.25 });
  const p = max.classProbabilities(FRAME); // class 5 assumed 0.5
  assertAlmostEquals(p[5], 0.5 / 1.25, 1e-7);
  const fixed = semanticDynamicSampler({ floor: 0, initialError: 0 });
  feed(fixed, { 0: 0.5, 3: 0.25 });
  assertEquals(fixed.classProbabilities(FRAME)[5], 0);
});

Deno.test("state round trip through JSON reproduces the statistics and the next sample", () => {
  const a = semanticDynamicSampler({ floor: 0.1, emaRate: 0.3 });
  feed(a, { 0: 0.02, 3: 0.05, 5: 0.3 });
  feed(a, { 0: 0.04, 5: 0.1 });
  a.sample(FRAME, 64, createRng(6));
  const b = semanticDynamicSampler({ floor: 0.1, emaRate: 0.3 });
  b.loadState(JSON.parse(JSON.stringify(a.state())));
  assertEquals(b.state(), a.state());
  assertEquals(b.lastAllocation(), a.lastAllocation());
  assertEquals(b.sample(FRAME, 256, createRng(7)), a.sample(FRAME, 256, createRng(7)));
  feed(a, { 3: 1 });
  feed(b, { 3: 1 });
  assertEquals(b.state(), a.state());
  assertThrows(() => b.loadState({ ema: [1], counts: [], lastAllocation: [] }), Error, "same length");
  assertThrows(() => b.loadState({ ema: [-1], counts: [0], lastAllocation: [] }), Error, "ema");
  assertThrows(() => b.loadState(JSON.parse("{}")), Error, "arrays");
});

Deno.test("deterministic for a seed, different across seeds", () => {
  const run = (seed: number) => {
    const s = semanticDynamicSampler();
    feed(s, { 0: 0.01, 3: 0.03, 5: 0.04 });
    return s.sample(FRAME, 500, createRng(seed));
  };
  assertEquals(run(11), run(11));
  assertNotEquals(run(11), run(12));
});

Deno.test("a frame without a parsing map is sampled uniformly and feedback without one is ignored", () => {
  const s = semanticDynamicSampler();
  feed(s, { 3: 0.5 });
  const before = s.state();
  s.update({ frame: { width: W, height: H }, pixelIds: Int32Array.of(0), errors: Float32Array.of(9) });
  assertEquals(s.state(), before);
  const ids = s.sample({ width: W, height: H }, 4000, createRng(8));
  assert(ids.every((id) => id >= 0 && id < W * H));
  // Uniform: class 5 holds 4 of 200 px, Binomial(4000, 0.02), sd 8.9.
  assertLess(Math.abs(classCounts(ids)[5] - 80), 5 * 8.9);
  assertEquals(s.lastAllocation(), []);
  assertThrows(() => s.classProbabilities({ width: W, height: H }), Error, "parsing");
});

Deno.test("cached class lists stay correct when more maps pass than the cache holds", () => {
  const maps = [0, 1, 2].map((shift) => PARSING.map((_, i) => PARSING[(i + shift) % PARSING.length]));
  const s = semanticDynamicSampler({ cacheFrames: 2 });
  for (let round = 0; round < 3; round++) {
    for (const parsing of maps) {
      const ids = s.sample({ width: W, height: H, parsing }, 300, createRng(round));
      const c = classCounts(ids, parsing);
      // Even errors (none fed): 100 rays per present class.
      assertEquals([c[0], c[3], c[5]], [100, 100, 100]);
    }
  }
});

Deno.test("rejects bad options and feedback", () => {
  assertThrows(() => semanticDynamicSampler({ floor: 1.5 }), Error, "floor");
  assertThrows(() => semanticDynamicSampler({ beta: -1 }), Error, "beta");
  assertThrows(() => semanticDynamicSampler({ emaRate: 0 }), Error, "emaRate");
  assertThrows(() => semanticDynamicSampler({ allocation: "pixels" as "area" }), Error, "allocation");
  assertThrows(() => semanticDynamicSampler({ initialError: -1 }), Error, "initialError");
  const s = semanticDynamicSampler();
  const bad = (pixelIds: Int32Array, errors: Float32Array) => () =>
    s.update({ frame: FRAME, pixelIds, errors });
  assertThrows(bad(Int32Array.of(0, 1), Float32Array.of(1)), Error, "align");
  assertThrows(bad(Int32Array.of(0), Float32Array.of(NaN)), Error, "finite");
  assertThrows(bad(Int32Array.of(W * H), Float32Array.of(1)), Error, "outside");
  assertThrows(() => s.sample({ width: W, height: H, parsing: new Uint8Array(3) }, 1, createRng(1)), Error);
  assertThrows(() => semanticAllocation([1, 1], [1, -1]), Error, "errors");
});

Deno.test("semanticAllocation: even split when all scores vanish, nothing when no class is present", () => {
  assertEquals(Array.from(semanticAllocation([3, 0, 5], [0, 9, 0], { floor: 0.5 })), [0.5, 0, 0.5]);
  assertEquals(Array.from(semanticAllocation([0, 0], [1, 1])), [0, 0]);
  // beta 0: every present class scores 1.
  assertEquals(Array.from(semanticAllocation([1, 2, 3, 0], [0.1, 5, 0, 1], { beta: 0 })), [
    1 / 3,
    1 / 3,
    1 / 3,
    0,
  ]);
});

Deno.test("createPixelSampler builds the semantic dynamic sampler from its config", () => {
  const s = createPixelSampler({
    kind: "semanticDynamic",
    allocation: "area",
    beta: 1,
    floor: 0,
    emaRate: 0.1,
  });
  assertEquals(s.kind, "semanticDynamic");
  assert(typeof s.update === "function");
  assertEquals(classCounts(s.sample(FRAME, 200, createRng(9))), [146, 0, 0, 50, 0, 4]);
});

Deno.test("updateClassSums by hand: the EMA of the class means, classes with no ray untouched", () => {
  const s = semanticDynamicSampler({ emaRate: 0.25 });
  // Step 1: class 0 two rays summing 0.6 (mean 0.3), class 3 one ray 0.8; classes 1, 2 no ray.
  s.updateClassSums([0.6, 0, 0, 0.8], [2, 0, 0, 1]);
  // Step 2: class 3 four rays summing 0.4 (mean 0.1); a trailing class with no ray does not grow the state.
  s.updateClassSums([0, 0, 0, 0.4, 0, 0], [0, 0, 0, 4, 0, 0]);
  const st = s.state();
  assertEquals(st.ema, [0.3, null, null, 0.75 * 0.8 + 0.25 * 0.1]);
  assertEquals(st.counts, [2, 0, 0, 5]);
  assertThrows(() => s.updateClassSums([1], [1, 2]), Error, "align");
  assertThrows(() => s.updateClassSums([NaN], [1]), Error, "finite");
  assertThrows(() => s.updateClassSums([-1], [1]), Error, "finite");
  assertThrows(() => s.updateClassSums([1], [1.5]), Error, "integers");
});

Deno.test("updateClassSums of the per-class sums gives the state update gives with the per-ray errors", () => {
  // Random steps over FRAME's classes; the sums in float32 (as a GPU reduction gives them) and in float64.
  const rng = createRng(5);
  const perRay = semanticDynamicSampler({ emaRate: 0.3 });
  const sums64 = semanticDynamicSampler({ emaRate: 0.3 });
  const sums32 = semanticDynamicSampler({ emaRate: 0.3 });
  for (let step = 0; step < 6; step++) {
    const pixelIds = perRay.sample(FRAME, 64, rng);
    const errors = Float32Array.from(pixelIds, () => rng.next() * 0.1);
    perRay.update({ frame: FRAME, pixelIds, errors });
    const s64 = new Float64Array(6), s32 = new Float32Array(6), n = new Int32Array(6);
    pixelIds.forEach((id, i) => {
      s64[PARSING[id]] += errors[i];
      s32[PARSING[id]] = Math.fround(s32[PARSING[id]] + errors[i]);
      n[PARSING[id]]++;
    });
    sums64.updateClassSums(s64, n);
    sums32.updateClassSums(s32, n);
  }
  const want = perRay.state();
  // The same float64 sums in the same order: bit for bit (lastAllocation is sample's, not feedback's).
  assertEquals(sums64.state().ema, want.ema);
  assertEquals(sums64.state().counts, want.counts);
  const got = sums32.state();
  assertEquals(got.counts, want.counts);
  want.ema.forEach((e, k) => {
    if (e === null) assertEquals(got.ema[k], null);
    else assertAlmostEquals(got.ema[k]!, e, 1e-6 * e);
  });
  assertEquals(want.counts.reduce((a, b) => a + b), 6 * 64);
});
