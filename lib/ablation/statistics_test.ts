import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { meanInterval, pairedDifference, studentTCdf, studentTQuantile } from "./statistics.ts";

Deno.test("t quantiles match the printed t table (two-sided 95 %: p = 0.975)", () => {
  // Fisher & Yates / any statistics text, to three decimals.
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [5, 2.571],
    [9, 2.262],
    [29, 2.045],
    [120, 1.980],
  ];
  for (const [df, t] of table) assertAlmostEquals(studentTQuantile(0.975, df), t, 6e-4, `df ${df}`);
  assertAlmostEquals(studentTQuantile(0.995, 4), 4.604, 6e-4); // 99 %
  assertAlmostEquals(studentTQuantile(0.975, 1e7), 1.95996, 1e-4); // the normal limit
  assertAlmostEquals(studentTQuantile(0.025, 3), -3.182, 6e-4);
});

Deno.test("t distribution: closed forms for df = 1 (Cauchy) and df = 2", () => {
  for (const t of [-3, -0.5, 0, 0.7, 5]) {
    assertAlmostEquals(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
    assertAlmostEquals(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12);
  }
  // df = 1 quantile in closed form: tan(pi (p - 1/2)).
  assertAlmostEquals(studentTQuantile(0.975, 1), Math.tan(Math.PI * 0.475), 1e-8);
  assertThrows(() => studentTQuantile(1, 3), Error, "p must be in (0, 1)");
  assertThrows(() => studentTCdf(1, 0), Error, "df must be > 0");
});

Deno.test("meanInterval: hand-computed mean, sd and half-width; one value has no interval", () => {
  // 21.0, 23.0, 22.0, 24.0: mean 22.5, s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5 / 3.
  const m = meanInterval([21, 23, 22, 24]);
  assertEquals(m.n, 4);
  assertAlmostEquals(m.mean, 22.5, 1e-12);
  assertAlmostEquals(m.sd, Math.sqrt(5 / 3), 1e-12);
  assertAlmostEquals(m.halfWidth, (3.182 * Math.sqrt(5 / 3)) / 2, 2e-3);
  assertAlmostEquals(m.high - m.low, 2 * m.halfWidth, 1e-12);
  const two = meanInterval([10, 12]); // s = sqrt(2), t = 12.706: 12.706 * sqrt(2) / sqrt(2)
  assertAlmostEquals(two.halfWidth, 12.706, 1e-3);
  const one = meanInterval([7]);
  assertEquals([one.mean, one.n], [7, 1]);
  assert(Number.isNaN(one.halfWidth) && Number.isNaN(one.sd));
  assertEquals(meanInterval([5, NaN, 7]).n, 2); // a metric a run could not have is left out
  assert(Number.isNaN(meanInterval([]).mean));
});

Deno.test("pairedDifference: pairs by seed, not by position; marks only intervals that exclude 0", () => {
  const full = new Map([[3, 22], [1, 20], [2, 21]]);
  // Seed noise of 1 dB shared by both rows, a steady -0.5 dB effect: pairing sees it, unpaired would not.
  const row = new Map([[1, 19.5], [2, 20.4], [3, 21.6]]);
  const d = pairedDifference(row, full);
  assertEquals(d.seeds, [1, 2, 3]);
  // Differences -0.5, -0.6, -0.4: mean -0.5, s = 0.1, half-width 4.303 * 0.1 / sqrt(3).
  assertAlmostEquals(d.mean, -0.5, 1e-12);
  assertAlmostEquals(d.halfWidth, (4.303 * 0.1) / Math.sqrt(3), 1e-4);
  assert(d.significant);
  const unpaired = meanInterval([19.5, 20.4, 21.6]);
  assert(unpaired.low < meanInterval([20, 21, 22]).mean, "the unpaired intervals overlap");
  // Differences -1, +1, 0: mean 0, not significant.
  assert(!pairedDifference(new Map([[1, 19], [2, 22], [3, 22]]), full).significant);
  // A seed the reference lacks is not paired; one pair has no interval and is never marked.
  const lone = pairedDifference(new Map([[1, 10], [9, 30]]), full);
  assertEquals(lone.seeds, [1]);
  assert(!lone.significant && Number.isNaN(lone.halfWidth));
});
