/**
 * Analytic solids of the ray caster and their ray intervals: axis-aligned ellipsoids and scaled capsules,
 * each optionally clipped by a half-space. A solid lives in a scaled local frame: local = (p - centre) /
 * scale, where it is the unit sphere or a capsule of radius 1 around a segment.
 *
 * Rays are p(t) = o + t d with d not normalised; affine maps keep t, so one t is shared by every frame.
 * @module
 */

/** Shapes in the local frame. */
export type ShapeKind = "ellipsoid" | "capsule";

/** A solid: shape, frame, optional clip, and what it is (parsing class and material). */
export interface Solid {
  readonly kind: ShapeKind;
  /** Centre, in the coordinates of the part the solid belongs to. */
  readonly c: readonly [number, number, number];
  /** Scale (for an ellipsoid: its radii). */
  readonly s: readonly [number, number, number];
  /** Capsule segment end points in local (scaled) coordinates; radius 1 there. */
  readonly a?: readonly [number, number, number];
  readonly b?: readonly [number, number, number];
  /** Keep only the points p with n . p >= k (part coordinates). */
  readonly clip?: { readonly n: readonly [number, number, number]; readonly k: number };
  /** SSPNERF11 class id of the surface. */
  readonly cls: number;
  /** Material name, chooses the albedo and texture. */
  readonly material: string;
  /** Whether the mouth cavity is cut out of this solid. */
  readonly carve?: boolean;
}

/**
 * Interval [t0, t1] where the ray is inside the solid (clip included), written to `out` as
 * out[0] = t0, out[1] = t1, out[2] = 1 when the entry point lies on the clip plane (else 0).
 * @param s The solid.
 * @param o Ray origin (part coordinates), 3 entries.
 * @param d Ray direction (part coordinates), 3 entries.
 * @param out Scratch of at least 3 entries.
 * @returns Whether the interval is non-empty.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { solidInterval } from "./geometry.ts";
 * const unit = { kind: "ellipsoid", c: [0, 0, 0], s: [1, 2, 1], cls: 1, material: "skin" } as const;
 * const out = new Float64Array(3);
 * solidInterval(unit, [0, 0, 5], [0, 0, -1], out); // along the z axis through a radius-1 section
 * assertAlmostEquals(out[0], 4);
 * assertAlmostEquals(out[1], 6);
 * ```
 */
export function solidInterval(
  s: Solid,
  o: ArrayLike<number>,
  d: ArrayLike<number>,
  out: Float64Array,
): boolean {
  const ox = (o[0] - s.c[0]) / s.s[0], oy = (o[1] - s.c[1]) / s.s[1], oz = (o[2] - s.c[2]) / s.s[2];
  const dx = d[0] / s.s[0], dy = d[1] / s.s[1], dz = d[2] / s.s[2];
  const hit = s.kind === "ellipsoid"
    ? sphereInterval(ox, oy, oz, dx, dy, dz, 0, 0, 0, out)
    : capsuleInterval(ox, oy, oz, dx, dy, dz, s.a!, s.b!, out);
  out[2] = 0;
  if (!hit) return false;
  if (s.clip) {
    const { n, k } = s.clip;
    const nd = n[0] * d[0] + n[1] * d[1] + n[2] * d[2];
    const no = n[0] * o[0] + n[1] * o[1] + n[2] * o[2];
    if (Math.abs(nd) < 1e-12) {
      if (no < k) return false;
    } else {
      const tc = (k - no) / nd;
      if (nd > 0) {
        if (tc > out[0]) {
          out[0] = tc;
          out[2] = 1;
        }
      } else if (tc < out[1]) out[1] = tc;
      if (out[0] > out[1]) return false;
    }
  }
  return true;
}

/** Unit sphere at (cx, cy, cz) (local coordinates). */
function sphereInterval(
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
  cx: number,
  cy: number,
  cz: number,
  out: Float64Array,
): boolean {
  const px = ox - cx, py = oy - cy, pz = oz - cz;
  const a = dx * dx + dy * dy + dz * dz;
  const b = px * dx + py * dy + pz * dz;
  const c = px * px + py * py + pz * pz - 1;
  const disc = b * b - a * c;
  if (disc < 0 || a === 0) return false;
  const sq = Math.sqrt(disc);
  out[0] = (-b - sq) / a;
  out[1] = (-b + sq) / a;
  return true;
}

/**
 * Capsule of radius 1 around segment A-B: the union of two unit spheres and a finite cylinder. The union
 * is convex, so its interval is [min entry, max exit] of the pieces.
 */
function capsuleInterval(
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
  A: readonly number[],
  B: readonly number[],
  out: Float64Array,
): boolean {
  let t0 = Infinity, t1 = -Infinity;
  if (sphereInterval(ox, oy, oz, dx, dy, dz, A[0], A[1], A[2], out)) {
    t0 = out[0];
    t1 = out[1];
  }
  if (sphereInterval(ox, oy, oz, dx, dy, dz, B[0], B[1], B[2], out)) {
    t0 = Math.min(t0, out[0]);
    t1 = Math.max(t1, out[1]);
  }
  const bx = B[0] - A[0], by = B[1] - A[1], bz = B[2] - A[2];
  const L2 = bx * bx + by * by + bz * bz;
  const px = ox - A[0], py = oy - A[1], pz = oz - A[2];
  const pd = (px * bx + py * by + pz * bz) / L2, dd = (dx * bx + dy * by + dz * bz) / L2;
  // perpendicular parts of origin and direction
  const qx = px - pd * bx, qy = py - pd * by, qz = pz - pd * bz;
  const ex = dx - dd * bx, ey = dy - dd * by, ez = dz - dd * bz;
  const a = ex * ex + ey * ey + ez * ez;
  const b = qx * ex + qy * ey + qz * ez;
  const c = qx * qx + qy * qy + qz * qz - 1;
  let c0: number, c1: number;
  if (a < 1e-14) {
    if (c > 0) return t0 <= t1;
    c0 = -Infinity;
    c1 = Infinity;
  } else {
    const disc = b * b - a * c;
    if (disc < 0) {
      if (t0 > t1) return false;
      out[0] = t0;
      out[1] = t1;
      return true;
    }
    const sq = Math.sqrt(disc);
    c0 = (-b - sq) / a;
    c1 = (-b + sq) / a;
  }
  // slab 0 <= (p + t d) . (B - A) / L2 <= 1
  if (Math.abs(dd) < 1e-14) {
    if (pd < 0 || pd > 1) c1 = -Infinity;
  } else {
    let s0 = -pd / dd, s1 = (1 - pd) / dd;
    if (s0 > s1) [s0, s1] = [s1, s0];
    c0 = Math.max(c0, s0);
    c1 = Math.min(c1, s1);
  }
  if (c0 <= c1) {
    t0 = Math.min(t0, c0);
    t1 = Math.max(t1, c1);
  }
  if (t0 > t1) return false;
  out[0] = t0;
  out[1] = t1;
  return true;
}

/**
 * Outward unit normal of a solid's curved surface at a point on it (part coordinates): the gradient of
 * the local implicit function, mapped back through the scale.
 * @param s The solid.
 * @param p Point on the surface, part coordinates.
 * @returns Unit normal, part coordinates.
 */
export function solidNormal(s: Solid, p: ArrayLike<number>): [number, number, number] {
  let qx = (p[0] - s.c[0]) / s.s[0], qy = (p[1] - s.c[1]) / s.s[1], qz = (p[2] - s.c[2]) / s.s[2];
  if (s.kind === "capsule") {
    const A = s.a!, B = s.b!;
    const bx = B[0] - A[0], by = B[1] - A[1], bz = B[2] - A[2];
    const h = Math.min(
      1,
      Math.max(0, ((qx - A[0]) * bx + (qy - A[1]) * by + (qz - A[2]) * bz) / (bx * bx + by * by + bz * bz)),
    );
    qx -= A[0] + h * bx;
    qy -= A[1] + h * by;
    qz -= A[2] + h * bz;
  }
  const nx = qx / s.s[0], ny = qy / s.s[1], nz = qz / s.s[2];
  const len = Math.hypot(nx, ny, nz) || 1;
  return [nx / len, ny / len, nz / len];
}
