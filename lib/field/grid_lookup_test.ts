import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import { type GridLevel, gridLevels } from "./grid_levels.ts";
import { triplaneLookup } from "./grid_lookup.ts";

await initBackend({ log: null });

// Two dense levels and one hashed level (N = 9: 100 vertices into 64 rows), F = 2.
const LEVELS: GridLevel[] = gridLevels({ levels: 3, baseResolution: 2, maxResolution: 9, log2HashSize: 6 });
const F = 2;
const PLANES = [[0, 1], [1, 2], [0, 2]];

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
}

function makeTables(seed: number): Float32Array[] {
  return Array.from(
    { length: 3 * LEVELS.length },
    (_, k) => uniform(LEVELS[k % LEVELS.length].tableSize * F, -1, 1, seed + k),
  );
}

/** Independent row of vertex (i, j): dense row-major, or the hash in BigInt arithmetic. */
function refRow(i: number, j: number, level: GridLevel): number {
  if (!level.hashed) return j * (level.resolution + 1) + i;
  return Number((BigInt(i) ^ ((BigInt(j) * 2654435761n) % (1n << 32n))) % BigInt(level.tableSize));
}

/**
 * Naive reference: f = sum over ALL vertices of tent(u - i) tent(v - j) T[row(i, j)], tent(t) = max(0, 1 - |t|),
 * with u, v clamped to [0, N]. Written without cells or corner bookkeeping.
 */
function naiveLookup(xyz: Float32Array, n: number, tables: Float32Array[]): Float64Array {
  const L = LEVELS.length, D = 3 * L * F;
  const out = new Float64Array(n * D);
  const tent = (t: number) => Math.max(0, 1 - Math.abs(t));
  for (let pt = 0; pt < n; pt++) {
    PLANES.forEach(([a, b], p) => {
      LEVELS.forEach((level, l) => {
        const N = level.resolution;
        const u = Math.min(N, Math.max(0, (xyz[3 * pt + a] + 1) / 2 * N));
        const v = Math.min(N, Math.max(0, (xyz[3 * pt + b] + 1) / 2 * N));
        for (let j = 0; j <= N; j++) {
          for (let i = 0; i <= N; i++) {
            const w = tent(u - i) * tent(v - j);
            if (w === 0) continue;
            const row = refRow(i, j, level);
            for (let f = 0; f < F; f++) {
              out[pt * D + (p * L + l) * F + f] += w * tables[p * L + l][row * F + f];
            }
          }
        }
      });
    });
  }
  return out;
}

function toTensors(tables: Float32Array[]): tf.Tensor2D[] {
  return tables.map((t, k) => tf.tensor2d(t, [LEVELS[k % LEVELS.length].tableSize, F]));
}

Deno.test("lookup equals a naive sum of tent-weighted vertices, per point, plane and level (clamped outside)", () => {
  const n = 50;
  const xyz = uniform(3 * n, -1.2, 1.2, 3); // some coordinates outside the box: clamped
  xyz.set([1, 1, 1, -1, -1, -1, 0, 0.5, -0.5], 0); // the box's corners and vertices exactly
  const tables = makeTables(10);
  const tt = toTensors(tables);
  const x = tf.tensor2d(xyz, [n, 3]);
  const out = triplaneLookup(x, tt, LEVELS);
  assertEquals(out.shape, [n, 3 * LEVELS.length * F]);
  const got = out.dataSync();
  const want = naiveLookup(xyz, n, tables);
  for (let k = 0; k < want.length; k++) assertAlmostEquals(got[k], want[k], 1e-5, `entry ${k}`);
  // The recorded path (with cache, under a gradient) computes the same values.
  const viaGrad = tf.grad((t: tf.Tensor) => {
    const o = triplaneLookup(x, [t as tf.Tensor2D, ...tt.slice(1)], LEVELS);
    assertEquals(Array.from(o.dataSync()), Array.from(got));
    return o.sum();
  })(tt[0]);
  tf.dispose([x, out, viaGrad, ...tt]);
});

Deno.test("table gradient equals a one-hot matMul built from tf ops and finite differences", () => {
  const n = 40;
  const xyz = uniform(3 * n, -1, 1, 5);
  const tables = makeTables(20);
  const tt = toTensors(tables);
  const L = LEVELS.length, D = 3 * L * F;
  const R = uniform(n * D, -1, 1, 7); // loss = sum(out * R)
  const x = tf.tensor2d(xyz, [n, 3]);
  const r = tf.tensor2d(R, [n, D]);
  const grads = tf.grads((...ts: tf.Tensor[]) =>
    tf.sum(tf.mul(triplaneLookup(x, ts as tf.Tensor2D[], LEVELS), r))
  )(tt);
  PLANES.forEach(([a, b], p) => {
    LEVELS.forEach((level, l) => {
      const k = p * L + l;
      // W[pt, row] = bilinear weight of table row `row` for point pt (hash collisions add up), then
      // out_k = W T_k, loss_k = sum(out_k * R_k): its tf gradient is W^T R_k.
      const N = level.resolution;
      const W = new Float32Array(n * level.tableSize);
      for (let pt = 0; pt < n; pt++) {
        const u = (xyz[3 * pt + a] + 1) / 2 * N, v = (xyz[3 * pt + b] + 1) / 2 * N;
        for (let j = 0; j <= N; j++) {
          for (let i = 0; i <= N; i++) {
            const w = Math.max(0, 1 - Math.abs(u - i)) * Math.max(0, 1 - Math.abs(v - j));
            W[pt * level.tableSize + refRow(i, j, level)] += w;
          }
        }
      }
      const ref = tf.tidy(() => {
        const w = tf.tensor2d(W, [n, level.tableSize]);
        const rk = tf.slice(r, [0, k * F], [n, F]);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.matMul(w, t as tf.Tensor2D), rk)))(tt[k]);
      });
      const g = grads[k].dataSync(), want = ref.dataSync();
      assertEquals(grads[k].shape, [level.tableSize, F]);
      for (let q = 0; q < want.length; q++) {
        assertAlmostEquals(g[q], want[q], 1e-4, `plane ${p} level ${l} [${q}]`);
      }
      ref.dispose();
      // Finite differences on a few entries (the loss is linear in the table, so a large step is exact).
      for (const q of [0, 3, want.length - 1]) {
        const eps = 0.25;
        const loss = (delta: number) =>
          tf.tidy(() => {
            const bumped = tables[k].slice();
            bumped[q] += delta;
            const ts = tt.slice();
            ts[k] = tf.tensor2d(bumped, tt[k].shape as [number, number]);
            return tf.sum(tf.mul(triplaneLookup(x, ts, LEVELS), r)).dataSync()[0];
          });
        assertAlmostEquals(
          (loss(eps) - loss(-eps)) / (2 * eps),
          g[q],
          2e-3,
          `FD plane ${p} level ${l} [${q}]`,
        );
      }
    });
  });
  tf.dispose([x, r, ...tt, ...grads]);
});

Deno.test("table gradients reach tf.Variables through tf.variableGrads", () => {
  const vars = makeTables(30).map((t, k) =>
    tf.variable(tf.tensor2d(t, [LEVELS[k % LEVELS.length].tableSize, F]))
  );
  const x = tf.tensor2d(uniform(60, -1, 1, 2), [20, 3]);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(triplaneLookup(x, vars, LEVELS))), vars);
  assertEquals(Object.keys(grads).length, vars.length);
  for (const v of vars) {
    assert(tf.any(tf.notEqual(grads[v.name], 0)).dataSync()[0], `${v.name} got no gradient`);
  }
  tf.dispose([value, x, ...Object.values(grads), ...vars]);
});

Deno.test("position gradient equals finite differences away from cell boundaries and is 0 when clamped", () => {
  const n = 30;
  const tables = makeTables(40);
  const tt = toTensors(tables);
  const L = LEVELS.length, D = 3 * L * F;
  const R = uniform(n * D, -1, 1, 9);
  const r = tf.tensor2d(R, [n, D]);
  const eps = 1e-3;
  // Points whose coordinates stay inside one cell of every level within +-eps.
  const xyz = new Float32Array(3 * n);
  const rng = createRng(11);
  for (let c = 0; c < 3 * n; c++) {
    let x: number;
    do x = 2 * rng.next() - 1; while (
      LEVELS.some(({ resolution: N }) => {
        const u = (x + 1) / 2 * N;
        return Math.abs(u - Math.round(u)) < 2 * eps * N;
      })
    );
    xyz[c] = x;
  }
  xyz[0] = 1.5; // clamped coordinate: zero derivative
  const x0 = tf.tensor2d(xyz, [n, 3]);
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(triplaneLookup(x as tf.Tensor2D, tt, LEVELS), r)))(x0);
  const gv = g.dataSync();
  assertEquals(gv[0], 0);
  // Each point's term of the loss depends on its own coordinates only: move coordinate c of every point
  // at once and difference the per-point terms (the clamped coordinate's difference is 0 as well).
  for (let c = 0; c < 3; c++) {
    const plus = xyz.slice(), minus = xyz.slice();
    for (let pt = 0; pt < n; pt++) {
      plus[3 * pt + c] += eps;
      minus[3 * pt + c] -= eps;
    }
    const perPoint = (pts: Float32Array) =>
      tf.tidy(() => tf.sum(tf.mul(triplaneLookup(tf.tensor2d(pts, [n, 3]), tt, LEVELS), r), 1).dataSync());
    const lp = perPoint(plus), lm = perPoint(minus);
    for (let pt = 0; pt < n; pt++) {
      const fd = (lp[pt] - lm[pt]) / (2 * eps);
      assertAlmostEquals(gv[3 * pt + c], fd, 2e-2 * (1 + Math.abs(fd)), `point ${pt} axis ${c}`);
    }
  }
  tf.dispose([r, x0, g, ...tt]);
});

Deno.test("reused arrays: two recorded lookups before one backward pass, an intermediate position tensor and tables disposed by a tidy, repeated steps bit for bit", () => {
  const vars = makeTables(60).map((t, k) =>
    tf.variable(tf.tensor2d(t, [LEVELS[k % LEVELS.length].tableSize, F]))
  );
  const a = tf.tensor2d(uniform(60, -1, 1, 5), [20, 3]);
  const b = tf.tensor2d(uniform(21, -1, 1, 6), [7, 3]);
  const shift = tf.variable(tf.tensor1d([0.01, -0.02, 0.03]));
  const params = [shift, ...vars];
  // Points computed inside the loss (x + shift: freed by tidy-like scoping before the backward pass
  // unless kept) and two lookups recorded before the backward pass reads either.
  const both = () =>
    tf.variableGrads(() => {
      const la = triplaneLookup(tf.add(a, shift) as tf.Tensor2D, vars, LEVELS);
      const lb = triplaneLookup(tf.add(b, shift) as tf.Tensor2D, vars, LEVELS);
      return tf.add(tf.sum(tf.square(la)), tf.sum(tf.mul(lb, 3))) as tf.Scalar;
    }, params);
  const one = (x: tf.Tensor2D, f: (y: tf.Tensor) => tf.Tensor) =>
    tf.variableGrads(
      () => tf.sum(f(triplaneLookup(tf.add(x, shift) as tf.Tensor2D, vars, LEVELS))) as tf.Scalar,
      params,
    );
  const first = both();
  const ga = one(a, (y) => tf.square(y)), gb = one(b, (y) => tf.mul(y, 3));
  for (const p of params) {
    const sum = tf.add(ga.grads[p.name], gb.grads[p.name]).dataSync();
    const got = first.grads[p.name].dataSync();
    got.forEach((v, i) => assertAlmostEquals(v, sum[i], 1e-5 * (1 + Math.abs(sum[i])), `${p.name}[${i}]`));
  }
  // Run again (the spare arrays of the first runs are reused): the same bits.
  const again = both();
  for (const p of params) {
    assertEquals(again.grads[p.name].dataSync(), first.grads[p.name].dataSync(), p.name);
  }
  // Tables that are not variables (copied in the forward pass), computed and freed inside a tidy.
  const viaTidy = tf.grad((x: tf.Tensor) =>
    tf.tidy(() => {
      const tables = vars.map((v) => tf.mul(v, 1) as tf.Tensor2D);
      return tf.sum(tf.square(triplaneLookup(x as tf.Tensor2D, tables, LEVELS)));
    })
  )(tf.add(a, shift));
  const direct = tf.grad((x: tf.Tensor) => tf.sum(tf.square(triplaneLookup(x as tf.Tensor2D, vars, LEVELS))))(
    tf.add(a, shift),
  );
  assertEquals(viaTidy.dataSync(), direct.dataSync());
  tf.dispose([viaTidy, direct, a, b, ...params]);
  for (const r of [first, ga, gb, again]) tf.dispose([r.value, ...Object.values(r.grads)]);
});

Deno.test("the lookup and its gradients leak no tensors", async () => {
  const tt = toTensors(makeTables(50));
  const x = tf.tensor2d(uniform(30, -1, 1, 4), [10, 3]);
  await assertNoLeak(() => triplaneLookup(x, tt, LEVELS), "forward");
  await assertNoLeak(
    () =>
      tf.grads((...ts: tf.Tensor[]) =>
        tf.sum(triplaneLookup(ts[0] as tf.Tensor2D, ts.slice(1) as tf.Tensor2D[], LEVELS))
      )([x, ...tt]),
    "backward",
  );
  tf.dispose([x, ...tt]);
});

Deno.test("bad shapes are named in the error", () => {
  const tt = toTensors(makeTables(60));
  const x = tf.zeros([4, 3]) as tf.Tensor2D;
  assertThrows(() => triplaneLookup(tf.zeros([4, 2]) as tf.Tensor2D, tt, LEVELS), Error, "[n, 3]");
  assertThrows(() => triplaneLookup(x, tt.slice(1), LEVELS), Error, "3 x 3 tables");
  const wrong = tt.slice();
  wrong[4] = tf.zeros([5, F]) as tf.Tensor2D;
  assertThrows(() => triplaneLookup(x, wrong, LEVELS), Error, "table 4 (plane 1, level 1)");
  tf.dispose([x, wrong[4], ...tt]);
});
