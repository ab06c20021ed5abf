import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { deltasFromT, dirNorms, samplePoints } from "./points.ts";

Deno.test("samplePoints puts each depth on its own ray, by hand", () => {
  const origins = Float32Array.of(0, 0, 0, 1, 2, 3);
  const dirs = Float32Array.of(1, 0, 0, 0, -1, 0.5);
  const p = samplePoints(origins, dirs, Float32Array.of(1, 2, 2, 4), 2, 2);
  assertEquals(Array.from(p), [1, 0, 0, 2, 0, 0, 1, 0, 4, 1, -2, 5]);
});

Deno.test("deltas: differences, NeRF's 1e10 last interval, and scaling by |d|", () => {
  const t = Float32Array.of(1, 2, 4, 0, 0.5, 0.75);
  assertEquals(Array.from(deltasFromT(t, 2, 3)), [1, 2, 1e10, 0.5, 0.25, 1e10].map(Math.fround));
  const norms = dirNorms(Float32Array.of(0, 0, -1, 0, 3, -4));
  const d = deltasFromT(t, 2, 3, { dirNorms: norms, lastDelta: 0 });
  [1, 2, 0, 2.5, 1.25, 0].forEach((want, i) => assertAlmostEquals(d[i], want, 1e-6));
});

Deno.test("sum of deltas times |d| equals the distance between the first and last points", () => {
  const origins = Float32Array.of(0.5, -1, 2), dirs = Float32Array.of(0.3, -0.4, -1.2);
  const t = Float32Array.of(0.5, 0.9, 1.7, 2.0, 3.1);
  const pts = samplePoints(origins, dirs, t, 1, 5);
  const d = deltasFromT(t, 1, 5, { dirNorms: dirNorms(dirs) });
  const span = Math.hypot(pts[12] - pts[0], pts[13] - pts[1], pts[14] - pts[2]);
  assertAlmostEquals(d[0] + d[1] + d[2] + d[3], span, 1e-5);
});

Deno.test("point helpers reject wrong lengths", () => {
  assertThrows(
    () => samplePoints(new Float32Array(3), new Float32Array(3), new Float32Array(3), 1, 2),
    Error,
    "tVals",
  );
  assertThrows(
    () => deltasFromT(new Float32Array(4), 2, 2, { dirNorms: new Float32Array(1) }),
    Error,
    "dirNorms",
  );
  assertThrows(() => dirNorms(new Float32Array(4)), Error, "[n, 3]");
});
