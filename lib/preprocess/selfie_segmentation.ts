/**
 * Person masks from MediaPipe's selfie segmentation model (the `.tflite` files shipped in the npm
 * package `@mediapipe/selfie_segmentation`: "general", 256x256 input, and "landscape", 144x256), run by
 * this toolkit's tflite interpreter on tfjs (tflite.ts). As in MediaPipe's graph, the image is stretched
 * to the model's input size (no letterbox) with values in [0, 1]; the model's sigmoid output is the
 * person probability, resized back to the image bilinearly.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend/mod.ts";
import { resizeImage, toRgb } from "../io/image.ts";
import type { Image } from "../io/types.ts";
import { TfliteModel } from "./tflite.ts";

/** The two models of the package. */
export type SelfieModelKind = "general" | "landscape";

const FILES: Record<SelfieModelKind, string> = {
  general: "selfie_segmentation.tflite",
  landscape: "selfie_segmentation_landscape.tflite",
};

/**
 * Path of a model file in the installed package (found through the import map, as face-api's).
 * @param kind Which model.
 * @returns A file path.
 */
export function selfieModelPath(kind: SelfieModelKind = "general"): string {
  return new URL(FILES[kind], import.meta.resolve("@mediapipe/selfie_segmentation")).pathname;
}

/** A loaded selfie segmentation model; `dispose()` releases its weights. */
export class SelfieSegmenter {
  private constructor(private readonly model: TfliteModel, readonly kind: SelfieModelKind) {}

  /**
   * Loads a model (starting the tfjs backend if needed).
   * @param kind "general" (square input) or "landscape". @default {"general"}
   * @returns The segmenter.
   * @example
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { SelfieSegmenter } from "./selfie_segmentation.ts";
   * const seg = await SelfieSegmenter.create();
   * const grey = { width: 32, height: 24, channels: 3 as const, data: new Uint8Array(32 * 24 * 3).fill(90) };
   * assertEquals(seg.personMask(grey).length, 32 * 24); // 1 on the person, 0 elsewhere
   * seg.dispose();
   * ```
   */
  static async create(kind: SelfieModelKind = "general"): Promise<SelfieSegmenter> {
    await initBackend({ log: null });
    const path = selfieModelPath(kind);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      throw new Error(
        `selfie segmentation: cannot read ${path} (the npm package @mediapipe/selfie_segmentation): ${
          e instanceof Error ? e.message : e
        }`,
        { cause: e },
      );
    }
    return new SelfieSegmenter(TfliteModel.load(bytes, path), kind);
  }

  /**
   * Person probability per pixel.
   * @param img RGB (or grey / RGBA) image of any size.
   * @returns Probabilities in [0, 1], `img.width * img.height`, row-major.
   */
  personProbability(img: Image): Float32Array {
    const [, h, w] = this.model.inputShapes[0];
    const small = resizeImage(toRgb(img), w, h);
    const x = tf.tensor4d(Float32Array.from(small.data, (v) => v / 255), [1, h, w, 3]);
    try {
      const [y] = this.model.run([x]);
      const big = tf.tidy(() =>
        tf.image.resizeBilinear(y as tf.Tensor4D, [img.height, img.width], false, true).clipByValue(0, 1)
      );
      y.dispose();
      const p = big.dataSync() as Float32Array;
      big.dispose();
      return Float32Array.from(p);
    } finally {
      x.dispose();
    }
  }

  /**
   * Person mask: probability above `threshold`.
   * @param img The image.
   * @param threshold @default {0.5}
   * @returns 1 on the person.
   */
  personMask(img: Image, threshold = 0.5): Uint8Array {
    return Uint8Array.from(this.personProbability(img), (p) => (p > threshold ? 1 : 0));
  }

  /** Releases the weights. */
  dispose(): void {
    this.model.dispose();
  }
}
