/**
 * A learned code per training frame, appended to the pose code (`pose.frameCode`): RAD-NeRF's "individual
 * codes" of the torso (Tang et al. 2022, `ind_dim_torso`, 8 numbers per training frame, also used by
 * ER-NeRF). The torso of a real video moves partly on its own (breathing, a shrug, a sway), which no
 * function of the head pose predicts. Without a place to put that motion, the pose-conditioned torso learns
 * it as a function of the training poses, and carries the error to poses it never saw. With a code per
 * training frame, the motion that the pose does not explain can go into the code, and the pose map keeps
 * the part that the pose does explain.
 *
 * A frame that is not a training frame (held out, or new audio with a new pose) has no code of its own; it
 * gets the mean of the training codes, the code of an average training frame. (RAD-NeRF takes the first
 * training frame's code; the mean does not depend on which frame comes first.)
 *
 * The codes start small and random (normal, standard deviation 0.1, as RAD-NeRF's `randn * 0.1`): the
 * maps that read them start at zero, so codes of zero would get no gradient and would teach those maps
 * nothing.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../nn/rng.ts";
import { type Module, namedVariable } from "../nn/module.ts";
import type { PoseEncoder } from "./pose_encoder.ts";

/** Standard deviation of the codes at initialisation. */
export const FRAME_CODE_INIT_STD = 0.1;

/**
 * A pose encoder's code followed by the frame's learned code: [1, P + D].
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs";
 * import { initBackend } from "../backend/backend.ts";
 * import { FrameCodeEncoder } from "./frame_code.ts";
 * import { EulerPoseEncoder } from "./pose_encoder.ts";
 * await initBackend({ log: null });
 * const enc = new FrameCodeEncoder(new EulerPoseEncoder(), [10, 20], 2);
 * enc.codes.assign(tf.tensor2d([[1, 2], [3, 6]]));
 * const c2w = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
 * const own = enc.encode(c2w, 20); // training frame 20: its code
 * const other = enc.encode(c2w, 99); // any other frame: the mean code
 * assertEquals(Array.from(own.dataSync()).slice(6), [3, 6]);
 * assertEquals(Array.from(other.dataSync()).slice(6), [2, 4]);
 * tf.dispose([own, other]);
 * enc.module.dispose();
 * ```
 */
export class FrameCodeEncoder implements PoseEncoder {
  readonly kind: PoseEncoder["kind"];
  readonly dim: number;
  /** One code per training frame, [N, D], in the order of `trainImgIds`. */
  readonly codes: tf.Variable<tf.Rank.R2>;
  /** The base encoder's parameters (if any) and the codes. */
  readonly module: Module;
  readonly #row = new Map<number, number>();

  /**
   * @param base The pose encoder whose code comes first.
   * @param trainImgIds Image ids of the training frames (one code each, in this order).
   * @param codeDim Length D of each frame's code (>= 1).
   * @param options Seed of the initial codes, prefix of the parameter key ("pose": `pose.frameCodes`).
   */
  constructor(
    readonly base: PoseEncoder,
    trainImgIds: readonly number[],
    codeDim: number,
    options: { readonly seed?: number; readonly name?: string } = {},
  ) {
    if (!Number.isInteger(codeDim) || codeDim < 1) {
      throw new Error(`pose.frameCode must be a positive integer: got ${codeDim}`);
    }
    if (trainImgIds.length === 0) throw new Error("pose.frameCode needs the training frames' ids: got none");
    trainImgIds.forEach((id, i) => {
      if (this.#row.has(id)) throw new Error(`pose.frameCode: training frame img_id ${id} is listed twice`);
      this.#row.set(id, i);
    });
    this.kind = base.kind;
    this.dim = base.dim + codeDim;
    const rng = createRng(options.seed ?? 1);
    const init = Float32Array.from(
      { length: trainImgIds.length * codeDim },
      () => FRAME_CODE_INIT_STD * rng.normal(),
    );
    const key = `${options.name ?? "pose"}.frameCodes`;
    const initial = tf.tensor2d(init, [trainImgIds.length, codeDim]);
    this.codes = namedVariable(key, initial) as tf.Variable<tf.Rank.R2>;
    initial.dispose();
    const codes = this.codes;
    const params = new Map<string, tf.Variable>([...(base.module?.params ?? []), [key, codes]]);
    this.module = {
      params,
      dispose: () => {
        base.module?.dispose();
        codes.dispose();
      },
    };
  }

  /** Row of a training frame's code, or undefined for any other frame. */
  rowOf(imgId: number | undefined): number | undefined {
    return imgId === undefined ? undefined : this.#row.get(imgId);
  }

  encode(c2w: Float32Array, imgId?: number): tf.Tensor2D {
    const row = this.rowOf(imgId);
    return tf.tidy(() => {
      const code = row === undefined ? tf.mean(this.codes, 0, true) : tf.slice(this.codes, [row, 0], [1, -1]);
      return tf.concat([this.base.encode(c2w), code], 1) as tf.Tensor2D;
    });
  }
}
