/**
 * Plain data types shared by the readers and writers of `lib/io`.
 * @module
 */

/** An 8-bit image, rows top to bottom, channels interleaved (HWC), RGB order for 3 channels. */
export interface Image {
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 3 (RGB) or 4 (RGBA). */
  readonly channels: 1 | 3 | 4;
  /** `width * height * channels` bytes. */
  readonly data: Uint8Array;
}

/** Decoded audio: one Float32Array per channel, samples in [-1, 1]. */
export interface Wav {
  readonly sampleRate: number;
  readonly channels: readonly Float32Array[];
}

/** Sample formats a WAV file can be written in. */
export type WavFormat = "pcm16" | "pcm24" | "pcm32" | "float32";

/** Element types of `.npy` files this toolkit reads and writes. */
export type NpyDtype = "float32" | "float64" | "int32" | "int64" | "uint8";

/** A NumPy array: C-order data and its shape. int64 data is held as a BigInt64Array. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}
