/**
 * LPIPS, the learned perceptual image patch similarity (Zhang, Isola, Efros, Shechtman, Wang, "The
 * Unreasonable Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018), AlexNet variant
 * v0.1, forward pass only, as richzhang/PerceptualSimilarity `lpips/lpips.py` computes it:
 *
 * 1. images in [-1, 1] (2 x - 1 for [0, 1] values), then the scaling layer (x - shift) / scale with
 *    shift = (-0.030, -0.088, -0.188), scale = (0.458, 0.448, 0.450) per RGB channel;
 * 2. AlexNet's five conv layers (torchvision `alexnet().features`), each followed by ReLU, the taps
 *    relu1..relu5; a 3x3 / stride 2 max-pool before conv2 and conv3;
 * 3. per tap l and pixel: unit-normalise the channel vector, f / (|f|_2 + 1e-10), for both images;
 * 4. squared difference, weighted by the tap's non-negative 1x1 "lin" weights w_l (a sum over channels);
 * 5. mean over the tap's pixels; LPIPS = the sum over the five taps.
 *
 * d(x, y) = sum_l mean_{h,w} sum_c w_{l,c} (f^l_{hwc}(x) / |f^l_{hw}(x)| - f^l_{hwc}(y) / |f^l_{hw}(y)|)^2
 *
 * **Weights are not bundled** (ImageNet AlexNet weights cannot be obtained offline here): the user
 * supplies a file. Without one, {@linkcode lpips} returns `{ available: false, reason:
 * "unavailable (no weights)" }` and reports print that reason instead of a number.
 *
 * **Weight file format**: a tfjs weights manifest (the `weights_manifest.json` layout of
 * `tf.io`: `[{ "paths": ["<shard>.bin", ...], "weights": [{ "name", "shape", "dtype": "float32" }] }]`,
 * shards are little-endian float32 concatenated in order) holding, in PyTorch layouts and names:
 * - `features.{0,3,6,8,10}.weight` [out, in, kh, kw] and `.bias` [out] (torchvision AlexNet conv1-5:
 *   64x3x11x11 stride 4 pad 2, 192x64x5x5 pad 2, 384x192x3x3 pad 1, 256x384x3x3 pad 1, 256x256x3x3 pad 1);
 * - `lin{0..4}.model.1.weight` [1, C, 1, 1] (LPIPS' linear layers; `.model.0.` is accepted too).
 *
 * Exported from PyTorch (`pip install lpips`) with, for example:
 * ```text
 * import lpips, json
 * m = lpips.LPIPS(net="alex", version="0.1").eval()
 * sd = {("features." + k.split(".", 2)[2] if k.startswith("net.") else k): v
 *       for k, v in m.state_dict().items() if k.startswith(("net.", "lin"))}
 * open("lpips_alex.bin", "wb").write(b"".join(v.numpy().astype("<f4").tobytes() for v in sd.values()))
 * json.dump([{"paths": ["lpips_alex.bin"], "weights": [{"name": k, "shape": list(v.shape),
 *            "dtype": "float32"} for k, v in sd.items()]}], open("lpips_alex.json", "w"))
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { dirname, join } from "node:path";
import { checkSameShape, type MetricImage } from "./image.ts";
import type { MetricResult } from "./report.ts";

/** The reason reported when no LPIPS weights were given. */
export const LPIPS_UNAVAILABLE = "unavailable (no weights)";

/** Column name of LPIPS in reports. */
export const LPIPS_NAME = "LPIPS (AlexNet)";

/** LPIPS v0.1 scaling layer: (x - shift) / scale per RGB channel, on [-1, 1] inputs. */
export const LPIPS_SHIFT = [-0.030, -0.088, -0.188] as const;
/** See {@linkcode LPIPS_SHIFT}. */
export const LPIPS_SCALE = [0.458, 0.448, 0.450] as const;

/** One tap of an LPIPS network: a conv layer (ReLU after it), what comes before it, its lin weights. */
export interface LpipsLayerSpec {
  /** Prefix of the conv tensors: `<conv>.weight` [out, in, kh, kw] and `<conv>.bias` [out]. */
  readonly conv: string;
  /** Name of the lin layer: `<lin>.model.1.weight` (or `.model.0.`) [1, out, 1, 1]. */
  readonly lin: string;
  readonly stride: number;
  /** Zero padding on every side, pixels. */
  readonly pad: number;
  /** A 3x3, stride 2 max-pool (no padding) before the conv. */
  readonly poolBefore: boolean;
}

/** The five taps of LPIPS' AlexNet (torchvision `features` indices). */
export const ALEXNET_LPIPS_LAYERS: readonly LpipsLayerSpec[] = [
  { conv: "features.0", lin: "lin0", stride: 4, pad: 2, poolBefore: false },
  { conv: "features.3", lin: "lin1", stride: 1, pad: 2, poolBefore: true },
  { conv: "features.6", lin: "lin2", stride: 1, pad: 1, poolBefore: true },
  { conv: "features.8", lin: "lin3", stride: 1, pad: 1, poolBefore: false },
  { conv: "features.10", lin: "lin4", stride: 1, pad: 1, poolBefore: false },
];

interface LpipsLayer {
  readonly spec: LpipsLayerSpec;
  /** [kh, kw, in, out] (tfjs HWIO). */
  readonly filter: tf.Tensor4D;
  readonly bias: tf.Tensor1D;
  /** [out] */
  readonly lin: tf.Tensor1D;
}

/** An LPIPS network with its weights. Call `dispose()` when done. */
export interface LpipsModel {
  /** Where the weights came from (a file path, or a description). */
  readonly source: string;
  readonly layers: readonly LpipsLayer[];
  dispose(): void;
}

/**
 * Builds an LPIPS network from named tensors in PyTorch layouts (see the module doc for the names).
 * The tensors are copied; the caller keeps ownership of `weights`.
 * @param weights Tensors by name.
 * @param options `layers` (default {@linkcode ALEXNET_LPIPS_LAYERS}), `source` for messages.
 * @returns The model.
 * @throws Naming the first missing tensor or wrong shape.
 */
export function createLpips(
  weights: Readonly<Record<string, tf.Tensor>>,
  options: { layers?: readonly LpipsLayerSpec[]; source?: string } = {},
): LpipsModel {
  const specs = options.layers ?? ALEXNET_LPIPS_LAYERS;
  const source = options.source ?? "named tensors";
  const get = (name: string, rank: number): tf.Tensor => {
    const t = weights[name];
    if (!t) {
      throw new Error(
        `LPIPS weights ${source}: tensor ${name} is missing (have ${Object.keys(weights).join(", ")})`,
      );
    }
    if (t.rank !== rank) {
      throw new Error(`LPIPS weights ${source}: ${name} has shape [${t.shape}], expected rank ${rank}`);
    }
    return t;
  };
  const layers: LpipsLayer[] = [];
  let inChannels = 3;
  try {
    for (const spec of specs) {
      const w = get(`${spec.conv}.weight`, 4), b = get(`${spec.conv}.bias`, 1);
      const [out, cin] = w.shape;
      if (cin !== inChannels || b.shape[0] !== out) {
        throw new Error(
          `LPIPS weights ${source}: ${spec.conv} has weight [${w.shape}] and bias [${b.shape}], expected ` +
            `[out, ${inChannels}, kh, kw] and [out]`,
        );
      }
      // LPIPS' NetLinLayer is Sequential(Dropout, Conv) by default ("model.1"), Sequential(Conv) without dropout.
      const linName = weights[`${spec.lin}.model.0.weight`]
        ? `${spec.lin}.model.0.weight`
        : `${spec.lin}.model.1.weight`;
      const lin = get(linName, 4);
      if (lin.shape.join() !== `1,${out},1,1`) {
        throw new Error(
          `LPIPS weights ${source}: ${linName} has shape [${lin.shape}], expected [1, ${out}, 1, 1]`,
        );
      }
      const [filter, bias, linW] = tf.tidy(() => [
        tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D,
        tf.clone(b) as tf.Tensor1D,
        tf.reshape(lin, [out]) as tf.Tensor1D,
      ]);
      layers.push({ spec, filter, bias, lin: linW });
      inChannels = out;
    }
  } catch (e) {
    for (const l of layers) tf.dispose([l.filter, l.bias, l.lin]);
    throw e;
  }
  return {
    source,
    layers,
    dispose() {
      for (const l of layers) tf.dispose([l.filter, l.bias, l.lin]);
    },
  };
}

/**
 * Reads LPIPS weights from a tfjs weights manifest (see the module doc) and builds the model.
 * @param path The manifest JSON; shard paths are relative to its folder.
 * @param options `layers` of the network (default AlexNet's five).
 * @returns The model; `dispose()` it.
 */
export async function loadLpips(
  path: string,
  options: { layers?: readonly LpipsLayerSpec[] } = {},
): Promise<LpipsModel> {
  let manifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  try {
    manifest = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`loadLpips: ${path}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
  }
  if (
    !Array.isArray(manifest) || !manifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))
  ) {
    throw new Error(
      `loadLpips: ${path}: expected a tfjs weights manifest, [{ "paths": [...], "weights": [...] }]`,
    );
  }
  const named: Record<string, tf.Tensor> = {};
  try {
    for (const group of manifest) {
      const shards = await Promise.all(group.paths.map((p) => Deno.readFile(join(dirname(path), p))));
      const total = shards.reduce((s, b) => s + b.byteLength, 0);
      const buf = new Uint8Array(total);
      let at = 0;
      for (const b of shards) buf.set(b, at), at += b.byteLength;
      const need = group.weights.reduce((s, w) => s + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
      if (group.weights.some((w) => w.dtype !== "float32") || need !== total) {
        throw new Error(
          `loadLpips: ${path}: shards ${
            group.paths.join(", ")
          } hold ${total} bytes, the weights listed need ${need} ` +
            `(all float32 expected)`,
        );
      }
      Object.assign(named, tf.io.decodeWeights(buf.buffer, group.weights));
    }
    return createLpips(named, { ...options, source: path });
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** x / (|x|_2 + 1e-10) along channels (LPIPS' normalize_tensor), for NHWC features. */
function unitChannels(x: tf.Tensor4D): tf.Tensor4D {
  return tf.div(x, tf.add(tf.sqrt(tf.sum(tf.square(x), 3, true)), 1e-10));
}

/**
 * LPIPS distances of a batch, in tensors: one value per image pair.
 * @param model The network.
 * @param x Images [n, h, w, 3] with values in [-1, 1] (RGB).
 * @param y Same shape.
 * @returns [n] distances.
 */
export function lpipsTensor(model: LpipsModel, x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor1D {
  if (x.rank !== 4 || x.shape[3] !== 3 || x.shape.join() !== y.shape.join()) {
    throw new Error(`lpipsTensor: x and y must both be [n, h, w, 3]: got [${x.shape}] and [${y.shape}]`);
  }
  return tf.tidy(() => {
    const n = x.shape[0];
    const shift = tf.tensor1d([...LPIPS_SHIFT]), scale = tf.tensor1d([...LPIPS_SCALE]);
    let h = tf.div(tf.sub(tf.concat([x, y], 0), shift), scale) as tf.Tensor4D;
    let total = tf.zeros([n]) as tf.Tensor1D;
    for (const layer of model.layers) {
      const { stride, pad, poolBefore } = layer.spec;
      if (poolBefore) h = tf.maxPool(h, 3, 2, "valid");
      if (pad > 0) h = tf.pad(h, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
      const [kh, kw] = layer.filter.shape;
      if (h.shape[1] < kh || h.shape[2] < kw) {
        throw new Error(
          `lpips: the ${x.shape[1]}x${x.shape[2]} images shrink to ${h.shape[1]}x${
            h.shape[2]
          } before ${layer.spec.conv} ` +
            `(kernel ${kh}x${kw}): expected larger images`,
        );
      }
      h = tf.relu(tf.add(tf.conv2d(h, layer.filter, stride, "valid"), layer.bias));
      const f = unitChannels(h);
      const [fx, fy] = tf.split(f, 2, 0);
      const weighted = tf.sum(tf.mul(tf.square(tf.sub(fx, fy)), layer.lin), 3); // [n, h, w]
      total = tf.add(total, tf.mean(weighted, [1, 2]));
    }
    return total;
  });
}

/** Result of {@linkcode lpips}. */
export type LpipsResult =
  | { readonly available: true; readonly value: number }
  | { readonly available: false; readonly reason: string };

function toTensor(img: MetricImage, name: string): tf.Tensor4D {
  if (img.channels < 3) {
    throw new Error(`lpips: ${name} has ${img.channels} channel(s): expected RGB or RGBA`);
  }
  const bytes = img.data instanceof Uint8Array || img.data instanceof Uint8ClampedArray;
  const { width: w, height: h, channels: c } = img;
  const rgb = new Float32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    for (let k = 0; k < 3; k++) {
      rgb[i * 3 + k] = (bytes ? img.data[i * c + k] / 255 : img.data[i * c + k]) * 2 - 1;
    }
  }
  return tf.tensor4d(rgb, [1, h, w, 3]);
}

/**
 * LPIPS between two images (see the module doc), or `{ available: false }` without a model.
 * @param a First image (8-bit or [0, 1] float, RGB or RGBA; alpha is ignored).
 * @param b Second image, same size.
 * @param options `model` from {@linkcode loadLpips}; absent or null: unavailable.
 * @returns `{ available: true, value }` (0 for identical images, larger is more different) or
 *   `{ available: false, reason: "unavailable (no weights)" }`.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lpips } from "./lpips.ts";
 * const img = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array(3) };
 * assertEquals(lpips(img, img), { available: false, reason: "unavailable (no weights)" });
 * ```
 */
export function lpips(
  a: MetricImage,
  b: MetricImage,
  options: { model?: LpipsModel | null } = {},
): LpipsResult {
  checkSameShape(a, b, ["lpips: a", "lpips: b"]);
  const model = options.model;
  if (!model) return { available: false, reason: LPIPS_UNAVAILABLE };
  const d = tf.tidy(() => lpipsTensor(model, toTensor(a, "a"), toTensor(b, "b")));
  const value = d.dataSync()[0];
  d.dispose();
  return { available: true, value };
}

/** Mean LPIPS over frame pairs: the mean and per-frame values, or the reason it is unavailable. */
export type LpipsSummary =
  | { readonly available: true; readonly value: number; readonly perFrame: readonly number[] }
  | { readonly available: false; readonly reason: string };

/**
 * Mean of {@linkcode lpips} over paired frames.
 * @param preds Generated frames.
 * @param gts Ground-truth frames, as many.
 * @param options `model`; absent or null: unavailable.
 */
export function meanLpips(
  preds: readonly MetricImage[],
  gts: readonly MetricImage[],
  options: { model?: LpipsModel | null } = {},
): LpipsSummary {
  if (preds.length !== gts.length) {
    throw new Error(
      `meanLpips: ${preds.length} predicted frames but ${gts.length} targets: expected as many`,
    );
  }
  if (!options.model) return { available: false, reason: LPIPS_UNAVAILABLE };
  const perFrame = preds.map((p, i) => {
    const r = lpips(p, gts[i], options);
    return r.available ? r.value : NaN;
  });
  return {
    available: true,
    value: perFrame.reduce((s, v) => s + v, 0) / Math.max(1, perFrame.length),
    perFrame,
  };
}

/**
 * A report entry: "LPIPS (AlexNet)" with the value, or null and the reason as its note.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lpipsMetric } from "./lpips.ts";
 * assertEquals(lpipsMetric({ available: false, reason: "unavailable (no weights)" }),
 *   { name: "LPIPS (AlexNet)", value: null, note: "unavailable (no weights)" });
 * ```
 */
export function lpipsMetric(result: LpipsResult | LpipsSummary): MetricResult {
  return result.available
    ? { name: LPIPS_NAME, value: result.value, digits: 4 }
    : { name: LPIPS_NAME, value: null, note: result.reason };
}
