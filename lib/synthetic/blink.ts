/**
 * Eye blinks of the synthetic portrait: a seeded schedule of blinks (one every `intervalSeconds`, each
 * `durationSeconds` long) and the eyelid closure per frame, 0 (open) to 1 (shut).
 * @module
 */
import { createRng } from "../nn/rng.ts";

/** One blink: when it starts and how long it lasts, seconds. */
export interface Blink {
  readonly start: number;
  readonly duration: number;
}

/** Options of {@linkcode blinkSchedule}. */
export interface BlinkOptions {
  /** Seed of the schedule. @default {0} */
  readonly seed?: number;
  /** Range of the time from one blink's start to the next, seconds. @default {[1.5, 3.5]} */
  readonly intervalSeconds?: readonly [number, number];
  /** Range of a blink's length, seconds. @default {[0.2, 0.3]} */
  readonly durationSeconds?: readonly [number, number];
}

/** Defaults of {@linkcode blinkSchedule}. */
export const BLINK_DEFAULTS = {
  seed: 0,
  intervalSeconds: [1.5, 3.5] as [number, number],
  durationSeconds: [0.2, 0.3] as [number, number],
} as const;

function checkRange(name: string, r: readonly number[], min: number): void {
  if (r.length !== 2 || !(r[0] >= min && r[1] >= r[0] && Number.isFinite(r[1]))) {
    throw new Error(`blink.ts: ${name} must be [lo, hi] with ${min} <= lo <= hi: got [${r}]`);
  }
}

/**
 * A seeded blink schedule over `[from, to)` seconds: the first blink starts a uniform fraction of the
 * first interval after `from`, each next one a uniform draw from `intervalSeconds` after the previous
 * one's start; lengths are uniform in `durationSeconds`. Blinks that would not end before `to` are left
 * out.
 * @param from Start of the span, seconds.
 * @param to End of the span, seconds.
 * @param options Seed, interval and length ranges.
 * @returns Blinks in time order; none overlap (the interval's low end must exceed the longest blink).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { blinkSchedule } from "./blink.ts";
 * const b = blinkSchedule(0, 20, { seed: 1 });
 * assert(b.length >= 4 && b.every((x, i) => i === 0 || x.start - b[i - 1].start >= 1.5));
 * ```
 */
export function blinkSchedule(from: number, to: number, options: BlinkOptions = {}): Blink[] {
  const interval = options.intervalSeconds ?? BLINK_DEFAULTS.intervalSeconds;
  const duration = options.durationSeconds ?? BLINK_DEFAULTS.durationSeconds;
  checkRange("intervalSeconds", interval, 0);
  checkRange("durationSeconds", duration, 0);
  if (!(interval[0] > duration[1])) {
    throw new Error(
      `blink.ts: intervalSeconds [${interval}] must start above the longest blink ${duration[1]} s`,
    );
  }
  if (!(Number.isFinite(from) && Number.isFinite(to))) {
    throw new Error(`blink.ts: blinkSchedule needs a finite span: got [${from}, ${to})`);
  }
  const rng = createRng(((options.seed ?? BLINK_DEFAULTS.seed) ^ 0x2c1b3c6d) >>> 0);
  const draw = (r: readonly number[]) => r[0] + (r[1] - r[0]) * rng.next();
  const out: Blink[] = [];
  let start = from + rng.next() * draw(interval);
  for (;;) {
    const d = draw(duration);
    if (start + d > to) break;
    out.push({ start, duration: d });
    start += draw(interval);
  }
  return out;
}

/** Share of a blink spent closing, fully shut, and (the rest) opening: lids fall fast and rise slower. */
export const BLINK_PROFILE = { closing: 0.35, shut: 0.2 } as const;

/**
 * Eyelid closure at time t: 0 outside every blink; inside one, a smooth rise (sin^2) to 1 over the
 * first 35 % of the blink, shut for the next 20 %, and a smooth fall back to 0 over the rest.
 * @param blinks The schedule.
 * @param t Time, seconds.
 * @returns Closure in [0, 1].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eyeClosureAt } from "./blink.ts";
 * const b = [{ start: 1, duration: 0.2 }];
 * assertEquals([eyeClosureAt(b, 0.5), eyeClosureAt(b, 1.09), eyeClosureAt(b, 1.3)], [0, 1, 0]);
 * ```
 */
export function eyeClosureAt(blinks: readonly Blink[], t: number): number {
  let c = 0;
  for (const b of blinks) {
    const s = (t - b.start) / b.duration;
    if (!(s > 0 && s < 1)) continue;
    const { closing, shut } = BLINK_PROFILE;
    const v = s < closing
      ? Math.sin((Math.PI / 2) * (s / closing)) ** 2
      : s < closing + shut
      ? 1
      : Math.cos((Math.PI / 2) * ((s - closing - shut) / (1 - closing - shut))) ** 2;
    c = Math.max(c, v);
  }
  return c;
}

/**
 * Eyelid closure per video frame (frame i at time i / fps), rounded to 1e-6 so that the ground truth
 * reads back exactly.
 * @param blinks The schedule.
 * @param numFrames Frames N.
 * @param fps Frames per second.
 * @returns N closures in [0, 1].
 */
export function eyeClosurePath(blinks: readonly Blink[], numFrames: number, fps: number): number[] {
  return Array.from({ length: numFrames }, (_, i) => Math.round(eyeClosureAt(blinks, i / fps) * 1e6) / 1e6);
}

/**
 * `count` blinks spread evenly over `[from, to)` seconds, each `duration` long and centred in its
 * share of the span: used to put closed-eye frames into a short held-out part of a clip.
 * @param from Start of the span, seconds.
 * @param to End of the span, seconds.
 * @param count Number of blinks (0: none).
 * @param duration Length of each blink, seconds; at most the span / count.
 * @returns The blinks.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { evenBlinks } from "./blink.ts";
 * assertEquals(evenBlinks(0, 1, 2, 0.2), [{ start: 0.15, duration: 0.2 }, { start: 0.65, duration: 0.2 }]);
 * ```
 */
export function evenBlinks(from: number, to: number, count: number, duration: number): Blink[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`blink.ts: evenBlinks count must be an integer >= 0: got ${count}`);
  }
  const share = (to - from) / Math.max(1, count);
  if (count > 0 && !(duration > 0 && duration <= share)) {
    throw new Error(
      `blink.ts: evenBlinks: ${count} blinks of ${duration} s do not fit in [${from}, ${to}) s`,
    );
  }
  return Array.from({ length: count }, (_, k) => ({
    start: Math.round((from + (k + 0.5) * share - duration / 2) * 1e9) / 1e9,
    duration,
  }));
}
