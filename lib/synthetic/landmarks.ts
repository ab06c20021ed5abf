/**
 * The 68 facial landmarks of the synthetic portrait, in the iBUG 300-W order (0-16 jaw, 17-26 brows,
 * 27-35 nose, 36-47 eyes, 48-59 outer lips, 60-67 inner lips), as 3-D points on the model's surfaces.
 *
 * Each landmark is found in a frontal, orthographic view of the head in its own coordinates: a point of
 * the view is chosen (on a feature's painted outline, or by walking from a feature's centre to the edge of
 * its class), and the head surface under it is the landmark. So the points lie on the skin, lips, eyes
 * and brows, move with the mouth, and follow every head pose.
 * @module
 */
import { browAt, CLASS, eyeOpening, EYES, type FrameBody } from "./body.ts";
import { castFrontal, castRay, newHit } from "./cast.ts";
import type { PortraitScene } from "./scene.ts";

/** Landmarks of one frame. */
export interface FrameLandmarks {
  /** 68 x 3 points in canonical head coordinates. */
  readonly canonical: Float64Array;
  /** 68 x 3 points in the camera frame. */
  readonly camera: Float64Array;
  /** 68 x 2 pixel coordinates (x right, y down; the centre of pixel (u, v) is (u + 0.5, v + 0.5)). */
  readonly pixels: Float32Array;
  /** 1 where the point is seen by the camera, 0 where another surface hides it. */
  readonly visible: Uint8Array;
}

const hit = newHit();

function classAt(body: FrameBody, x: number, y: number): number {
  return castFrontal(body, x, y, hit) ? hit.cls : CLASS.background;
}

/**
 * Walks from (x0, y0) along (dx, dy) (unit) and returns the distance of the last (`outer`) or first
 * point of class `cls`, moved `margin` into the class; undefined when the class is never met.
 */
function walk(
  body: FrameBody,
  cls: number,
  x0: number,
  y0: number,
  dx: number,
  dy: number,
  rMax: number,
  outer: boolean,
  margin: number,
): number | undefined {
  const step = 0.004;
  let first: number | undefined, last: number | undefined;
  for (let r = 0; r <= rMax; r += step) {
    if (classAt(body, x0 + r * dx, y0 + r * dy) === cls) {
      first ??= r;
      last = r;
    } else if (!outer && first !== undefined) break;
  }
  if (first === undefined || last === undefined) return undefined;
  return outer ? Math.max(first, last - margin) : Math.min(last, first + margin);
}

/** (x, y) of the 68 points in the frontal view of the head. */
function frontalPoints(body: FrameBody): Float64Array {
  const xy = new Float64Array(136);
  const put = (i: number, x: number, y: number) => {
    xy[2 * i] = x;
    xy[2 * i + 1] = y;
  };
  // jaw: outermost face skin on rays from the middle of the face, sweeping from the left side (image
  // left, x < 0) down under the chin to the right side
  const jx = 0, jy = 0.1;
  for (let k = 0; k <= 16; k++) {
    const phi = Math.PI + (k * Math.PI) / 16;
    const dx = Math.cos(phi), dy = Math.sin(phi);
    const r = walk(body, CLASS.skin, jx, jy, dx, dy, 1.4, true, 0.03) ?? 0;
    put(k, jx + r * dx, jy + r * dy);
  }
  // brows: along the painted centre line, outer to inner on the left, inner to outer on the right
  const us = [0.9, 0.7, 0.5, 0.3, 0.1];
  us.forEach((u, i) => {
    const ax = 0.13 + 0.34 * u;
    put(17 + i, -ax, browAt(ax)!.y);
    put(26 - i, ax, browAt(ax)!.y);
  });
  // nose bridge top to tip, then the lower edge of the nose, left to right
  [0.2, 0.09, -0.02, -0.13].forEach((y, i) => put(27 + i, 0, y));
  [-0.12, -0.06, 0, 0.06, 0.12].forEach((x, i) => {
    const r = walk(body, CLASS.nose, x, -0.17, 0, -1, 0.15, true, 0.015) ?? 0;
    put(31 + i, x, -0.17 - r);
  });
  // eyes: on the painted almond, shrunk towards the middle of the opening so the points stay inside the
  // eye; the lids close the opening, and at closure 1 the upper and lower points meet
  const closure = body.eyeClosure;
  for (const [base, cx] of [[36, -EYES.x], [42, EYES.x]] as const) {
    const hw = EYES.halfWidth;
    const corner = eyeOpening(0.85, closure), mid = eyeOpening(0.35, closure);
    const cc = (corner.lower + corner.upper) / 2, mc = (mid.lower + mid.upper) / 2;
    const lid = 0.7 * (mid.upper - mid.lower) / 2;
    put(base, cx - 0.85 * hw, EYES.y + cc);
    put(base + 1, cx - 0.35 * hw, EYES.y + mc + lid);
    put(base + 2, cx + 0.35 * hw, EYES.y + mc + lid);
    put(base + 3, cx + 0.85 * hw, EYES.y + cc);
    put(base + 4, cx + 0.35 * hw, EYES.y + mc - lid);
    put(base + 5, cx - 0.35 * hw, EYES.y + mc - lid);
  }
  // lips: from the middle of the opening, the outer edge (last lip point) and the inner edge (first lip
  // point), on directions spread over the mouth's wide ellipse
  const c = body.cavity;
  const my = body.mouthY + (c ? (c.up - c.down) / 2 : 0);
  const dir = (deg: number) => {
    const a = (deg * Math.PI) / 180;
    const x = Math.cos(a) * body.mouthW, y = Math.sin(a) * 0.1;
    const n = Math.hypot(x, y);
    return [x / n, y / n] as const;
  };
  const outerDeg = [180, 150, 120, 90, 60, 30, 0, -30, -60, -90, -120, -150];
  outerDeg.forEach((deg, i) => {
    const [dx, dy] = dir(deg);
    const r = walk(body, CLASS.lips, 0, my, dx, dy, 0.4, true, 0.012) ?? 0;
    put(48 + i, r * dx, my + r * dy);
  });
  // inner corners sit just inside the outer ones
  put(60, xy[96] + 0.02, xy[97]);
  put(64, xy[108] - 0.02, xy[109]);
  const innerDeg: [number, number][] = [[61, 120], [62, 90], [63, 60], [65, -60], [66, -90], [67, -120]];
  for (const [i, deg] of innerDeg) {
    const [dx, dy] = dir(deg);
    const r = walk(body, CLASS.lips, 0, my, dx, dy, 0.4, false, 0.008) ?? 0;
    put(i, r * dx, my + r * dy);
  }
  return xy;
}

/**
 * Computes the 68 landmarks of a frame: canonical 3-D points on the head surface, their camera-frame
 * positions R X + t, their pixel coordinates, and whether the camera sees them.
 * Projection: x = cx + f X / (-Z), y = cy - f Y / (-Z).
 * @param scene Camera.
 * @param body The frame's body.
 * @returns The landmarks.
 */
export function frameLandmarks(scene: PortraitScene, body: FrameBody): FrameLandmarks {
  const xy = frontalPoints(body);
  const canonical = new Float64Array(204);
  const camera = new Float64Array(204);
  const pixels = new Float32Array(136);
  const visible = new Uint8Array(68);
  const R = body.headR, T = body.headT;
  const seen = newHit();
  for (let i = 0; i < 68; i++) {
    const x = xy[2 * i], y = xy[2 * i + 1];
    // castFrontal cannot miss on these points; the fallback keeps a point on the front of the head
    const z = castFrontal(body, x, y, hit) ? hit.p[2] : 0.8;
    canonical.set([x, y, z], 3 * i);
    const X = R[0] * x + R[1] * y + R[2] * z + T[0];
    const Y = R[3] * x + R[4] * y + R[5] * z + T[1];
    const Z = R[6] * x + R[7] * y + R[8] * z + T[2];
    camera.set([X, Y, Z], 3 * i);
    pixels[2 * i] = scene.cx + (scene.focal * X) / -Z;
    pixels[2 * i + 1] = scene.cy - (scene.focal * Y) / -Z;
    castRay(body, [0, 0, 0], [X / -Z, Y / -Z, -1], seen);
    visible[i] = seen.t >= -Z - 0.03 ? 1 : 0;
  }
  return { canonical, camera, pixels, visible };
}
