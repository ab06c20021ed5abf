/**
 * Putting the static background behind the rendered portrait, in the two ways the field uses.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Alpha compositing over a background: out = rgb + (1 - acc) bg, where rgb = sum_i w_i c_i is the
 * (premultiplied) colour the field rendered and acc = sum_i w_i its opacity. Works for any channel count
 * (e.g. a one-hot background class behind a rendered parsing distribution).
 * @param rgb Rendered colours, shape [nRays, C].
 * @param acc Accumulated opacity, shape [nRays] or [nRays, 1].
 * @param bg Background colours of the same pixels, shape [nRays, C].
 * @returns Composited colours, shape [nRays, C].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertAlmostEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { compositeOverBackground } from "./background.ts";
 * await initBackend({ log: null });
 * // 60 % opaque red over a blue background: (0.6, 0, 0.4).
 * const c = compositeOverBackground(tf.tensor2d([[0.6, 0, 0]]), tf.tensor1d([0.6]), tf.tensor2d([[0, 0, 1]]));
 * const v = c.dataSync();
 * [0.6, 0, 0.4].forEach((want, i) => assertAlmostEquals(v[i], want, 1e-6));
 * c.dispose();
 * ```
 */
export function compositeOverBackground(
  rgb: tf.Tensor2D,
  acc: tf.Tensor1D | tf.Tensor2D,
  bg: tf.Tensor2D,
): tf.Tensor2D {
  if (rgb.rank !== 2) throw new Error(`rgb must be [nRays, C]: got [${rgb.shape}]`);
  const [n, c] = rgb.shape;
  if (bg.rank !== 2 || bg.shape[0] !== n || bg.shape[1] !== c) {
    throw new Error(`bg must be [${n}, ${c}] like rgb: got [${bg.shape}]`);
  }
  if (!(acc.shape[0] === n && (acc.rank === 1 || (acc.rank === 2 && acc.shape[1] === 1)))) {
    throw new Error(`acc must be [${n}] or [${n}, 1]: got [${acc.shape}]`);
  }
  return tf.tidy(() => tf.add(rgb, tf.mul(tf.sub(1, tf.reshape(acc, [n, 1])), bg)));
}

/**
 * AD-NeRF's background: the colour of the LAST sample of every ray is replaced by the background pixel
 * (`rgb = torch.cat((rgb[:, :-1], bc_rgb.unsqueeze(1)), 1)` in its `raw2outputs`), so whatever light
 * reaches the end of the ray takes the background colour. For that to hold exactly, the last sample must
 * be opaque: render with `weightsFromDensity(sigmas, deltas, { opaqueLast: true })` (or NeRF's last
 * interval of 1e10 with a positive density). Then its weight is T_last = 1 - sum_{i<last} w_i, and
 * ```
 * sum_i w_i c_i = sum_{i<last} w_i c_i + (1 - acc_{<last}) bg
 * ```
 * which is {@linkcode compositeOverBackground} applied to the rendering of the other samples.
 * The background pixel receives the gradient of its weight (useful when the background is learned).
 * @param rgbs Colours of the samples, shape [nRays, nSamples, C], nSamples >= 1.
 * @param bg Background colour of each ray's pixel, shape [nRays, C].
 * @returns The colours with the last sample replaced, shape [nRays, nSamples, C].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { lastSampleBackground } from "./background.ts";
 * await initBackend({ log: null });
 * const out = lastSampleBackground(tf.tensor3d([[[1, 1, 1], [1, 1, 1]]]), tf.tensor2d([[0, 0.5, 0]]));
 * assertEquals(Array.from(out.dataSync()), [1, 1, 1, 0, 0.5, 0]);
 * out.dispose();
 * ```
 */
export function lastSampleBackground(rgbs: tf.Tensor3D, bg: tf.Tensor2D): tf.Tensor3D {
  if (rgbs.rank !== 3 || rgbs.shape[1] < 1) {
    throw new Error(`rgbs must be [nRays, nSamples >= 1, C]: got [${rgbs.shape}]`);
  }
  const [n, k, c] = rgbs.shape;
  if (bg.rank !== 2 || bg.shape[0] !== n || bg.shape[1] !== c) {
    throw new Error(`bg must be [${n}, ${c}] to match rgbs: got [${bg.shape}]`);
  }
  // rgbs m + bg P on [n, k c]: m keeps all but the last sample, P puts bg there. Exact (one term of each
  // sum is not 0), and on wasm faster than a slice and a concat (their gradients: a pad and a split).
  return tf.tidy(() => {
    const keep = new Float32Array(k * c).fill(1), place = new Float32Array(c * k * c);
    for (let j = 0; j < c; j++) {
      keep[(k - 1) * c + j] = 0;
      place[j * k * c + (k - 1) * c + j] = 1;
    }
    const kept = tf.mul(tf.reshape(rgbs, [n, k * c]), tf.tensor2d(keep, [1, k * c]));
    return tf.reshape(tf.add(kept, tf.matMul(bg, tf.tensor2d(place, [c, k * c]))), [n, k, c]) as tf.Tensor3D;
  });
}
