import { assert, assertAlmostEquals, assertFalse } from "@std/assert";
import { type Solid, solidInterval, solidNormal } from "./geometry.ts";

const out = new Float64Array(3);

Deno.test("ellipsoid interval along an axis equals centre +- radius", () => {
  const e: Solid = { kind: "ellipsoid", c: [1, 2, -10], s: [0.5, 1, 2], cls: 1, material: "skin" };
  assert(solidInterval(e, [1, 2, 0], [0, 0, -1], out));
  assertAlmostEquals(out[0], 8, 1e-12);
  assertAlmostEquals(out[1], 12, 1e-12);
  assertFalse(solidInterval(e, [1.6, 2, 0], [0, 0, -1], out)); // misses: |x - 1| > 0.5
});

Deno.test("a non-unit direction scales t: t is in units of |d|", () => {
  const e: Solid = { kind: "ellipsoid", c: [0, 0, -10], s: [1, 1, 1], cls: 1, material: "skin" };
  solidInterval(e, [0, 0, 0], [0, 0, -2], out);
  assertAlmostEquals(out[0], 4.5, 1e-12);
});

Deno.test("capsule: hits on the cylinder and on the end caps", () => {
  // radius 0.5 around the segment x in [-1, 1] (local segment scaled by 1 / 0.5)
  const c: Solid = {
    kind: "capsule",
    c: [0, 0, 0],
    s: [0.5, 0.5, 0.5],
    a: [-2, 0, 0],
    b: [2, 0, 0],
    cls: 9,
    material: "shirt",
  };
  assert(solidInterval(c, [0.3, 0, 5], [0, 0, -1], out)); // through the cylinder
  assertAlmostEquals(out[0], 4.5, 1e-12);
  assertAlmostEquals(out[1], 5.5, 1e-12);
  assert(solidInterval(c, [5, 0, 0], [-1, 0, 0], out)); // along the axis: cap to cap
  assertAlmostEquals(out[0], 3.5, 1e-12);
  assertAlmostEquals(out[1], 6.5, 1e-12);
  assert(solidInterval(c, [1.3, 0, 5], [0, 0, -1], out)); // through the cap sphere at x = 1
  const half = Math.sqrt(0.25 - 0.09);
  assertAlmostEquals(out[0], 5 - half, 1e-12);
  assertFalse(solidInterval(c, [1.6, 0, 5], [0, 0, -1], out));
});

Deno.test("a clip half-space cuts the interval and marks entries on the plane", () => {
  const e: Solid = {
    kind: "ellipsoid",
    c: [0, 0, 0],
    s: [1, 1, 1],
    clip: { n: [0, 0, -1], k: 0 }, // keep z <= 0
    cls: 10,
    material: "hair",
  };
  assert(solidInterval(e, [0, 0, 5], [0, 0, -1], out));
  assertAlmostEquals(out[0], 5, 1e-12); // enters on the plane z = 0
  assertAlmostEquals(out[2], 1);
  assertAlmostEquals(out[1], 6, 1e-12);
  assert(solidInterval(e, [0, 0, -5], [0, 0, 1], out)); // from behind: the sphere first
  assertAlmostEquals(out[0], 4, 1e-12);
  assertAlmostEquals(out[2], 0);
  assertAlmostEquals(out[1], 5, 1e-12);
});

Deno.test("normals: ellipsoid gradient through the scale; capsule radial", () => {
  const e: Solid = { kind: "ellipsoid", c: [0, 0, 0], s: [2, 1, 1], cls: 1, material: "skin" };
  const n = solidNormal(e, [Math.SQRT2, Math.SQRT1_2, 0]); // gradient (x / 4, y, 0)
  const len = Math.hypot(Math.SQRT2 / 4, Math.SQRT1_2);
  assertAlmostEquals(n[0], Math.SQRT2 / 4 / len, 1e-12);
  assertAlmostEquals(n[1], Math.SQRT1_2 / len, 1e-12);
  const c: Solid = {
    kind: "capsule",
    c: [0, 0, 0],
    s: [1, 1, 1],
    a: [0, -1, 0],
    b: [0, 1, 0],
    cls: 8,
    material: "neck",
  };
  const m = solidNormal(c, [0, 0.5, 1]);
  assertAlmostEquals(m[2], 1, 1e-12);
  const top = solidNormal(c, [0, 2, 0]);
  assertAlmostEquals(top[1], 1, 1e-12);
});
