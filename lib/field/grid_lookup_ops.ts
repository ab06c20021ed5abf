/**
 * The tri-plane lookup built from tfjs ops, for the webgpu backend (grid_lookup.ts routes there): cell
 * coordinates and bilinear weights by tf ops, the hashed corner rows by a small WGSL program, rows read
 * with tf.gather, so tfjs' autodiff gives both gradients and no data crosses to the CPU.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type GridLevel, HASH_PRIMES } from "./grid_levels.ts";
import { checkLookupArgs, TRIPLANE_AXES } from "./triplane_layout.ts";

/**
 * The same lookup as `triplaneLookup` (grid_lookup.ts), built from tfjs ops so it runs where the data is (the
 * webgpu backend uses it; it runs on any backend, which is how it is tested against the JS kernel):
 * per level, s = clamp((x + 1) / 2, 0, 1) N_l for the three coordinates, cell corners
 * c = min(floor(s), N_l - 1), fractions w = s - c; per plane, the four corner rows (dense: j (N + 1) + i;
 * hashed: instant-ngp's hash, see {@linkcode hashedCornerRows}), their table rows read with tf.gather and
 * weighted by the bilinear weights. Gradients come from autodiff: tf.gather's gradient is the scatter-add
 * into the table (a segment sum), and the position gradient flows through w (floor has gradient 0, the
 * clamp passes it only inside [-1, 1]), as in the JS kernel.
 *
 * Numerics: the corner choice is the JS kernel's except where s lands within a float32 rounding of an
 * integer (the JS kernel computes s in float64); the interpolated value is continuous there, so forward
 * values agree to float32 rounding, and the position gradient may take the neighbouring cell's slope.
 * On webgpu the table gradient is summed with atomic adds in an order that varies between runs (last-bit
 * differences). Needs the backend's gather gradient (UnsortedSegmentSum: webgpu and cpu have it, wasm
 * does not, which is why wasm keeps the JS kernel).
 * @param xyz Positions, [n, 3].
 * @param tables 3 L tables, plane-major, as for `triplaneLookup` (grid_lookup.ts).
 * @param levels Geometry of the L levels.
 * @returns Features, [n, 3 L F].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { triplaneLookupTensorOps } from "./grid_lookup_ops.ts";
 * const level = { resolution: 1, tableSize: 4, hashed: false };
 * const table = tf.tensor2d([0, 1, 2, 3], [4, 1]);
 * const out = triplaneLookupTensorOps(tf.tensor2d([[0, 0, 0]]), [table, table, table], [level]);
 * assertAlmostEquals(out.dataSync()[0], 1.5, 1e-6); // centre of the cell: the mean of its 4 vertices
 * ```
 */
export function triplaneLookupTensorOps(
  xyz: tf.Tensor2D,
  tables: readonly tf.Tensor2D[],
  levels: readonly GridLevel[],
): tf.Tensor2D {
  if (xyz.rank !== 2 || xyz.shape[1] !== 3) {
    throw new Error(`grid_lookup.ts: positions must be [n, 3]: got [${xyz.shape}]`);
  }
  checkLookupArgs(xyz.shape[0], xyz.size, tables, levels);
  const L = levels.length;
  return tf.tidy(() => {
    const unit = tf.clipByValue(tf.mul(tf.add(xyz, 1), 0.5), 0, 1);
    const perPlane: tf.Tensor2D[][] = [[], [], []];
    levels.forEach((level, l) => {
      const N = level.resolution;
      const s = tf.mul(unit, N);
      const corner = tf.minimum(tf.floor(s), N - 1); // no gradient: floor's is 0
      const frac = tf.split(tf.sub(s, corner), 3, 1) as tf.Tensor2D[]; // w_x, w_y, w_z, each [n, 1]
      const cells = tf.split(corner, 3, 1) as tf.Tensor2D[];
      TRIPLANE_AXES.forEach(([a, b], p) => {
        const rows = cornerRows(cells[a], cells[b], level); // [4 n] int32, corner-major
        const wu = frac[a], wv = frac[b];
        const ou = tf.sub(1, wu), ov = tf.sub(1, wv);
        // Corner order of `rows`: (i0, j0), (i0 + 1, j0), (i0, j0 + 1), (i0 + 1, j0 + 1), each a block of n.
        const weights = tf.concat([tf.mul(ou, ov), tf.mul(wu, ov), tf.mul(ou, wv), tf.mul(wu, wv)], 0);
        perPlane[p].push(bilinear(tables[p * L + l], rows, weights as tf.Tensor2D));
      });
    });
    return tf.concat(perPlane.flat(), 1) as tf.Tensor2D;
  });
}

/**
 * sum_c weights[c] table[rows[c]] over the four corners c: [n, F], differentiable w.r.t. the table and the
 * weights. Rows and weights are corner-major ([4 n]: the n rows of corner 0, then corner 1, ...), so the
 * sum over corners adds four contiguous blocks (a reduction over a middle axis of [n, 4, F] took 8x longer
 * on webgpu). The rows reach the op through the closure, not as an input: they depend on the positions
 * (through floor), and tfjs rejects the int32 zero that tf.gather's gradient gives its indices when they
 * lie on the path from a differentiated input. dT is the segment sum of dY w into the rows,
 * dW = <table[rows], dY>.
 * @param table [T, F].
 * @param rows [4 n] int32.
 * @param weights [4 n, 1].
 */
function bilinear(table: tf.Tensor2D, rows: tf.Tensor1D, weights: tf.Tensor2D): tf.Tensor2D {
  const n = rows.shape[0] / 4, F = table.shape[1];
  const tableSize = table.shape[0];
  const sumCorners = (x: tf.Tensor) => tf.addN(tf.split(x.reshape([4, n * F]), 4, 0)).reshape([n, F]);
  const op = tf.customGrad((t, w, save) => {
    const corners = tf.gather(t as tf.Tensor2D, rows); // [4 n, F]
    (save as tf.GradSaveFunc)([corners, w as tf.Tensor, rows]);
    return {
      value: sumCorners(tf.mul(corners, w as tf.Tensor)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [c, ws, rs] = saved;
        const dy4 = tf.tile(dy.reshape([1, n * F]), [4, 1]).reshape([4 * n, F]);
        return [
          tf.unsortedSegmentSum(tf.mul(dy4, ws), rs as tf.Tensor1D, tableSize),
          // The sum over F as F column slices added: a reduction over a short last axis (or a matMul with
          // a ones column) runs one workgroup per row on webgpu, ~15x slower here.
          F === 1 ? tf.mul(c, dy4) : tf.addN(tf.split(tf.mul(c, dy4), F, 1)),
        ];
      },
    };
  });
  return op(table, weights) as tf.Tensor2D;
}

/** The four corner rows of cells (i0, j0) of a level, [4 n] int32 corner-major; i0, j0 are [n, 1]. */
function cornerRows(i0: tf.Tensor2D, j0: tf.Tensor2D, level: GridLevel): tf.Tensor1D {
  if (level.hashed) return hashedCornerRows(tf.concat([i0, j0], 1), level.tableSize);
  // Dense: exact in float32 while rows < 2^24 (a dense table that large would take >= 64 MiB per feature).
  if (level.tableSize > 2 ** 24) {
    throw new Error(`grid_lookup.ts: a dense level of ${level.tableSize} rows is over 2^24 rows`);
  }
  const stride = level.resolution + 1;
  const r00 = tf.add(tf.mul(j0, stride), i0);
  return tf.concat([r00, tf.add(r00, 1), tf.add(r00, stride), tf.add(r00, stride + 1)], 0)
    .reshape([-1]).toInt() as tf.Tensor1D;
}

/** The part of the webgpu backend's program interface used here (see tfjs-backend-webgpu's WebGPUProgram). */
interface GpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  getUserCode: () => string;
}

interface GpuBackend {
  runWebGPUProgram(
    program: GpuProgram,
    inputs: tf.TensorInfo[],
    dtype: "int32",
    uniforms: { type: "int32"; data: number[] }[],
  ): tf.TensorInfo;
}

const HASH_WORKGROUP = 64;

/**
 * Rows of the four corners (i0 + di, j0 + dj) under instant-ngp's spatial hash (Mueller et al. 2022:
 * (i XOR j pi_2) mod 2^k, pi_2 = 2654435761, in wrapping 32-bit arithmetic; see `grid_levels.ts`), as an
 * int32 [4 n] tensor, corner-major. tfjs has no XOR nor wrapping multiply on the GPU, so on webgpu it is a WGSL
 * program (u32 arithmetic wraps); elsewhere the cells are read and hashed in JS.
 * @param cells [n, 2] float32 cell corners (i0, j0), integer-valued.
 * @param tableSize The level's table size (a power of two).
 * @returns [4 n] int32 rows, corner-major.
 */
function hashedCornerRows(cells: tf.Tensor2D, tableSize: number): tf.Tensor1D {
  const n = cells.shape[0];
  const mask = tableSize - 1;
  if (tf.getBackend() === "webgpu") {
    const program: GpuProgram = {
      variableNames: ["cells"],
      outputShape: [4 * n],
      shaderKey: "ssp_triplane_hash_corners",
      dispatchLayout: { x: [0] },
      dispatch: [Math.ceil(n / HASH_WORKGROUP), 1, 1],
      workgroupSize: [HASH_WORKGROUP, 1, 1],
      uniforms: "mask : i32,",
      getUserCode: () => `
        fn main(index : i32) {
          let n = uniforms.cellsShape[0];
          if (index < n) {
            let i = u32(cells[2 * index]);
            let j = u32(cells[2 * index + 1]);
            let m = u32(uniforms.mask);
            let h0 = j * ${HASH_PRIMES[1]}u;
            let h1 = (j + 1u) * ${HASH_PRIMES[1]}u;
            result[index] = i32((i ^ h0) & m);
            result[n + index] = i32(((i + 1u) ^ h0) & m);
            result[2 * n + index] = i32((i ^ h1) & m);
            result[3 * n + index] = i32(((i + 1u) ^ h1) & m);
          }
        }`,
    };
    const info = (tf.backend() as unknown as GpuBackend).runWebGPUProgram(program, [cells], "int32", [
      { type: "int32", data: [mask] },
    ]);
    return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor1D;
  }
  const c = cells.dataSync();
  const rows = new Int32Array(4 * n);
  const prime = HASH_PRIMES[1];
  for (let q = 0; q < n; q++) {
    const i = c[2 * q], j = c[2 * q + 1];
    const h0 = Math.imul(j, prime), h1 = Math.imul(j + 1, prime);
    rows[q] = (i ^ h0) & mask;
    rows[n + q] = ((i + 1) ^ h0) & mask;
    rows[2 * n + q] = (i ^ h1) & mask;
    rows[3 * n + q] = ((i + 1) ^ h1) & mask;
  }
  return tf.tensor1d(rows, "int32");
}
