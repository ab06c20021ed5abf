/**
 * The in-memory form of a talking-portrait dataset in the AD-NeRF / SSP-NeRF layout (see README).
 * @module
 */

/** One frame's entry of `transforms_{train,val}.json`, normalised across the known variants. */
export interface FrameMeta {
  /** Image id: frame file `<imgId>.jpg|png`, parsing `parsing/<imgId>.png`, landmarks `<imgId>.lms`. */
  readonly imgId: number;
  /** Row of `aud.npy` for this frame (`aud_id`, or `frame_id` in some test files, else imgId). */
  readonly audId: number;
  /** Camera-to-world matrix, row-major 4x4 (AD-NeRF convention: head fixed, camera moves). */
  readonly c2w: Float32Array;
  /** Face box `[x, y, w, h]` in pixels, when given. */
  readonly faceRect?: readonly [number, number, number, number];
  /** Head rotation (radians, R = Rx(a) Ry(b) Rz(c)), when given (SSP-NeRF). */
  readonly euler?: readonly [number, number, number];
  /** Head translation, when given (SSP-NeRF). */
  readonly trans?: readonly [number, number, number];
  /** Expression parameters (79 in SSP-NeRF), when given. */
  readonly exp?: Float32Array;
  /**
   * Eye openness in [0, 1] (`eye`): 1 = the eyes open as usual in this video, 0 = shut. Written by the
   * fixture generator and preprocessing (the eye aspect ratio of the landmarks divided by the video's
   * 90th percentile, `eyeSignalFromLandmarks`; preprocessing uses the landmarks before their temporal
   * smoothing, which would flatten blinks); when a dataset's files lack it, the loader fills it from
   * OpenFace's `au.csv` (AU45) or from the `.lms` landmarks (see `loadDataset`).
   */
  readonly eye?: number;
}

/** Parsing palettes known to the loader. */
export type PaletteName = "adnerf4" | "sspnerf11";

/** Camera intrinsics shared by all frames (pixels). */
export interface Intrinsics {
  readonly focal: number;
  readonly cx: number;
  readonly cy: number;
  readonly width: number;
  readonly height: number;
}
