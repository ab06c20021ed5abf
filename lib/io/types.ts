/**
 * Plain data types shared by the readers and writers of `lib/io`.
 * @module
 */

/** An 8-bit image, rows top to bottom, channels interleaved (HWC), RGB order for 3 channels. */
export interface Image {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 3 | 4;
  /** `width * height * channels` bytes. */
  readonly data: Uint8Array;
}

/** Decoded audio: one Float32Array per channel, samples in [-1, 1]. */
export interface Wav {
  /** Samples per second (Hz). */
  readonly sampleRate: number;
  /** One array per channel, all of the same length. */
  readonly channels: readonly Float32Array[];
}

/** A rectangle in pixels of the decoded frame. */
export interface CropRect {
  /** Left edge (pixels from the left). */
  readonly x: number;
  /** Top edge (pixels from the top). */
  readonly y: number;
  /** Width in pixels. */
  readonly w: number;
  /** Height in pixels. */
  readonly h: number;
}

/** Sample formats a WAV file can be written in. */
export type WavFormat = "pcm16" | "pcm24" | "pcm32" | "float32";

/** Element types of `.npy` files this toolkit reads and writes. */
export type NpyDtype = "float32" | "float64" | "int32" | "int64" | "uint8";

/** A NumPy array: C-order data and its shape. int64 data is held as a BigInt64Array. */
export interface NpyArray {
  /** Element type. */
  readonly dtype: NpyDtype;
  /** Dimensions; `[]` for a 0-d (scalar) array. */
  readonly shape: readonly number[];
  /** The elements in C (row-major) order; length = product of `shape`. */
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}
