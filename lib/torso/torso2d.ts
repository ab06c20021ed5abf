/**
 * An image-space torso in the style of RAD-NeRF (cheap alternative to the 3-D deformation): the torso is
 * a 2-D layer drawn behind the head, whose pixels are deformed by the head pose.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encodedDim, positionalEncoding } from "../encoding/positional_encoding.ts";
import { collectParams, type Module } from "../nn/module.ts";
import { ConditionedMlp } from "./conditioned_mlp.ts";
import type { Image2dTorsoConfig } from "./config.ts";
import type { ImageLayer, TorsoModule } from "./torso_module.ts";

/** Options of {@linkcode Torso2d}. */
export interface Torso2dOptions {
  /** Width of the hidden layers of both MLPs. @default {32} */
  readonly width?: number;
  /** Hidden layers of both MLPs. @default {2} */
  readonly depth?: number;
  /** Positional-encoding frequencies of the pixel coordinates. @default {8} */
  readonly posFreqs?: number;
  /** Positional-encoding frequencies of the pose code. @default {4} */
  readonly poseFreqs?: number;
  /** Seed of the initial weights. @default {a hash of each layer's name} */
  readonly seed?: number;
}

/** What {@linkcode Torso2d.apply} returns. */
export type Torso2dOutputs = {
  /** Torso colour per pixel, [n, 3], in (0, 1). */
  readonly rgb: tf.Tensor2D;
  /** Torso opacity per pixel, [n], in (0, 1). */
  readonly alpha: tf.Tensor1D;
  /** The 2-D offset du applied to the pixel coordinates, [n, 2]. */
  readonly offset: tf.Tensor2D;
};

/**
 * For pixel coordinates u in [-1, 1]^2 and the frame's pose code p:
 * ```
 * du = D2(PE(u), PE(p))                         (output layer zero at init: du = 0)
 * [c, a] = C(PE(u + du), PE(p));  rgb = sigmoid(c), alpha = sigmoid(a)
 * ```
 * RAD-NeRF (`nerf/network.py`, `forward_torso`) has the same two stages: frequency encodings of u (10
 * frequencies) and of a 6-D pose (4), a 3-layer MLP (64 wide) to the offset, then a 3-layer MLP (32 wide)
 * to alpha and colour reading a 2-D hash grid at clamp(u + du, -1, 1) with the two encodings. Here the
 * grid is replaced by the frequency encoding of u + du (cheaper on CPU, a smoother torso), and the
 * offset layer starts at zero, so training starts from an undeformed torso. Composite the result with
 * `compositeTorso2d`.
 * Parameters: `${name}.deform.*` and `${name}.color.*`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { Torso2d } from "./torso2d.ts";
 * await initBackend({ log: null });
 * const torso = new Torso2d("torso", 6, { width: 16 });
 * const out = torso.apply(tf.tensor2d([[0, 0], [0.5, -0.5]]), tf.zeros([1, 6]));
 * assertEquals([out.rgb.shape, out.alpha.shape, out.offset.shape], [[2, 3], [2], [2, 2]]);
 * tf.dispose(out);
 * torso.dispose();
 * ```
 */
export class Torso2d implements Module {
  readonly name: string;
  readonly poseDim: number;
  readonly posFreqs: number;
  readonly poseFreqs: number;
  readonly deform: ConditionedMlp;
  readonly color: ConditionedMlp;
  readonly params: ReadonlyMap<string, tf.Variable>;

  /**
   * @param name Prefix of the parameter keys, e.g. "torso".
   * @param poseDim Length P of the pose code (6 for `poseCode`).
   * @param options Width, depth, frequencies, seed.
   */
  constructor(name: string, poseDim: number, options: Torso2dOptions = {}) {
    this.name = name;
    this.poseDim = poseDim;
    this.posFreqs = options.posFreqs ?? 8;
    this.poseFreqs = options.poseFreqs ?? 4;
    const inDim = encodedDim(2, this.posFreqs), condDim = encodedDim(poseDim, this.poseFreqs);
    const width = options.width ?? 32, depth = options.depth ?? 2, seed = options.seed;
    this.deform = new ConditionedMlp(`${name}.deform`, { inDim, condDim, outDim: 2 }, {
      width,
      depth,
      zeroLast: true,
      seed,
    });
    this.color = new ConditionedMlp(`${name}.color`, { inDim, condDim, outDim: 4 }, {
      width,
      depth,
      seed: seed === undefined ? undefined : seed + 1,
    });
    this.params = collectParams(this.deform, this.color);
  }

  /**
   * @param uv Pixel coordinates, [n, 2], in [-1, 1] (u right, v down or up: as long as it is consistent).
   * @param pose Pose code of the frame, [1, P].
   * @returns Colour, opacity and the applied offset; the caller disposes them.
   */
  apply(uv: tf.Tensor2D, pose: tf.Tensor2D): Torso2dOutputs {
    if (uv.rank !== 2 || uv.shape[1] !== 2) {
      throw new Error(`${this.name}: uv must be [n, 2]: got [${uv.shape}]`);
    }
    if (pose.rank !== 2 || pose.shape[1] !== this.poseDim) {
      throw new Error(`${this.name}: pose must be [1, ${this.poseDim}]: got [${pose.shape}]`);
    }
    const n = uv.shape[0];
    return tf.tidy(() => {
      const encPose = positionalEncoding(pose, this.poseFreqs);
      const offset = this.deform.apply(positionalEncoding(uv, this.posFreqs), encPose);
      const out = this.color.apply(positionalEncoding(tf.add(uv, offset), this.posFreqs), encPose);
      const rgb = tf.sigmoid(tf.slice(out, [0, 0], [n, 3])) as tf.Tensor2D;
      const alpha = tf.sigmoid(tf.slice(out, [0, 3], [n, 1])).reshape([n]) as tf.Tensor1D;
      return { rgb, alpha, offset };
    });
  }

  dispose(): void {
    this.deform.dispose();
    this.color.dispose();
  }
}

/** RAD-NeRF's image-space torso as a torso module: a {@linkcode Torso2d} layer behind the head. */
export class Image2dTorso implements TorsoModule {
  readonly kind = "image2d";

  /**
   * @param module The 2-D torso.
   * @param config Its configuration.
   */
  constructor(readonly module: Torso2d, readonly config: Image2dTorsoConfig) {}

  layerBehind(uv: tf.Tensor2D, pose: tf.Tensor2D): ImageLayer {
    const { rgb, alpha } = this.module.apply(uv, pose);
    return { rgb, alpha };
  }
}
