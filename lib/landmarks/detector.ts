/**
 * A 68-point face landmark detector on face-api's networks: a face detector (tiny YOLOv2-style or SSD
 * MobileNet v1) finds the face box, then `face_landmark_68` places the points inside it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Image } from "../io/types.ts";
import { toRgb } from "../io/mod.ts";
import { type FaceApi, loadFaceApi, readFaceApiWeights } from "./faceapi.ts";

/** A face box in pixels: top-left corner and size. */
export interface FaceBox {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** One detected face. */
export interface FaceLandmarks {
  readonly box: FaceBox;
  /** Detector confidence in [0, 1]. */
  readonly score: number;
  /** 68 points as 136 numbers [x0, y0, ...], pixel coordinates of the input image. */
  readonly landmarks: Float32Array;
}

/** Options of {@linkcode createLandmarkDetector}. */
export interface LandmarkDetectorOptions {
  /** `"tiny"`: face-api's TinyFaceDetector (fast); `"ssd"`: SsdMobilenetv1 (slower, more robust).
   * @default {"tiny"} */
  readonly detector?: "tiny" | "ssd";
  /** Side the tiny detector resizes the image to (a multiple of 32). @default {416} */
  readonly inputSize?: number;
  /** Minimum detector score for a face. @default {0.5} */
  readonly scoreThreshold?: number;
}

/** Finds a face and its 68 landmarks. Holds network weights: call `dispose()` when done. */
export interface LandmarkDetector {
  /** The face with the highest score, or null when none passes the threshold. */
  detect(img: Image): Promise<FaceLandmarks | null>;
  /** Landmarks inside a known box (no detection): the cheap path for tracked video. */
  landmarksInBox(img: Image, box: FaceBox): Promise<Float32Array>;
  /** "face-api": the name reports give LMD numbers, e.g. "LMD (face-api)". */
  readonly name: string;
  /** The options in use, defaults filled in. */
  readonly options: Required<LandmarkDetectorOptions>;
  /** Frees the weights; the detector cannot be used afterwards. */
  dispose(): void;
}

/**
 * What this module needs of a face-api network. face-api's types name its bundled copy of the tfjs
 * types, so tensors cross that boundary as `never` (at run time they are the same classes: checked by
 * {@linkcode loadFaceApi}).
 */
interface LoadableNet {
  loadFromWeightMap(weightMap: never): void;
  dispose(throwOnRedispose?: boolean): void;
}

async function loadNet<T extends LoadableNet>(
  net: T,
  file: Parameters<typeof readFaceApiWeights>[0],
): Promise<T> {
  // face-api keeps what it needs (some nets derive new tensors from the file's) and disposes the rest.
  net.loadFromWeightMap(await readFaceApiWeights(file) as never);
  return net;
}

function imageTensor(img: Image): tf.Tensor3D {
  const rgb = img.channels === 3 ? img : toRgb(img);
  return tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], "int32");
}

/** Integer crop of a box clipped to the image, so the crop origin and the landmark shift agree. */
function cropOf(box: FaceBox, width: number, height: number): FaceBox {
  const x0 = Math.max(0, Math.round(box.x)), y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(width, Math.round(box.x + box.w)), y1 = Math.min(height, Math.round(box.y + box.h));
  if (!(x1 - x0 >= 2 && y1 - y0 >= 2)) {
    throw new Error(
      `landmarksInBox: box {x: ${box.x}, y: ${box.y}, w: ${box.w}, h: ${box.h}} has no area inside the ` +
        `${width}x${height} image: expected a face box overlapping it`,
    );
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/**
 * Creates a 68-point landmark detector from face-api's weights (read from its package, offline), on
 * the project's tfjs backend (started here if nothing started one).
 *
 * Landmarks are computed on the detection box cropped to whole pixels (face-api's own pipeline floors
 * the crop but shifts the points by the unrounded box; here the shift is the crop's own origin).
 * Measured here (wasm, one thread, 512x512 portrait, `landmarks_bench.ts`): tiny detector + landmarks
 * ~42 ms a frame (24 frames/s), SSD + landmarks ~190 ms, landmarks alone on a known box ~7 ms.
 * The box shapes the landmarks: on the test portrait, tiny (416) and SSD boxes give mouth landmarks
 * 1.1 px apart (tiny at 224 or 512: 0.7 px), so LMD numbers compare only under the same options.
 * @param options Detector kind, input size, score threshold.
 * @returns A detector; `dispose()` it when done.
 * @example
 * ```ts ignore
 * import { createLandmarkDetector, landmarkDistance } from "./mod.ts";
 * import { readImage } from "../io/mod.ts";
 * const detector = await createLandmarkDetector();
 * const face = await detector.detect(await readImage("frame.png"));
 * if (face) console.log(face.box, face.landmarks.length); // 136
 * detector.dispose();
 * ```
 */
export async function createLandmarkDetector(
  options: LandmarkDetectorOptions = {},
): Promise<LandmarkDetector> {
  const opts: Required<LandmarkDetectorOptions> = {
    detector: options.detector ?? "tiny",
    inputSize: options.inputSize ?? 416,
    scoreThreshold: options.scoreThreshold ?? 0.5,
  };
  if (!Number.isInteger(opts.inputSize) || opts.inputSize % 32 !== 0 || opts.inputSize <= 0) {
    throw new Error(
      `createLandmarkDetector: inputSize must be a positive multiple of 32, got ${opts.inputSize}`,
    );
  }
  if (!(opts.scoreThreshold >= 0 && opts.scoreThreshold <= 1)) {
    throw new Error(`createLandmarkDetector: scoreThreshold must be in [0, 1], got ${opts.scoreThreshold}`);
  }
  const faceapi: FaceApi = await loadFaceApi();
  const landmarkNet = await loadNet(new faceapi.FaceLandmark68Net(), "face_landmark_68_model");
  let locate: (
    input: tf.Tensor3D,
  ) => Promise<{ score: number; box: { x: number; y: number; width: number; height: number } }[]>;
  let faceNet: LoadableNet;
  switch (opts.detector) {
    case "tiny": {
      const net = await loadNet(new faceapi.TinyFaceDetector(), "tiny_face_detector_model");
      const o = new faceapi.TinyFaceDetectorOptions({
        inputSize: opts.inputSize,
        scoreThreshold: opts.scoreThreshold,
      });
      locate = (input) => net.locateFaces(input as never, o);
      faceNet = net;
      break;
    }
    case "ssd": {
      const net = await loadNet(new faceapi.SsdMobilenetv1(), "ssd_mobilenetv1_model");
      const o = new faceapi.SsdMobilenetv1Options({ minConfidence: opts.scoreThreshold, maxResults: 10 });
      locate = (input) => net.locateFaces(input as never, o);
      faceNet = net;
      break;
    }
  }
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error("LandmarkDetector: used after dispose()");
  };

  const landmarksOnTensor = async (input: tf.Tensor3D, box: FaceBox): Promise<Float32Array> => {
    const [height, width] = input.shape;
    const c = cropOf(box, width, height);
    const face = tf.slice(input, [c.y, c.x, 0], [c.h, c.w, 3]);
    try {
      const result = await landmarkNet.detectLandmarks(face as never);
      const points = (Array.isArray(result) ? result[0] : result).positions;
      const out = new Float32Array(136);
      points.forEach((p: { x: number; y: number }, i: number) => {
        out[2 * i] = p.x + c.x;
        out[2 * i + 1] = p.y + c.y;
      });
      return out;
    } finally {
      face.dispose();
    }
  };

  return {
    name: "face-api",
    options: opts,
    async detect(img: Image): Promise<FaceLandmarks | null> {
      alive();
      const input = imageTensor(img);
      try {
        const faces = await locate(input);
        if (faces.length === 0) return null;
        const best = faces.reduce((a, b) => (b.score > a.score ? b : a));
        const box = { x: best.box.x, y: best.box.y, w: best.box.width, h: best.box.height };
        return { box, score: best.score, landmarks: await landmarksOnTensor(input, box) };
      } finally {
        input.dispose();
      }
    },
    async landmarksInBox(img: Image, box: FaceBox): Promise<Float32Array> {
      alive();
      const input = imageTensor(img);
      try {
        return await landmarksOnTensor(input, box);
      } finally {
        input.dispose();
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      landmarkNet.dispose();
      faceNet.dispose();
    },
  };
}
