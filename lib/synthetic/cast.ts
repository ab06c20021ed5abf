/**
 * Ray casting through a frame's body: the first surface a ray meets, with its class, material, point
 * and normal. The mouth cavity is cut out of the carved solids (skin, lips), and where a ray leaves the
 * cavity inside them it meets the inside of the mouth.
 * @module
 */
import { type Solid, solidInterval, solidNormal } from "./geometry.ts";
import { CLASS, EYELID, type FrameBody, paintedClass } from "./body.ts";

/** Frames of a hit point. */
export const PART = { head: 0, torso: 1, world: 2 } as const;

/** The first surface along a ray (fields overwritten by each cast). */
export interface Hit {
  /** Ray parameter of the hit (Infinity: nothing hit). */
  t: number;
  /** SSPNERF11 class (0 when nothing was hit). */
  cls: number;
  /** Material name ("" when nothing was hit). */
  material: string;
  /** Which frame `p` is in (PART). */
  part: number;
  /** Hit point in its part's coordinates. */
  readonly p: Float64Array;
  /** Unit normal in the camera frame, facing the ray's side. */
  readonly n: Float64Array;
}

/** A fresh, empty hit record. */
export function newHit(): Hit {
  return { t: Infinity, cls: 0, material: "", part: -1, p: new Float64Array(3), n: new Float64Array(3) };
}

const scratch = new Float64Array(3);
const cav = new Float64Array(3);
const po = new Float64Array(3), pd = new Float64Array(3);
const best = { solid: null as Solid | null, kind: 0, part: -1 };
const bestO = new Float64Array(3), bestD = new Float64Array(3);

/** The convex union of the cavity's two half-ellipsoids; interval into cav[0..1]. */
function cavityInterval(body: FrameBody, o: Float64Array, d: Float64Array): boolean {
  let t0 = Infinity, t1 = -Infinity;
  for (const s of body.cavity!.halves) {
    if (solidInterval(s, o, d, cav)) {
      t0 = Math.min(t0, cav[0]);
      t1 = Math.max(t1, cav[1]);
    }
  }
  cav[0] = t0;
  cav[1] = t1;
  return t0 <= t1;
}

function toPart(R: Float64Array, T: readonly number[], o: ArrayLike<number>, d: ArrayLike<number>): void {
  const x = o[0] - T[0], y = o[1] - T[1], z = o[2] - T[2];
  po[0] = R[0] * x + R[3] * y + R[6] * z;
  po[1] = R[1] * x + R[4] * y + R[7] * z;
  po[2] = R[2] * x + R[5] * y + R[8] * z;
  pd[0] = R[0] * d[0] + R[3] * d[1] + R[6] * d[2];
  pd[1] = R[1] * d[0] + R[4] * d[1] + R[7] * d[2];
  pd[2] = R[2] * d[0] + R[5] * d[1] + R[8] * d[2];
}

/** Whether a ray (part coordinates) meets the sphere of radius r about c before tMax. */
function mayHit(c: readonly number[], r: number, tMax: number): boolean {
  const x = po[0] - c[0], y = po[1] - c[1], z = po[2] - c[2];
  const a = pd[0] * pd[0] + pd[1] * pd[1] + pd[2] * pd[2];
  const b = x * pd[0] + y * pd[1] + z * pd[2];
  const disc = b * b - a * (x * x + y * y + z * z - r * r);
  if (disc < 0) return false;
  return (-b - Math.sqrt(disc)) / a < tMax && (-b + Math.sqrt(disc)) / a > 0;
}

const HEAD_BOUND = { c: [0, -0.1, 0.05], r: 1.5 };
const TMIN = 1e-6;

function scanPart(
  solids: readonly Solid[],
  part: number,
  hit: Hit,
  withCavity: boolean,
  body: FrameBody,
): void {
  let cavityOk = false, cavityKnown = false;
  for (const s of solids) {
    if (!solidInterval(s, po, pd, scratch)) continue;
    let t = scratch[0], kind = scratch[2];
    const t1 = scratch[1];
    if (t1 < TMIN) continue;
    if (t < TMIN) t = TMIN; // the ray starts inside (not for camera rays)
    if (withCavity && s.carve) {
      if (!cavityKnown) {
        cavityOk = cavityInterval(body, po, pd);
        cavityKnown = true;
      }
      if (cavityOk && t > cav[0] && t < cav[1]) {
        if (cav[1] >= t1) continue; // the cavity swallows the rest of this solid along the ray
        t = cav[1];
        kind = 2;
      }
    }
    if (t < hit.t) {
      hit.t = t;
      best.solid = s;
      best.kind = kind;
      best.part = part;
      bestO.set(po);
      bestD.set(pd);
    }
  }
}

/**
 * Casts a ray o + t d (camera frame) through the body and fills `hit` with the first surface.
 * @param body The frame's solids.
 * @param o Ray origin, camera frame (3 entries).
 * @param d Ray direction, camera frame (3 entries; need not be unit: t is in units of |d|).
 * @param hit Record to fill.
 * @returns Whether something was hit (otherwise the ray goes on to the background).
 */
export function castRay(body: FrameBody, o: ArrayLike<number>, d: ArrayLike<number>, hit: Hit): boolean {
  hit.t = Infinity;
  best.solid = null;
  toPart(body.headR, body.headT, o, d);
  if (mayHit(HEAD_BOUND.c, HEAD_BOUND.r, Infinity)) {
    scanPart(body.head, PART.head, hit, body.cavity !== null, body);
  }
  toPart(body.torsoR, body.torsoT, o, d);
  scanPart(body.torso, PART.torso, hit, false, body);
  for (let k = 0; k < 3; k++) {
    po[k] = o[k];
    pd[k] = d[k];
  }
  scanPart(body.world, PART.world, hit, false, body);
  const s = best.solid as Solid | null;
  if (!s) {
    hit.cls = CLASS.background;
    hit.material = "";
    hit.part = -1;
    return false;
  }
  const p = hit.p;
  for (let k = 0; k < 3; k++) p[k] = bestO[k] + hit.t * bestD[k];
  hit.part = best.part;
  let n: number[];
  if (best.kind === 2) {
    // inside of the mouth: the cavity wall seen from within, normal pointing into the cavity
    const c = body.cavity!;
    const ry = p[1] >= c.c[1] ? c.up : c.down;
    const sx = c.w, sz = c.depth;
    const nx = -(p[0] - c.c[0]) / (sx * sx),
      ny = -(p[1] - c.c[1]) / (ry * ry),
      nz = -(p[2] - c.c[2]) / (sz * sz);
    const len = Math.hypot(nx, ny, nz) || 1;
    n = [nx / len, ny / len, nz / len];
    hit.cls = CLASS.mouth;
    hit.material = "mouth";
  } else {
    n = best.kind === 1 ? s.clip!.n.map((v) => -v) : solidNormal(s, p);
    hit.cls = s.cls;
    hit.material = s.material;
    if (s.material === "skin" && best.part === PART.head) {
      const painted = paintedClass(p, body.eyeClosure);
      if (painted === CLASS.eyes) {
        hit.cls = painted;
        hit.material = "eye";
      } else if (painted === CLASS.brows) {
        hit.cls = painted;
        hit.material = "brow";
      } else if (painted === EYELID) hit.material = "lid"; // skin class, a lid's colour
    }
  }
  const R = best.part === PART.head ? body.headR : best.part === PART.torso ? body.torsoR : null;
  if (R) {
    hit.n[0] = R[0] * n[0] + R[1] * n[1] + R[2] * n[2];
    hit.n[1] = R[3] * n[0] + R[4] * n[1] + R[5] * n[2];
    hit.n[2] = R[6] * n[0] + R[7] * n[1] + R[8] * n[2];
  } else hit.n.set(n);
  // face the viewer (clip faces and cavity walls may be seen from either side)
  if (hit.n[0] * d[0] + hit.n[1] * d[1] + hit.n[2] * d[2] > 0) {
    for (let k = 0; k < 3; k++) hit.n[k] = -hit.n[k];
  }
  return true;
}

/**
 * Casts a ray in the head's own coordinates through the head solids only (no neck or torso): used to put
 * landmarks on the head's surface from a frontal, orthographic view.
 * @param body The frame's solids.
 * @param x Canonical x of the ray (it runs from z = +5 along -z).
 * @param y Canonical y of the ray.
 * @param hit Record to fill (`p` in head coordinates; `n` is not set).
 * @returns Whether the head was hit.
 */
export function castFrontal(body: FrameBody, x: number, y: number, hit: Hit): boolean {
  hit.t = Infinity;
  best.solid = null;
  po[0] = x;
  po[1] = y;
  po[2] = 5;
  pd[0] = 0;
  pd[1] = 0;
  pd[2] = -1;
  scanPart(body.head, PART.head, hit, body.cavity !== null, body);
  const s = best.solid as Solid | null;
  if (!s) {
    hit.cls = CLASS.background;
    hit.material = "";
    hit.part = -1;
    return false;
  }
  hit.p[0] = x;
  hit.p[1] = y;
  hit.p[2] = 5 - hit.t;
  hit.part = PART.head;
  if (best.kind === 2) {
    hit.cls = CLASS.mouth;
    hit.material = "mouth";
  } else {
    hit.cls = s.cls;
    hit.material = s.material;
    if (s.material === "skin") {
      const painted = paintedClass(hit.p, body.eyeClosure);
      if (painted >= 0) {
        hit.cls = painted;
        hit.material = painted === CLASS.eyes ? "eye" : "brow";
      }
    }
  }
  return true;
}
