/**
 * SSP-NeRF's semantic-aware dynamic ray sampling, as reconstructed here (the paper
 * states that rays are allocated to semantic regions dynamically, so small, hard regions such as the lips
 * and the mouth interior get more rays; the rule below is our reading of it).
 *
 * The sampler keeps a running (EMA) photometric error per parsing class, fed after each step through
 * `update`. Each `sample` splits the ray budget over the classes present in the frame's parsing map with
 * ```
 * p_k = (1 - floor) * score_k / sum_j score_j + floor / K_present      (k present, 0 otherwise)
 * score_k = ema_k^beta          ("error")
 *         = area_k              ("area": the class's pixel count; equals uniform pixel sampling at floor 0)
 *         = ema_k^beta area_k   ("errorArea")
 * ```
 * turns p into ray counts by largest-remainder rounding (they sum to the budget exactly), and draws each
 * class's rays uniformly (with replacement) among that class's pixels.
 *
 * With `eyeRegionClass` set, a frame's classes are its parsing map with the pixels of the landmarks' eye
 * box counted as that class (see `eye_region.ts`), for the allocation and the EMA alike.
 * @module
 */
import type { Rng } from "../nn/rng.ts";
import { largestRemainder } from "./largest_remainder.ts";
import { withEyeRegion } from "./eye_region.ts";
import {
  checkSampleArgs,
  type PixelFeedback,
  type PixelSampleContext,
  type PixelSampler,
} from "./pixel_sampler.ts";

/** The per-class scores the allocation can use (see the module doc). */
export const SEMANTIC_ALLOCATIONS = ["error", "area", "errorArea"] as const;

/** What the per-class score is made of (see the module doc). */
export type SemanticAllocation = typeof SEMANTIC_ALLOCATIONS[number];

/** Options of {@linkcode semanticAllocation}. */
export interface SemanticAllocationOptions {
  /** Score of a class. @default {"error"} */
  readonly allocation?: SemanticAllocation;
  /** Exponent of the error in the score: 0 splits evenly over classes, > 1 favours the worst class more.
   * @default {1} */
  readonly beta?: number;
  /** Share of the budget spread evenly over the present classes, in [0, 1]. @default {0.2} */
  readonly floor?: number;
}

/** Options of {@linkcode semanticDynamicSampler}. */
export interface SemanticDynamicSamplerOptions extends SemanticAllocationOptions {
  /** Weight of a step's class mean error in the EMA: ema = (1 - rate) ema + rate mean. In (0, 1].
   * @default {0.1} */
  readonly emaRate?: number;
  /**
   * Error assumed for a class that has never been fed back: "max" = the largest EMA of the classes seen
   * (1 while none has been seen), so a new class is treated as the hardest and gets measured quickly;
   * or a fixed number >= 0. @default {"max"}
   */
  readonly initialError?: "max" | number;
  /** Parsing maps whose per-class pixel lists are kept (least recently used dropped). @default {16} */
  readonly cacheFrames?: number;
  /**
   * Class id that the pixels of a frame's landmark eye box (`eyeRegionMask`) count as, in frames that
   * carry `landmarks`: the eye region is then a class of its own whether the eyes are open or shut (see
   * `eye_region.ts`). Undefined: the classes are the parsing map's, and `landmarks` are not read.
   * @default {undefined}
   */
  readonly eyeRegionClass?: number;
}

/** The JSON-serialisable state of a {@linkcode SemanticDynamicSampler}, indexed by class id. */
export interface SemanticSamplerState {
  /** EMA of the per-ray error per class; null for a class never fed back. */
  readonly ema: readonly (number | null)[];
  /** Rays fed back per class so far. */
  readonly counts: readonly number[];
  /** Fraction of the rays of the last `sample` per class (empty before the first, or after a frame
   * without a parsing map). */
  readonly lastAllocation: readonly number[];
}

/** The semantic-aware dynamic sampler: a {@linkcode PixelSampler} with per-class error statistics. */
export interface SemanticDynamicSampler extends PixelSampler {
  readonly kind: "semanticDynamic";
  /**
   * Folds a step's per-ray errors into the per-class EMAs (classes of `classMap(feedback.frame)`; a
   * feedback without a parsing map is ignored, as there is no class to credit). The first error of a
   * class sets its EMA directly (no bias towards a start value).
   */
  update(feedback: PixelFeedback): void;
  /**
   * Folds a step's errors already summed per class into the per-class EMAs: the same state as `update`
   * with the per-ray errors whose class sums and counts these are (it computes them and calls this), so
   * a GPU step can reduce its errors on the device and read back one number per class instead of one
   * per ray.
   * @param sums Sum of the rays' errors per class id (index = class id), each finite and >= 0.
   * @param counts Rays per class id (same length); a class with 0 rays is left as it is.
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { semanticDynamicSampler } from "./semantic_dynamic_sampler.ts";
   * // Class 1: two rays with errors 0.25 and 0.75 (sum 1, mean 0.5); class 0: none.
   * const s = semanticDynamicSampler();
   * s.updateClassSums([0, 1], [0, 2]);
   * assertEquals(s.state().ema, [null, 0.5]);
   * assertEquals(s.state().counts, [0, 2]);
   * ```
   */
  updateClassSums(sums: ArrayLike<number>, counts: ArrayLike<number>): void;
  /**
   * The class of each pixel of the frame as the sampler counts it (allocation and EMA): the parsing map,
   * or with `eyeRegionClass` and the frame's landmarks a copy with the eye box as that class; undefined
   * without a parsing map. Cached with the frame's class lists: read it, do not modify it.
   */
  classMap(frame: PixelSampleContext): Uint8Array | undefined;
  /** The probabilities p_k that `sample` would use for this frame (indexed by class id). */
  classProbabilities(frame: PixelSampleContext): Float64Array;
  /** Fraction of rays per class id of the last `sample` (for logging each step). */
  lastAllocation(): number[];
  /** A copy of the statistics, for checkpoints. */
  state(): SemanticSamplerState;
  /** Restores `state()` (replaces all statistics). */
  loadState(state: SemanticSamplerState): void;
}

/**
 * Per-class sampling probabilities p_k = (1 - floor) score_k / sum(score) + floor / K_present over the
 * classes with area_k > 0 (see the module doc for score_k). When every present score is 0 (e.g. all
 * errors 0) the split is even over the present classes.
 * @param areas Pixel count of each class in the frame (class id = index); 0 marks an absent class.
 * @param errors Error estimate of each class (same indexing; read only for present classes), >= 0.
 * @param options Allocation, beta, floor.
 * @returns p, same length as `areas`, summing to 1 (0 for absent classes); all zeros when no class is
 *   present.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { semanticAllocation } from "./semantic_dynamic_sampler.ts";
 * // Class 1 has 4x the error of class 0: p1 = 0.8 * 4/5 + 0.2/2 = 0.74, p0 = 0.8 * 1/5 + 0.1 = 0.26.
 * const p = semanticAllocation([50, 50], [0.01, 0.04], { allocation: "error", floor: 0.2 });
 * assertAlmostEquals(p[0], 0.26, 1e-12);
 * assertAlmostEquals(p[1], 0.74, 1e-12);
 * ```
 */
export function semanticAllocation(
  areas: ArrayLike<number>,
  errors: ArrayLike<number>,
  options: SemanticAllocationOptions = {},
): Float64Array {
  const { allocation, beta, floor } = allocationOptions(options);
  const n = areas.length;
  if (errors.length < n) throw new Error(`errors must have one entry per class (${n}): got ${errors.length}`);
  const score = new Float64Array(n);
  let present = 0, total = 0;
  for (let k = 0; k < n; k++) {
    const area = areas[k];
    if (!(area >= 0)) throw new Error(`areas must be >= 0: class ${k} has ${area}`);
    if (area === 0) continue;
    present++;
    const e = errors[k];
    if (allocation !== "area" && !(e >= 0 && Number.isFinite(e))) {
      throw new Error(`errors must be finite and >= 0: class ${k} has ${e}`);
    }
    score[k] = allocation === "area" ? area : allocation === "error" ? e ** beta : e ** beta * area;
    total += score[k];
  }
  const p = new Float64Array(n);
  if (present === 0) return p;
  for (let k = 0; k < n; k++) {
    if (areas[k] === 0) continue;
    p[k] = total > 0 ? (1 - floor) * score[k] / total + floor / present : 1 / present;
  }
  return p;
}

function allocationOptions(o: SemanticAllocationOptions) {
  const allocation = o.allocation ?? "error";
  const beta = o.beta ?? 1;
  const floor = o.floor ?? 0.2;
  const problems = semanticSamplerProblems({ allocation, beta, floor }, "");
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { allocation, beta, floor };
}

/**
 * Every problem of the sampler's settings (path, value, what was expected); empty when they are valid.
 * @param o The settings present.
 * @param path Prefix of the field names (e.g. "pixelSampler."; "" for bare names).
 */
export function semanticSamplerProblems(
  o: {
    readonly allocation?: unknown;
    readonly beta?: number;
    readonly floor?: number;
    readonly emaRate?: number;
  },
  path: string,
): string[] {
  const problems: string[] = [];
  if (o.allocation !== undefined && !(SEMANTIC_ALLOCATIONS as readonly unknown[]).includes(o.allocation)) {
    problems.push(
      `${path}allocation must be one of ${SEMANTIC_ALLOCATIONS.map((a) => `"${a}"`).join(", ")}: got ${
        JSON.stringify(o.allocation)
      }`,
    );
  }
  if (o.beta !== undefined && !(o.beta >= 0 && Number.isFinite(o.beta))) {
    problems.push(`${path}beta must be finite and >= 0: got ${o.beta}`);
  }
  if (o.floor !== undefined && !(o.floor >= 0 && o.floor <= 1)) {
    problems.push(`${path}floor must be in [0, 1]: got ${o.floor}`);
  }
  if (o.emaRate !== undefined && !(o.emaRate > 0 && o.emaRate <= 1)) {
    problems.push(`${path}emaRate must be in (0, 1]: got ${o.emaRate}`);
  }
  return problems;
}

/** Pixel ids of a parsing map grouped by class (counting sort): class k owns ids[start[k], start[k+1]). */
interface ClassIndex {
  readonly area: Int32Array;
  readonly start: Int32Array;
  readonly ids: Int32Array;
  /** Highest class id present + 1. */
  readonly numClasses: number;
}

function buildClassIndex(parsing: Uint8Array): ClassIndex {
  const area = new Int32Array(256);
  for (let i = 0; i < parsing.length; i++) area[parsing[i]]++;
  const start = new Int32Array(257);
  let numClasses = 0;
  for (let k = 0; k < 256; k++) {
    start[k + 1] = start[k] + area[k];
    if (area[k] > 0) numClasses = k + 1;
  }
  const fill = start.slice(0, 256);
  const ids = new Int32Array(parsing.length);
  for (let i = 0; i < parsing.length; i++) ids[fill[parsing[i]]++] = i;
  return { area, start, ids, numClasses };
}

/**
 * Creates the semantic-aware dynamic pixel sampler (see the module doc for the rule).
 *
 * Why a floor (default 0.2, i.e. at least 0.2 / K_present of the rays per present class, ~37 of 2048
 * rays per class with the 11 SSP-NeRF classes): a class whose EMA is low would otherwise get almost no
 * rays, so its error would stop being measured (a stale EMA that never rises again) and the field would
 * stop being trained there (easy regions such as the background drift once they are no longer seen);
 * 0.2 keeps 80 % of the budget following the error.
 *
 * A frame without a parsing map is sampled uniformly over the image (and `lastAllocation()` is then
 * empty): there are no regions to allocate over, and uniform sampling is the unbiased choice that still
 * trains the frame (as the face-box sampler does without a box).
 *
 * Per-class pixel lists are cached per parsing map, keyed by the map's identity (the Dataset's LRU cache
 * hands the same Uint8Array for a cached frame): maps must not be modified in place after use. With
 * `eyeRegionClass`, an entry also holds the landmarks array it was built with (by identity, as the
 * dataset hands the same array per frame; another array rebuilds it).
 * @param options See {@linkcode SemanticDynamicSamplerOptions}.
 * @returns The sampler; rays come out grouped by class (ascending class id).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createRng } from "../nn/rng.ts";
 * import { semanticDynamicSampler } from "./semantic_dynamic_sampler.ts";
 * // A 2 x 2 frame: left column class 0, right column class 1.
 * const frame = { width: 2, height: 2, parsing: Uint8Array.of(0, 1, 0, 1) };
 * const sampler = semanticDynamicSampler({ floor: 0.2 });
 * // Class 1 shows 4x the error of class 0: p = [0.26, 0.74] (see semanticAllocation).
 * sampler.update({ frame, pixelIds: Int32Array.of(0, 1), errors: Float32Array.of(0.01, 0.04) });
 * const ids = sampler.sample(frame, 100, createRng(1));
 * assertEquals(ids.filter((id) => id % 2 === 1).length, 74);
 * assertEquals(sampler.lastAllocation(), [0.26, 0.74]);
 * ```
 */
export function semanticDynamicSampler(options: SemanticDynamicSamplerOptions = {}): SemanticDynamicSampler {
  const alloc = allocationOptions(options);
  const emaRate = options.emaRate ?? 0.1;
  const initialError = options.initialError ?? "max";
  const cacheFrames = options.cacheFrames ?? 16;
  if (!(emaRate > 0 && emaRate <= 1)) throw new Error(`emaRate must be in (0, 1]: got ${emaRate}`);
  if (initialError !== "max" && !(initialError >= 0 && Number.isFinite(initialError))) {
    throw new Error(`initialError must be "max" or a finite number >= 0: got ${initialError}`);
  }
  if (!Number.isInteger(cacheFrames) || cacheFrames < 1) {
    throw new Error(`cacheFrames must be an integer >= 1: got ${cacheFrames}`);
  }
  const eyeClass = options.eyeRegionClass;
  if (eyeClass !== undefined && !(Number.isInteger(eyeClass) && eyeClass >= 0 && eyeClass < 256)) {
    throw new Error(`eyeRegionClass must be an integer class id in [0, 255]: got ${eyeClass}`);
  }

  // Indexed by class id; NaN = never fed back.
  let ema: number[] = [];
  let counts: number[] = [];
  let last: number[] = [];
  // Keyed by the parsing map; `landmarks` is what the classes were built with (undefined: the map's own).
  const cache = new Map<Uint8Array, { landmarks?: Float32Array; classes: Uint8Array; idx: ClassIndex }>();

  const grow = (n: number) => {
    while (ema.length < n) ema.push(NaN), counts.push(0);
  };
  // The frame's sampling classes and their pixel lists (the frame must have a parsing map).
  const classesOf = (frame: PixelSampleContext) => {
    const parsing = frame.parsing!;
    const landmarks = eyeClass === undefined ? undefined : frame.landmarks;
    let entry = cache.get(parsing);
    if (entry) cache.delete(parsing); // re-insert as most recently used
    if (!entry || entry.landmarks !== landmarks) {
      const { width, height } = frame;
      const classes = landmarks ? withEyeRegion(parsing, landmarks, width, height, eyeClass!) : parsing;
      entry = { landmarks, classes, idx: buildClassIndex(classes) };
      if (cache.size >= cacheFrames) cache.delete(cache.keys().next().value!);
    }
    cache.set(parsing, entry);
    return entry;
  };
  const errorEstimates = (n: number): Float64Array => {
    let fallback = 1;
    if (initialError === "max") {
      let max = -Infinity;
      for (const e of ema) if (e > max) max = e;
      if (max > -Infinity) fallback = max;
    } else {
      fallback = initialError;
    }
    return Float64Array.from({ length: n }, (_, k) => (Number.isNaN(ema[k]) ? fallback : ema[k]));
  };
  // One step's errors, summed per class, into the EMAs (both feedback forms end here, so they agree).
  // Statistics grow to the highest class fed back, however long the arrays (the state stays the same).
  const fold = (sum: ArrayLike<number>, n: ArrayLike<number>) => {
    let top = 0;
    for (let k = 0; k < n.length; k++) if (n[k] > 0) top = k + 1;
    grow(top);
    for (let k = 0; k < top; k++) {
      if (n[k] === 0) continue;
      const mean = sum[k] / n[k];
      ema[k] = Number.isNaN(ema[k]) ? mean : (1 - emaRate) * ema[k] + emaRate * mean;
      counts[k] += n[k];
    }
  };
  const probabilities = (idx: ClassIndex): Float64Array => {
    grow(idx.numClasses);
    return semanticAllocation(idx.area.subarray(0, idx.numClasses), errorEstimates(idx.numClasses), alloc);
  };

  return {
    kind: "semanticDynamic",
    sample(frame: PixelSampleContext, count: number, rng: Rng): Int32Array {
      checkSampleArgs(frame, count);
      const out = new Int32Array(count);
      if (!frame.parsing) {
        const total = frame.width * frame.height;
        for (let i = 0; i < count; i++) out[i] = rng.int(total);
        last = [];
        return out;
      }
      const { idx } = classesOf(frame);
      const perClass = largestRemainder(probabilities(idx), count);
      let at = 0;
      for (let k = 0; k < perClass.length; k++) {
        const s = idx.start[k], a = idx.area[k];
        for (let j = 0; j < perClass[k]; j++) out[at++] = idx.ids[s + rng.int(a)];
      }
      last = Array.from(
        { length: ema.length },
        (_, k) => (count > 0 && k < perClass.length ? perClass[k] / count : 0),
      );
      return out;
    },
    update(feedback: PixelFeedback): void {
      const { frame, pixelIds, errors } = feedback;
      if (pixelIds.length !== errors.length) {
        throw new Error(
          `feedback pixelIds and errors must align: got ${pixelIds.length} and ${errors.length}`,
        );
      }
      if (!frame.parsing) return;
      checkSampleArgs(frame, pixelIds.length);
      // Without the eye region (or landmarks) the classes are the map itself: no cache lookup needed.
      const parsing = eyeClass !== undefined && frame.landmarks ? classesOf(frame).classes : frame.parsing;
      const sum = new Float64Array(256), n = new Int32Array(256);
      let top = 0;
      for (let i = 0; i < pixelIds.length; i++) {
        const id = pixelIds[i], e = errors[i];
        if (!Number.isInteger(id) || id < 0 || id >= parsing.length) {
          throw new Error(
            `feedback pixel id ${id} (ray ${i}) is outside the ${frame.width}x${frame.height} frame`,
          );
        }
        if (!(e >= 0 && Number.isFinite(e))) {
          throw new Error(`feedback errors must be finite and >= 0: ray ${i} has ${e}`);
        }
        const k = parsing[id];
        sum[k] += e;
        n[k]++;
        if (k + 1 > top) top = k + 1;
      }
      fold(sum.subarray(0, top), n.subarray(0, top));
    },
    updateClassSums(sums: ArrayLike<number>, n: ArrayLike<number>): void {
      if (sums.length !== n.length) {
        throw new Error(`class sums and counts must align: got ${sums.length} and ${n.length}`);
      }
      for (let k = 0; k < sums.length; k++) {
        if (!Number.isInteger(n[k]) || n[k] < 0) {
          throw new Error(`class counts must be integers >= 0: class ${k} has ${n[k]}`);
        }
        if (!(sums[k] >= 0 && Number.isFinite(sums[k]))) {
          throw new Error(`class error sums must be finite and >= 0: class ${k} has ${sums[k]}`);
        }
      }
      fold(sums, n);
    },
    classProbabilities(frame: PixelSampleContext): Float64Array {
      checkSampleArgs(frame, 0);
      if (!frame.parsing) throw new Error("classProbabilities needs a frame with a parsing map");
      return probabilities(classesOf(frame).idx);
    },
    classMap(frame: PixelSampleContext): Uint8Array | undefined {
      checkSampleArgs(frame, 0);
      return frame.parsing ? classesOf(frame).classes : undefined;
    },
    lastAllocation: () => [...last],
    state: (): SemanticSamplerState => ({
      ema: ema.map((e) => (Number.isNaN(e) ? null : e)),
      counts: [...counts],
      lastAllocation: [...last],
    }),
    loadState(state: SemanticSamplerState): void {
      const { ema: e, counts: c, lastAllocation: l } = state ?? {};
      if (!Array.isArray(e) || !Array.isArray(c) || !Array.isArray(l) || e.length !== c.length) {
        throw new Error("sampler state must hold arrays ema, counts (same length) and lastAllocation");
      }
      if (!e.every((x) => x === null || (typeof x === "number" && x >= 0 && Number.isFinite(x)))) {
        throw new Error(`sampler state ema must hold numbers >= 0 or null: got [${e}]`);
      }
      if (!c.every((x) => Number.isInteger(x) && x >= 0)) {
        throw new Error(`sampler state counts must be integers >= 0: got [${c}]`);
      }
      if (!l.every((x) => typeof x === "number" && x >= 0 && x <= 1)) {
        throw new Error(`sampler state lastAllocation must hold fractions in [0, 1]: got [${l}]`);
      }
      ema = e.map((x) => (x === null ? NaN : x));
      counts = [...c];
      last = [...l];
    },
  };
}
