/**
 * Multi-resolution tri-plane lookup as one custom tfjs op, computed in plain JS on typed arrays.
 *
 * A point x in [-1, 1]^3 is projected onto three axis-aligned planes (xy, yz, xz, as the tri-planes of
 * EG3D / K-Planes and ER-NeRF, Li et al. 2023); on each plane and at each level l of resolution N_l the
 * features are bilinearly interpolated from the four vertices around the projected point, read from the
 * level's table (dense, or instant-ngp's spatial hash for large levels: see `grid_levels.ts`).
 *
 * Why not tf ops: tf.gather is slow on the wasm backend and has no gradient there (docs/speed.md; measured: 211 ms for
 * 262k rows against 45 ms in JS). Here the four vertex rows and the bilinear weights of every
 * (point, plane, level) are computed once in the forward pass, kept for the backward pass, and the table
 * gradient is a scatter-add of dY * weight into a zeroed table-sized output (on wasm, in tfjs' own memory).
 *
 * The op is a registered tfjs kernel ("SspTriplaneLookup", registered on first use for the active backend)
 * with a registered gradient, so `tf.grad` / `tf.variableGrads` treat it like any built-in op and the
 * tables can be tf.Variables. A registered gradient (rather than `tf.customGrad`, which computes every
 * input's gradient eagerly) hands tfjs one thunk per input, and tfjs calls only those on the path to the
 * loss: the position gradient, ~20 ms of a 32k-point step, is skipped when the points are constants, as
 * they are when nothing in front of the grid is trained.
 *
 * On the webgpu backend the same lookup runs as tensor ops on the GPU ({@linkcode triplaneLookupTensorOps}:
 * cell coordinates and bilinear weights by tf ops, the hashed corner rows by a small WGSL program, rows
 * read with tf.gather), so tfjs' autodiff gives both gradients and no data crosses to the CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type GridLevel, HASH_PRIMES } from "./grid_levels.ts";
import { triplaneLookupTensorOps } from "./grid_lookup_ops.ts";
import { checkLookupArgs, TRIPLANE_AXES, triplaneFeatureDim } from "./triplane_layout.ts";
import {
  type CallCache,
  heapBackend,
  type LookupCache,
  type ReadWriteBackend,
  returnCache,
  type SavedTable,
  takeCache,
} from "./grid_lookup_memory.ts";

/** Name of the registered kernel and gradient. */
export const TRIPLANE_LOOKUP_KERNEL = "SspTriplaneLookup";

/** Points per block of the JS loops (output rows of a block stay in cache; measured 1024-4096 alike). */
const POINT_BLOCK = 2048;

/**
 * The forward pass in JS. Fills `out` ([n, 3 L F]) and, when given, the cache.
 * Per entry: u = clamp((x_a + 1) / 2, 0, 1) N, i0 = min(floor(u), N - 1), wu = u - i0 (same for v, j0, wv);
 * f = (1-wu)(1-wv) T[r00] + wu(1-wv) T[r10] + (1-wu) wv T[r01] + wu wv T[r11], evaluated as two lerps
 * along u and one along v (the same bilinear form, 3 multiplications per feature instead of 4 + 4).
 * Speed (measured here, 262k points on rays, L = 8, F = 2): 34 ms with the clamped coordinates computed
 * once per point, integer truncation (u >= 0) for floor and F = 2 unrolled, against 68 ms before.
 */
function forwardJs(
  xyz: Float32Array,
  n: number,
  tables: readonly Float32Array[],
  levels: readonly GridLevel[],
  F: number,
  out: Float32Array,
  cache: LookupCache | null,
): void {
  const L = levels.length;
  const D = 3 * L * F;
  const prime = HASH_PRIMES[1];
  // Clamped unit coordinates (x + 1) / 2 of a block of points, computed once for all planes and levels.
  const unit = new Float32Array(3 * POINT_BLOCK);
  // Points in blocks, so the block's output rows stay in cache while the 3 L tables are visited in turn.
  for (let start = 0; start < n; start += POINT_BLOCK) {
    const end = Math.min(n, start + POINT_BLOCK);
    const m = end - start;
    for (let q = 0; q < 3 * m; q++) {
      const c = (xyz[3 * start + q] + 1) * 0.5;
      unit[q] = c < 0 ? 0 : c > 1 ? 1 : c;
    }
    for (let p = 0; p < 3; p++) {
      const [a, b] = TRIPLANE_AXES[p];
      for (let l = 0; l < L; l++) {
        const N = levels[l].resolution;
        const last = N - 1;
        const hashed = levels[l].hashed;
        const mask = levels[l].tableSize - 1;
        const table = tables[p * L + l];
        const col = (p * L + l) * F;
        const entry0 = (p * L + l) * n;
        const stride = N + 1;
        for (let j = 0; j < m; j++) {
          const u = unit[3 * j + a] * N, v = unit[3 * j + b] * N;
          // u, v >= 0: truncation is floor.
          let i0 = u | 0, j0 = v | 0;
          if (i0 > last) i0 = last;
          if (j0 > last) j0 = last;
          const wu = u - i0, wv = v - j0;
          let r00: number, r10: number, r01: number, r11: number;
          if (hashed) {
            // instant-ngp's hash, inlined (grid_levels.ts: hashVertex2d): (i XOR j pi_2) mod 2^k.
            const h0 = Math.imul(j0, prime), h1 = Math.imul(j0 + 1, prime);
            r00 = (i0 ^ h0) & mask;
            r10 = ((i0 + 1) ^ h0) & mask;
            r01 = (i0 ^ h1) & mask;
            r11 = ((i0 + 1) ^ h1) & mask;
          } else {
            r00 = j0 * stride + i0;
            r10 = r00 + 1;
            r01 = r00 + stride;
            r11 = r01 + 1;
          }
          const o = (start + j) * D + col;
          if (F === 2) {
            const s00 = 2 * r00, s10 = 2 * r10, s01 = 2 * r01, s11 = 2 * r11;
            const a0 = table[s00] + wu * (table[s10] - table[s00]);
            const a1 = table[s00 + 1] + wu * (table[s10 + 1] - table[s00 + 1]);
            const b0 = table[s01] + wu * (table[s11] - table[s01]);
            const b1 = table[s01 + 1] + wu * (table[s11 + 1] - table[s01 + 1]);
            out[o] = a0 + wv * (b0 - a0);
            out[o + 1] = a1 + wv * (b1 - a1);
          } else {
            for (let f = 0; f < F; f++) {
              const t00 = table[r00 * F + f], t01 = table[r01 * F + f];
              const lo = t00 + wu * (table[r10 * F + f] - t00);
              const hi = t01 + wu * (table[r11 * F + f] - t01);
              out[o + f] = lo + wv * (hi - lo);
            }
          }
          if (cache) {
            const e = entry0 + start + j;
            cache.rows[4 * e] = r00;
            cache.rows[4 * e + 1] = r10;
            cache.rows[4 * e + 2] = r01;
            cache.rows[4 * e + 3] = r11;
            cache.frac[2 * e] = wu;
            cache.frac[2 * e + 1] = wv;
          }
        }
      }
    }
  }
}

/** dL/dtable for table k = p L + l: scatter-add of dY * bilinear weight into `g` (zeroed, tableSize F). */
function tableGradJs(
  k: number,
  dy: Float32Array,
  n: number,
  levels: readonly GridLevel[],
  F: number,
  cache: LookupCache,
  g: Float32Array,
): Float32Array {
  const L = levels.length;
  const D = 3 * L * F;
  const { rows, frac } = cache;
  const col = k * F;
  const entry0 = k * n;
  for (let i = 0; i < n; i++) {
    const e = entry0 + i;
    const wu = frac[2 * e], wv = frac[2 * e + 1];
    const w00 = (1 - wu) * (1 - wv), w10 = wu * (1 - wv), w01 = (1 - wu) * wv, w11 = wu * wv;
    const r00 = rows[4 * e] * F, r10 = rows[4 * e + 1] * F;
    const r01 = rows[4 * e + 2] * F, r11 = rows[4 * e + 3] * F;
    const o = i * D + col;
    for (let f = 0; f < F; f++) {
      const d = dy[o + f];
      g[r00 + f] += d * w00;
      g[r10 + f] += d * w10;
      g[r01 + f] += d * w01;
      g[r11 + f] += d * w11;
    }
  }
  return g;
}

/**
 * dL/dxyz: for each plane (axes a, b) and level, df/du = (1-wv)(T[r10] - T[r00]) + wv (T[r11] - T[r01]),
 * df/dv = (1-wu)(T[r01] - T[r00]) + wu (T[r11] - T[r10]), times du/dx_a = N / 2 (0 where x_a was clamped).
 */
function positionGradJs(
  dy: Float32Array,
  xyz: Float32Array,
  n: number,
  tables: readonly Float32Array[],
  levels: readonly GridLevel[],
  F: number,
  cache: LookupCache,
  g: Float32Array,
): Float32Array {
  const L = levels.length;
  const D = 3 * L * F;
  const { rows, frac } = cache;
  for (let start = 0; start < n; start += POINT_BLOCK) {
    const end = Math.min(n, start + POINT_BLOCK);
    for (let p = 0; p < 3; p++) {
      const [a, b] = TRIPLANE_AXES[p];
      for (let l = 0; l < L; l++) {
        const half = 0.5 * levels[l].resolution;
        const table = tables[p * L + l];
        const col = (p * L + l) * F;
        const entry0 = (p * L + l) * n;
        for (let i = start; i < end; i++) {
          const e = entry0 + i;
          const wu = frac[2 * e], wv = frac[2 * e + 1];
          const r00 = rows[4 * e] * F, r10 = rows[4 * e + 1] * F;
          const r01 = rows[4 * e + 2] * F, r11 = rows[4 * e + 3] * F;
          const o = i * D + col;
          let su = 0, sv = 0;
          for (let f = 0; f < F; f++) {
            const d = dy[o + f];
            const t00 = table[r00 + f], t10 = table[r10 + f], t01 = table[r01 + f], t11 = table[r11 + f];
            su += d * ((1 - wv) * (t10 - t00) + wv * (t11 - t01));
            sv += d * ((1 - wu) * (t01 - t00) + wu * (t11 - t10));
          }
          const xa = xyz[3 * i + a], xb = xyz[3 * i + b];
          if (xa >= -1 && xa <= 1) g[3 * i + a] += su * half;
          if (xb >= -1 && xb <= 1) g[3 * i + b] += sv * half;
        }
      }
    }
  }
  return g;
}

/**
 * Tri-plane multi-resolution features, differentiable w.r.t. the tables and the positions:
 *
 *   out[n, (p L + l) F + f] = sum_{c in 4 corners} w_c(u, v) T_{p,l}[row_l(c), f],
 *
 * with (u, v) = clamp((x_a + 1) / 2, 0, 1) N_l, clamp((x_b + 1) / 2, 0, 1) N_l for plane p of axes (a, b)
 * (xy, yz, xz), corners (i0 + di, j0 + dj), i0 = min(floor(u), N_l - 1), bilinear weights
 * w = (1-wu)(1-wv), wu(1-wv), (1-wu)wv, wu wv, and row_l the dense or hashed vertex row. The output is
 * plane-major: all levels of the xy plane, then yz, then xz; within a level its F features.
 *
 * Gradients: dL/dT is the scatter-add of dL/dout * w into each corner's row (exact). dL/dx is the analytic
 * derivative of the bilinear interpolation times N_l / 2; bilinear interpolation is continuous but only
 * piecewise smooth, so this derivative jumps across cell boundaries (along u it is constant inside a
 * cell), and it is 0 for a coordinate clamped outside [-1, 1].
 *
 * On wasm the kernel works on tfjs' own memory: it reads the points and tables and writes the features and
 * gradients where tfjs keeps them (no copies, and none of the ~40 MB of short-lived arrays per 32k-point
 * training step that made V8 collect garbage at every step). Elsewhere (cpu) it reads copies. The vertex
 * rows and weights are kept for the backward pass only while a gradient is being recorded (24 bytes per
 * point, plane and level), in arrays that the next recorded call reuses once the backward pass has read them.
 * @param xyz Positions, [n, 3], in about [-1, 1]^3 (clamped to the box).
 * @param tables 3 L tables, plane-major (xy levels 0..L-1, yz ..., xz ...), table (p, l) of shape
 *   [levels[l].tableSize, F]; usually tf.Variables.
 * @param levels Geometry of the L levels (see `gridLevels`).
 * @returns Features, [n, 3 L F].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { triplaneLookup } from "./grid_lookup.ts";
 * // One level of resolution 1 (2 x 2 vertices, dense), F = 1; every plane holds vertex values 0, 1, 2, 3
 * // at (i, j) = (0, 0), (1, 0), (0, 1), (1, 1). The point (0, 0, 0) sits at the centre of every plane.
 * const level = { resolution: 1, tableSize: 4, hashed: false };
 * const table = tf.tensor2d([0, 1, 2, 3], [4, 1]);
 * const out = triplaneLookup(tf.tensor2d([[0, 0, 0], [1, -1, -1]]), [table, table, table], [level]);
 * assertEquals(out.shape, [2, 3]);
 * const v = out.dataSync();
 * assertAlmostEquals(v[0], 1.5, 1e-6); // (0 + 1 + 2 + 3) / 4
 * // (1, -1, -1): xy at (i, j) = (1, 0) -> 1; yz at (0, 0) -> 0; xz at (1, 0) -> 1.
 * assertEquals(Array.from(v.slice(3)), [1, 0, 1]);
 * ```
 */
export function triplaneLookup(
  xyz: tf.Tensor2D,
  tables: readonly tf.Tensor2D[],
  levels: readonly GridLevel[],
): tf.Tensor2D {
  // On a GPU the JS kernel would copy the tables and points to the CPU and back at every call (and
  // synchronous reads of GPU tensors throw in Deno): there the lookup is built from tensor ops instead
  // (which check their arguments the same way).
  if (tf.getBackend() === "webgpu") return triplaneLookupTensorOps(xyz, tables, levels);
  if (xyz.rank !== 2 || xyz.shape[1] !== 3) {
    throw new Error(`grid_lookup.ts: positions must be [n, 3]: got [${xyz.shape}]`);
  }
  const F = checkLookupArgs(xyz.shape[0], xyz.size, tables, levels);
  ensureKernel();
  const inputs: tf.NamedTensorMap = { xyz };
  tables.forEach((t, k) => inputs[`t${k}`] = t);
  // Only a recorded gradient needs the cache; a forward-only call (rendering) skips its allocation.
  const call: LookupCall = { levels, F, keep: tf.engine().state.gradientDepth > 0 };
  return tf.engine().runKernel(TRIPLANE_LOOKUP_KERNEL, inputs, { call } as unknown as tf.NamedAttrMap);
}

/**
 * Per-call data carried by the kernel's attrs: the level geometry in, and what the forward pass keeps for
 * the gradient out (the same attrs object reaches the registered gradient through the tape).
 */
interface LookupCall {
  readonly levels: readonly GridLevel[];
  readonly F: number;
  /** Whether to keep the cache (a gradient is being recorded). */
  readonly keep: boolean;
  saved?: { readonly tables: SavedTable[]; readonly cache: CallCache };
}

const lookupKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const call = (attrs as unknown as { call: LookupCall }).call;
  const { levels, F } = call;
  const be = backend as ReadWriteBackend;
  const info = (name: string) => inputs[name] as tf.TensorInfo;
  const n = info("xyz").shape[0];
  const D = triplaneFeatureDim(levels.length, F);
  const entries = 3 * levels.length * n;
  const tableInfos = Array.from({ length: 3 * levels.length }, (_, k) => info(`t${k}`));
  const cache = call.keep ? takeCache(n, entries) : null;
  const heap = heapBackend(backend);
  const read = (t: tf.TensorInfo) => be.readSync(t.dataId) as Float32Array;
  if (heap) {
    // The output first: allocating may grow the memory, which detaches earlier views.
    const outInfo = heap.makeOutput([n, D], "float32");
    const out = heap.typedArrayFromHeap(outInfo);
    const xyz = heap.typedArrayFromHeap(info("xyz"));
    forwardJs(xyz, n, tableInfos.map((t) => heap.typedArrayFromHeap(t)), levels, F, out, cache);
    if (cache) {
      cache.xyz.set(xyz);
      call.saved = { tables: tableInfos.map((t) => t instanceof tf.Variable ? t : read(t)), cache };
    }
    return outInfo;
  }
  const xyz = read(info("xyz"));
  const tables = tableInfos.map(read);
  const out = new Float32Array(n * D);
  forwardJs(xyz, n, tables, levels, F, out, cache);
  if (cache) {
    cache.xyz.set(xyz);
    call.saved = { tables, cache };
  }
  return { dataId: be.write(out, [n, D], "float32"), shape: [n, D], dtype: "float32" };
};

const lookupGradient: tf.GradFunc = (dy, _saved, attrs) => {
  const call = (attrs as unknown as { call: LookupCall }).call;
  const saved = call.saved;
  if (!saved) throw new Error("grid_lookup.ts: the lookup was run without recording its gradient");
  call.saved = undefined;
  const { levels, F } = call;
  const L = levels.length;
  const { cache } = saved;
  const n = cache.frac.length / (6 * L);
  // tfjs calls the thunks below in this same synchronous backward pass, before any later forward call
  // can take the cache again.
  returnCache(cache);
  const heap = heapBackend(tf.backend());
  // One gradient: `shape` zeroed, filled by `fill` from dY, the points and the tables (read after the
  // output is allocated, on wasm in place).
  const gradient = (
    shape: [number, number],
    fill: (g: Float32Array, dy: Float32Array, xyz: () => Float32Array, tables: () => Float32Array[]) => void,
  ): tf.Tensor => {
    if (heap) {
      const outInfo = heap.makeOutput(shape, "float32");
      const g = heap.typedArrayFromHeap(outInfo);
      g.fill(0);
      const tables = () =>
        saved.tables.map((t) => t instanceof Float32Array ? t : heap.typedArrayFromHeap(t));
      fill(g, heap.typedArrayFromHeap(dy as tf.Tensor), () => cache.xyz, tables);
      return tf.engine().makeTensorFromTensorInfo(outInfo);
    }
    if (saved.tables.some((t) => !(t instanceof Float32Array))) {
      throw new Error("grid_lookup.ts: the backend changed between the forward and the backward pass");
    }
    const g = new Float32Array(shape[0] * shape[1]);
    const dyValues = (dy as tf.Tensor).dataSync() as Float32Array;
    fill(g, dyValues, () => cache.xyz, () => saved.tables as Float32Array[]);
    return tf.tensor2d(g, shape);
  };
  const grads: Record<string, () => tf.Tensor> = {
    xyz: () =>
      gradient([n, 3], (g, d, xyz, tables) => positionGradJs(d, xyz(), n, tables(), levels, F, cache, g)),
  };
  for (let k = 0; k < 3 * L; k++) {
    grads[`t${k}`] = () =>
      gradient([levels[k % L].tableSize, F], (g, d) => tableGradJs(k, d, n, levels, F, cache, g));
  }
  return grads;
};

/** Registers the kernel for the active backend (once per backend) and the gradient (once). */
function ensureKernel(): void {
  const backendName = tf.getBackend();
  if (!tf.getKernel(TRIPLANE_LOOKUP_KERNEL, backendName)) {
    tf.registerKernel({ kernelName: TRIPLANE_LOOKUP_KERNEL, backendName, kernelFunc: lookupKernel });
  }
  if (!tf.getGradient(TRIPLANE_LOOKUP_KERNEL)) {
    tf.registerGradient({ kernelName: TRIPLANE_LOOKUP_KERNEL, gradFunc: lookupGradient });
  }
}
