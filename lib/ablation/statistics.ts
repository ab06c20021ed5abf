/**
 * Statistics of an ablation over seeds: the mean of a metric with its 95 % confidence interval
 * (Student t, as the seeds are few), and a row's paired difference to the full model (paired by seed:
 * the same seed draws the same initialisation and ray batches in both rows, so pairing removes the
 * part of the noise the two share).
 * @module
 */

/** ln Gamma(x), x > 0 (Lanczos approximation, g = 7, 9 terms; relative error below 1e-14). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes 6.4). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    for (
      const aa of [
        (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
        -((a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
      ]
    ) {
      d = 1 + aa * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + aa / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), 0 <= x <= 1. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/**
 * The cumulative distribution of Student's t with `df` degrees of freedom:
 * P(T <= t) = 1 - I_{df / (df + t^2)}(df / 2, 1 / 2) / 2 for t >= 0, symmetric for t < 0.
 * @param t The value.
 * @param df Degrees of freedom, > 0.
 * @returns P(T <= t).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { studentTCdf } from "./statistics.ts";
 * assertAlmostEquals(studentTCdf(1, 1), 0.75, 1e-12); // Cauchy: 1/2 + atan(1) / pi
 * ```
 */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTCdf: df must be > 0: got ${df}`);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The quantile of Student's t: the t with P(T <= t) = p (bisection on {@linkcode studentTCdf}).
 * @param p Probability, 0 < p < 1.
 * @param df Degrees of freedom, > 0.
 * @returns The quantile; for a two-sided 95 % interval use p = 0.975.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { studentTQuantile } from "./statistics.ts";
 * assertAlmostEquals(studentTQuantile(0.975, 2), 4.303, 1e-3); // the t table's row df = 2
 * ```
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1): got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be > 0: got ${df}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A mean with its two-sided confidence interval. */
export interface MeanInterval {
  /** Number of values (seeds). */
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1 in the denominator); NaN for one value. */
  readonly sd: number;
  /** Half-width of the interval: t_{(1+level)/2, n-1} sd / sqrt(n); NaN for one value. */
  readonly halfWidth: number;
  readonly low: number;
  readonly high: number;
  /** Confidence level of the interval, e.g. 0.95. */
  readonly level: number;
}

/**
 * The mean of `values` and its Student-t confidence interval, mean +- t_{(1+level)/2, n-1} s / sqrt(n).
 * Non-finite values (a metric a run could not have) are left out; none left gives a NaN mean.
 * @param values One value per seed.
 * @param level Confidence level. @default {0.95}
 * @returns Mean, standard deviation and interval; with one value the interval is NaN (unknown), not 0.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { meanInterval } from "./statistics.ts";
 * const m = meanInterval([20, 21, 22]); // mean 21, s = 1, t(0.975, 2) = 4.303
 * assertAlmostEquals(m.halfWidth, 4.303 / Math.sqrt(3), 1e-3);
 * ```
 */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  if (!(level > 0 && level < 1)) throw new Error(`meanInterval: level must be in (0, 1): got ${level}`);
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const mean = n ? v.reduce((s, x) => s + x, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : NaN;
  const halfWidth = n > 1 ? (studentTQuantile((1 + level) / 2, n - 1) * sd) / Math.sqrt(n) : NaN;
  return { n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth, level };
}

/** A paired difference (row minus reference) with its interval and whether it exceeds the noise. */
export interface PairedDifference extends MeanInterval {
  /** The seeds that both sides have (the pairs). */
  readonly seeds: readonly number[];
  /** The interval excludes 0: the difference is larger than the seed noise at this level. */
  readonly significant: boolean;
}

/**
 * The paired difference `row - reference` over the seeds both have, with its Student-t interval
 * (a paired t test: the interval excludes 0 exactly when the test rejects "no difference" at
 * 1 - level).
 * @param row Value per seed of the row.
 * @param reference Value per seed of the reference row ("full").
 * @param level Confidence level. @default {0.95}
 * @returns The mean difference, its interval, the seeds paired and whether the interval excludes 0.
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { pairedDifference } from "./statistics.ts";
 * // Differences by seed: -1, -1.2, -0.8: mean -1, s = 0.2, half-width 4.303 * 0.2 / sqrt(3) = 0.497.
 * const d = pairedDifference(new Map([[1, 19], [2, 19.8], [3, 21.2]]), new Map([[1, 20], [2, 21], [3, 22]]));
 * assertEquals(d.seeds, [1, 2, 3]);
 * assert(Math.abs(d.mean + 1) < 1e-12 && Math.abs(d.halfWidth - 0.4969) < 1e-3 && d.significant);
 * ```
 */
export function pairedDifference(
  row: ReadonlyMap<number, number>,
  reference: ReadonlyMap<number, number>,
  level = 0.95,
): PairedDifference {
  const seeds = [...row.keys()]
    .filter((s) => reference.has(s) && Number.isFinite(row.get(s)!) && Number.isFinite(reference.get(s)!))
    .sort((a, b) => a - b);
  const m = meanInterval(seeds.map((s) => row.get(s)! - reference.get(s)!), level);
  return { ...m, seeds, significant: m.n > 1 && (m.low > 0 || m.high < 0) };
}
