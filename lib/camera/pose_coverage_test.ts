import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { poseCoverage } from "./pose_coverage.ts";

/** A small deterministic generator (LCG) of numbers in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

Deno.test("poseCoverage: two independent dimensions by hand", () => {
  // x: 0, 2, 0, 2 (mean 1, variance 4/3); y: 0, 0, 6, 6 (mean 3, variance 12); no covariance.
  const ref = [[0, 0], [2, 0], [0, 6], [2, 6]];
  const c = poseCoverage(ref, [[3, 3], [1, 9]]);
  assertAlmostEquals(c.mahalanobis[0], 2 / Math.sqrt(4 / 3), 1e-7);
  assertAlmostEquals(c.mahalanobis[1], Math.sqrt(36 / 12), 1e-7);
  // Nearest in standardised units: (3, 3) to (2, 0) or (2, 6): sqrt(1 / (4/3) + 9 / 12) = sqrt(1.5).
  assertAlmostEquals(c.nearest[0], Math.sqrt(1.5), 1e-7);
  // Every reference pose lies at sqrt(1 / (4/3) + 9 / 12) = sqrt(1.5) from the mean: so does the 95th percentile.
  assertAlmostEquals(c.reference95, Math.sqrt(1.5), 1e-7);
});

Deno.test("poseCoverage: the Mahalanobis distance does not change under an invertible linear map of all poses", () => {
  const r = lcg(3);
  const ref = Array.from({ length: 40 }, () => [r(), r() * 0.1, r() * 3]);
  const query = Array.from({ length: 5 }, () => [2 * r(), r(), r()]);
  const a = [[1, 0.5, 0], [0.2, 2, -1], [0, 0.3, 0.7]];
  const map = (p: readonly number[]) => a.map((row) => row.reduce((s, v, j) => s + v * p[j], 0));
  const plain = poseCoverage(ref, query);
  const mapped = poseCoverage(ref.map(map), query.map(map));
  plain.mahalanobis.forEach((v, i) => assertAlmostEquals(mapped.mahalanobis[i], v, 1e-6 * v));
  assertAlmostEquals(mapped.reference95, plain.reference95, 1e-6);
  // A reference pose itself: nearest distance 0.
  assertEquals(poseCoverage(ref, [ref[7]]).nearest[0], 0);
});

Deno.test("poseCoverage: a dimension that never changes stays finite; bad input is named", () => {
  const c = poseCoverage([[0, 5], [1, 5], [2, 5]], [[1, 5], [4, 5]]);
  assertAlmostEquals(c.mahalanobis[0], 0, 1e-7);
  assertAlmostEquals(c.mahalanobis[1], 3, 1e-6);
  assert(Number.isFinite(c.reference95));
  assertThrows(() => poseCoverage([[0]], [[1]]), Error, "at least 2 reference poses");
  assertThrows(() => poseCoverage([[0, 1], [1, 2]], [[1]]), Error, "query pose 0 must be 2 finite numbers");
  assertThrows(() => poseCoverage([[0, 1], [1, NaN]], [[1, 1]]), Error, "reference pose 1");
});
