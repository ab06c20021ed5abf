import * as tf from "@tensorflow/tfjs";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertGreater,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { createRng } from "../nn/rng.ts";
import { assertNoLeak } from "../testing/leak.ts";
import type { Image } from "../io/types.ts";
import {
  createLpips,
  loadLpips,
  lpips,
  LPIPS_SCALE,
  LPIPS_SHIFT,
  LPIPS_UNAVAILABLE,
  lpipsMetric,
  meanLpips,
} from "./lpips.ts";

await initBackend({ log: null });

/** AlexNet + lin shapes in PyTorch layout, as the documented weight file names them. */
const ALEX_SHAPES: [string, number[]][] = [
  ["features.0.weight", [64, 3, 11, 11]],
  ["features.0.bias", [64]],
  ["features.3.weight", [192, 64, 5, 5]],
  ["features.3.bias", [192]],
  ["features.6.weight", [384, 192, 3, 3]],
  ["features.6.bias", [384]],
  ["features.8.weight", [256, 384, 3, 3]],
  ["features.8.bias", [256]],
  ["features.10.weight", [256, 256, 3, 3]],
  ["features.10.bias", [256]],
  ["lin0.model.1.weight", [1, 64, 1, 1]],
  ["lin1.model.1.weight", [1, 192, 1, 1]],
  ["lin2.model.1.weight", [1, 384, 1, 1]],
  ["lin3.model.1.weight", [1, 256, 1, 1]],
  ["lin4.model.1.weight", [1, 256, 1, 1]],
];

/** Writes random weights in the documented tfjs-manifest format (two shards, to test shard joining). */
async function writeRandomAlexWeights(dir: string, shapes = ALEX_SHAPES): Promise<string> {
  const rng = createRng(5);
  const values = shapes.map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : 1;
    const lin = name.startsWith("lin");
    return Float32Array.from({ length: n }, () => lin ? rng.next() : (rng.normal() * Math.sqrt(2 / fanIn)));
  });
  const all = new Float32Array(values.reduce((s, v) => s + v.length, 0));
  let at = 0;
  for (const v of values) all.set(v, at), at += v.length;
  const bytes = new Uint8Array(all.buffer);
  const half = 4 * Math.floor(all.length / 2);
  await Deno.writeFile(`${dir}/w.bin.part1`, bytes.subarray(0, half));
  await Deno.writeFile(`${dir}/w.bin.part2`, bytes.subarray(half));
  const manifest = [{
    paths: ["w.bin.part1", "w.bin.part2"],
    weights: shapes.map(([name, shape]) => ({ name, shape, dtype: "float32" })),
  }];
  await Deno.writeTextFile(`${dir}/lpips_alex.json`, JSON.stringify(manifest));
  return `${dir}/lpips_alex.json`;
}

function texture(seed: number, w = 64, h = 64): Image {
  const rng = createRng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        data[(y * w + x) * 3 + c] = Math.round(
          127 + 80 * Math.sin((x + 3 * c) / 4 + seed) * Math.cos(y / 6) + 30 * (rng.next() - 0.5),
        );
      }
    }
  }
  return { width: w, height: h, channels: 3, data };
}

function boxBlur(img: Image): Image {
  const { width: w, height: h } = img, out = new Uint8Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0, n = 0;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const yy = Math.min(h - 1, Math.max(0, y + dy)), xx = Math.min(w - 1, Math.max(0, x + dx));
            s += img.data[(yy * w + xx) * 3 + c], n++;
          }
        }
        out[(y * w + x) * 3 + c] = Math.round(s / n);
      }
    }
  }
  return { ...img, data: out };
}

Deno.test("LPIPS AlexNet forward with random weights from a weight file: zero, symmetric, positive", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await loadLpips(await writeRandomAlexWeights(dir));
    assertEquals(model.layers.length, 5);
    const a = texture(1), b = texture(2), blurred = boxBlur(a);
    const same = lpips(a, a, { model }), ab = lpips(a, b, { model }), ba = lpips(b, a, { model });
    assert(same.available && ab.available && ba.available);
    assertAlmostEquals(same.value, 0, 1e-9);
    assertAlmostEquals(ab.value, ba.value, 1e-5 * ab.value);
    assertGreater(ab.value, 0);
    const blur = lpips(a, blurred, { model });
    assert(blur.available);
    assertGreater(blur.value, 0);
    const mean = meanLpips([a, a], [a, b], { model });
    assert(mean.available);
    assertAlmostEquals(mean.value, ab.value / 2, 1e-6);
    assertEquals(lpipsMetric(mean).value, mean.value);
    await assertNoLeak(() => lpips(a, b, { model }), "lpips");
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LPIPS aggregation checked by hand on a one-layer network", () => {
  // Conv 1x1 with 2 output channels: out0 = R', out1 = 2 G' (primes: after the scaling layer), ReLU,
  // lin weights (0.5, 2). Two pixels, 1 row.
  const weights = {
    "c.weight": tf.tensor4d([1, 0, 0, 0, 2, 0], [2, 3, 1, 1]),
    "c.bias": tf.tensor1d([0, 0]),
    "l.model.1.weight": tf.tensor4d([0.5, 2], [1, 2, 1, 1]),
  };
  const model = createLpips(weights, {
    layers: [{ conv: "c", lin: "l", stride: 1, pad: 0, poolBefore: false }],
  });
  tf.dispose(Object.values(weights));
  const px = (r: number, g: number) => [r, g, 0];
  const x = { width: 2, height: 1, channels: 3, data: Float32Array.from([...px(1, 0.8), ...px(0.9, 0.9)]) };
  const y = { width: 2, height: 1, channels: 3, data: Float32Array.from([...px(0.6, 0.9), ...px(0.9, 0.9)]) };
  // By hand: v = 2 p - 1, v' = (v - shift) / scale; features (relu(R'), relu(2 G')); unit-normalise;
  // squared difference weighted by (0.5, 2); mean over the two pixels.
  const feat = (r: number, g: number) => {
    const rr = Math.max(0, (2 * r - 1 - LPIPS_SHIFT[0]) / LPIPS_SCALE[0]);
    const gg = Math.max(0, (2 * (2 * g - 1 - LPIPS_SHIFT[1])) / LPIPS_SCALE[1]);
    const n = Math.hypot(rr, gg) + 1e-10;
    return [rr / n, gg / n];
  };
  const [a0, a1] = feat(1, 0.8), [b0, b1] = feat(0.6, 0.9);
  const pixel0 = 0.5 * (a0 - b0) ** 2 + 2 * (a1 - b1) ** 2;
  const expected = (pixel0 + 0) / 2; // the second pixel is the same in both images
  const r = lpips(x, y, { model });
  assert(r.available);
  assertAlmostEquals(r.value, expected, 1e-6);
  assertGreater(expected, 0.05); // the case is not degenerate
  model.dispose();
});

Deno.test("LPIPS without weights is reported as unavailable, never as a number", () => {
  const a = texture(1, 8, 8);
  assertEquals(lpips(a, a), { available: false, reason: LPIPS_UNAVAILABLE });
  assertEquals(meanLpips([a], [a], { model: null }), { available: false, reason: LPIPS_UNAVAILABLE });
  assertEquals(lpipsMetric(lpips(a, a)).value, null);
  assertEquals(lpipsMetric(lpips(a, a)).note, "unavailable (no weights)");
});

Deno.test("LPIPS weight files: missing tensors, wrong shapes and short shards are named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const shapes = ALEX_SHAPES.filter(([n]) => n !== "lin3.model.1.weight");
    await assertRejects(
      () => writeRandomAlexWeights(dir, shapes).then(loadLpips),
      Error,
      "lin3.model.1.weight",
    );
    const bad = ALEX_SHAPES.map((
      [n, s],
    ): [string, number[]] => [n, n === "features.3.weight" ? [192, 32, 5, 5] : s]);
    await assertRejects(() => writeRandomAlexWeights(dir, bad).then(loadLpips), Error, "features.3");
    const path = await writeRandomAlexWeights(dir);
    await Deno.writeFile(`${dir}/w.bin.part2`, new Uint8Array(8));
    await assertRejects(() => loadLpips(path), Error, "bytes");
    await assertRejects(() => loadLpips(`${dir}/none.json`), Error, "none.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const w = {
    "c.weight": tf.zeros([2, 3, 3, 3]),
    "c.bias": tf.zeros([2]),
    "l.model.0.weight": tf.ones([1, 2, 1, 1]),
  };
  const model = createLpips(w, { layers: [{ conv: "c", lin: "l", stride: 1, pad: 0, poolBefore: false }] });
  tf.dispose(Object.values(w));
  const tiny = texture(1, 2, 2);
  assertThrows(() => lpips(tiny, tiny, { model }), Error, "expected larger images");
  model.dispose();
});
