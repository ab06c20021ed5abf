/**
 * Head-pose paths for rendering: the jitter measure, a smoothing that averages rotations properly, and
 * pose files.
 *
 * Pose file (`--poses FILE.json`): one head pose per rendered frame, in the dataset's convention (the
 * `euler` and `trans` of `transforms_*.json`: R = Rx(a) Ry(b) Rz(c) in radians, head point X -> R X + t,
 * camera c2w = [R^T | -R^T t]):
 * ```json
 * {"poses": [{"euler": [0.01, 0.10, 0.02], "trans": [0.0, 0.6, -12.1]}, ...]}
 * ```
 * @module
 */
import { angleBetween, nearestRotation } from "../preprocess/rotation.ts";
import { checkC2w, poseToC2w } from "./pose.ts";

/** One entry of a pose file: head rotation (radians) and translation. */
export interface PoseEntry {
  readonly euler: readonly [number, number, number];
  readonly trans: readonly [number, number, number];
}

/** Rotation block of a c2w matrix, 3x3 row-major. */
function rotationOf(c2w: ArrayLike<number>): Float64Array {
  return Float64Array.of(c2w[0], c2w[1], c2w[2], c2w[4], c2w[5], c2w[6], c2w[8], c2w[9], c2w[10]);
}

/**
 * Jitter of a pose path: the mean over consecutive frames of the geodesic angle between their rotations,
 * angle(R_i^T R_{i+1}) (the same for head and camera rotations, which are transposes), in degrees.
 * @param c2ws Camera-to-world matrices (4x4 row-major), in frame order.
 * @returns Degrees per frame; 0 for fewer than two poses.
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { poseToC2w } from "./pose.ts";
 * import { poseJitterDeg } from "./pose_path.ts";
 * const path = [0, 1, 3].map((d) => poseToC2w([0, (d * Math.PI) / 180, 0], [0, 0, -1]));
 * assertAlmostEquals(poseJitterDeg(path), 1.5, 1e-4); // steps of 1 and 2 degrees
 * ```
 */
export function poseJitterDeg(c2ws: readonly ArrayLike<number>[]): number {
  if (c2ws.length < 2) return 0;
  let sum = 0;
  let prev = rotationOf(c2ws[0]);
  for (let i = 1; i < c2ws.length; i++) {
    const cur = rotationOf(c2ws[i]);
    sum += angleBetween(prev, cur);
    prev = cur;
  }
  return (sum / (c2ws.length - 1)) * 180 / Math.PI;
}

/**
 * Smooths a pose path over a centred window of `window` frames (shrunk symmetrically near the ends, so
 * the first and last poses stay and a constant-speed turn keeps its speed): the head rotation of frame
 * i is the chordal L2 mean of the window's rotations (their arithmetic mean projected onto the nearest
 * rotation, i.e. re-orthonormalised), the head translation the window's mean.
 * @param c2ws Camera-to-world matrices in frame order.
 * @param window Odd number of frames >= 1 (1 returns copies).
 * @returns The smoothed c2w matrices.
 * @example
 * ```ts
 * import { assertLess } from "@std/assert";
 * import { poseToC2w } from "./pose.ts";
 * import { poseJitterDeg, smoothPosePath } from "./pose_path.ts";
 * // A head that shakes by +-1 degree every frame becomes (almost) still.
 * const path = Array.from({ length: 20 }, (_, i) => poseToC2w([0, ((i % 2) * 2 - 1) * Math.PI / 180, 0], [0, 0, -1]));
 * assertLess(poseJitterDeg(smoothPosePath(path, 5)), 0.5);
 * ```
 */
export function smoothPosePath(c2ws: readonly ArrayLike<number>[], window: number): Float32Array[] {
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
    throw new Error(`smoothPosePath: window must be an odd integer >= 1 (frames): got ${window}`);
  }
  c2ws.forEach((m, i) => {
    try {
      checkC2w(m);
    } catch (e) {
      throw new Error(`smoothPosePath: pose ${i}: ${e instanceof Error ? e.message : e}`);
    }
  });
  const n = c2ws.length;
  // Head rotation R = (c2w rotation)^T and translation t = -R c (c: camera centre).
  const heads = c2ws.map((m) => {
    const Rc = rotationOf(m);
    const R = Float64Array.of(Rc[0], Rc[3], Rc[6], Rc[1], Rc[4], Rc[7], Rc[2], Rc[5], Rc[8]);
    const c = [m[3], m[7], m[11]];
    const t = [0, 1, 2].map((r) => -(R[3 * r] * c[0] + R[3 * r + 1] * c[1] + R[3 * r + 2] * c[2]));
    return { R, t };
  });
  const half = (window - 1) / 2;
  return heads.map((_, i) => {
    const h = Math.min(half, i, n - 1 - i);
    const M = new Float64Array(9);
    const t = [0, 0, 0];
    for (let j = i - h; j <= i + h; j++) {
      for (let k = 0; k < 9; k++) M[k] += heads[j].R[k];
      for (let k = 0; k < 3; k++) t[k] += heads[j].t[k];
    }
    const R = nearestRotation(M);
    const tm = t.map((v) => v / (2 * h + 1));
    const out = new Float32Array(16);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) out[4 * r + c] = R[3 * c + r];
      out[4 * r + 3] = -(R[r] * tm[0] + R[3 + r] * tm[1] + R[6 + r] * tm[2]);
    }
    out[15] = 1;
    return out;
  });
}

/**
 * A recorded path stretched to `n` frames by going back and forth through it (no jump where it wraps).
 * @param path Poses in order (at least one).
 * @param n Frames wanted.
 * @returns `n` poses (the same objects, repeated).
 */
export function pingPong<T>(path: readonly T[], n: number): T[] {
  if (path.length === 0) throw new Error("pingPong: the path is empty: expected at least one pose");
  const period = Math.max(1, 2 * path.length - 2);
  return Array.from({ length: n }, (_, i) => {
    const j = i % period;
    return path[j < path.length ? j : period - j];
  });
}

const isTriple = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && Number.isFinite(x));

/**
 * Checks the parsed JSON of a pose file (format in the module doc).
 * @param json The parsed JSON.
 * @param file Names the file in errors.
 * @param expectedLength When given, the number of poses the file must hold (one per rendered frame).
 * @returns The poses.
 * @throws Naming the file, the entry and field, and what was expected.
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parsePoseFile } from "./pose_path.ts";
 * const json = { poses: [{ euler: [0, 0.1, 0], trans: [0, 0, -12] }] };
 * assertEquals(parsePoseFile(json, "p.json", 1)[0].euler, [0, 0.1, 0]);
 * assertThrows(() => parsePoseFile(json, "p.json", 3), Error, "p.json: has 1 poses: expected 3");
 * ```
 */
export function parsePoseFile(json: unknown, file: string, expectedLength?: number): PoseEntry[] {
  const poses = json && typeof json === "object" && !Array.isArray(json)
    ? (json as Record<string, unknown>).poses
    : undefined;
  if (!Array.isArray(poses)) {
    throw new Error(
      `${file}: expected an object {"poses": [{"euler": [a, b, c], "trans": [x, y, z]}, ...]}: ` +
        `${poses === undefined ? "no poses array" : `poses is ${typeof poses}`}`,
    );
  }
  if (expectedLength !== undefined && poses.length !== expectedLength) {
    throw new Error(
      `${file}: has ${poses.length} poses: expected ${expectedLength}, one per rendered frame`,
    );
  }
  if (poses.length === 0) throw new Error(`${file}: poses is empty: expected one pose per rendered frame`);
  return poses.map((p, i) => {
    if (!p || typeof p !== "object" || Array.isArray(p)) {
      throw new Error(`${file}: poses[${i}] must be an object {"euler": [a, b, c], "trans": [x, y, z]}`);
    }
    const { euler, trans } = p as Record<string, unknown>;
    if (!isTriple(euler)) {
      throw new Error(
        `${file}: poses[${i}].euler must be 3 finite angles in radians: got ${JSON.stringify(euler)}`,
      );
    }
    if (!isTriple(trans)) {
      throw new Error(`${file}: poses[${i}].trans must be 3 finite numbers: got ${JSON.stringify(trans)}`);
    }
    return { euler: [euler[0], euler[1], euler[2]], trans: [trans[0], trans[1], trans[2]] };
  });
}

/**
 * Reads a pose file and turns it into camera-to-world matrices.
 * @param path The JSON file (format in the module doc).
 * @param expectedLength When given, the number of poses required.
 * @returns One c2w per pose.
 */
export async function readPoseFile(path: string, expectedLength?: number): Promise<Float32Array[]> {
  let json: unknown;
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: cannot read the pose file as JSON: ${e instanceof Error ? e.message : e}`, {
      cause: e,
    });
  }
  return parsePoseFile(json, path, expectedLength).map((p) => poseToC2w(p.euler, p.trans));
}

/** A pose-path choice of `deno task render --poses`. */
export type PosePathSpec =
  | { readonly kind: "dataset" }
  | { readonly kind: "still" }
  | { readonly kind: "smooth"; readonly window: number }
  | { readonly kind: "file"; readonly path: string };

/**
 * Parses `dataset | still | smooth:<window> | FILE.json`.
 * @param text The option's value.
 * @returns The choice.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parsePosePathSpec } from "./pose_path.ts";
 * assertEquals(parsePosePathSpec("smooth:9"), { kind: "smooth", window: 9 });
 * assertEquals(parsePosePathSpec("my_path.json"), { kind: "file", path: "my_path.json" });
 * ```
 */
export function parsePosePathSpec(text: string): PosePathSpec {
  if (text === "dataset" || text === "still") return { kind: text };
  const m = /^smooth:(.*)$/.exec(text);
  if (m) {
    const w = Number(m[1]);
    if (!Number.isInteger(w) || w < 1 || w % 2 === 0) {
      throw new Error(
        `--poses smooth:<window>: the window must be an odd integer >= 1 (frames): got ${m[1]}`,
      );
    }
    return { kind: "smooth", window: w };
  }
  if (text.endsWith(".json")) return { kind: "file", path: text };
  throw new Error(`--poses must be dataset, still, smooth:<odd window> or a FILE.json: got ${text}`);
}

/** What {@linkcode resolvePosePath} gives: one c2w per frame, and the jitter of the path and of the path
 * it was smoothed from. */
export interface ResolvedPosePath {
  readonly poses: Float32Array[];
  /** {@linkcode poseJitterDeg} of `poses`. */
  readonly jitterDeg: number;
  /** For `smooth`: the jitter before smoothing. */
  readonly unsmoothedJitterDeg?: number;
}

/**
 * One pose per rendered frame for a `--poses` choice: `dataset` runs through `recorded` back and forth,
 * `still` holds its first pose, `smooth:<w>` smooths the `dataset` path ({@linkcode smoothPosePath}),
 * a file gives exactly `n` poses.
 * @param spec The choice (parsePosePathSpec).
 * @param recorded The dataset's pose path (c2w), in the order to play it.
 * @param n Frames to render.
 * @returns The poses and their jitter.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { poseToC2w } from "./pose.ts";
 * import { resolvePosePath } from "./pose_path.ts";
 * const recorded = [0, 1, 2].map((d) => poseToC2w([0, d / 57.3, 0], [0, 0, -1]));
 * const r = await resolvePosePath({ kind: "still" }, recorded, 4);
 * assertEquals([r.poses.length, r.jitterDeg], [4, 0]);
 * ```
 */
export async function resolvePosePath(
  spec: PosePathSpec,
  recorded: readonly Float32Array[],
  n: number,
): Promise<ResolvedPosePath> {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`resolvePosePath: n must be a positive integer: got ${n}`);
  }
  let poses: Float32Array[];
  let unsmoothedJitterDeg: number | undefined;
  switch (spec.kind) {
    case "dataset":
      poses = pingPong(recorded, n);
      break;
    case "still":
      poses = pingPong(recorded.slice(0, 1), n);
      break;
    case "smooth": {
      const base = pingPong(recorded, n);
      unsmoothedJitterDeg = poseJitterDeg(base);
      poses = smoothPosePath(base, spec.window);
      break;
    }
    case "file":
      poses = await readPoseFile(spec.path, n);
      break;
  }
  return {
    poses,
    jitterDeg: poseJitterDeg(poses),
    ...(unsmoothedJitterDeg !== undefined && { unsmoothedJitterDeg }),
  };
}
