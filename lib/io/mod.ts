/**
 * Reading and writing the files a talking-portrait pipeline touches: WAV audio (decode, encode, mono,
 * band-limited resampling), PNG/JPEG images (plus channel conversion and resizing), NumPy `.npy` arrays,
 * and videos through ffmpeg (probe, stream frames, extract audio, write H.264 + AAC). Every writer is
 * atomic (temporary file beside the destination, then rename).
 *
 * ```ts
 * import { assert } from "@std/assert";
 * import * as io from "./mod.ts";
 * const npy = io.encodeNpy({ dtype: "float32", shape: [2], data: new Float32Array([1, 2]) });
 * assert(io.decodeNpy(npy).data[1] === 2);
 * ```
 * @module
 */
export * from "./types.ts";
export {
  moveIntoPlace,
  pathExists,
  readTextIfExists,
  tempPathBeside,
  writeFileAtomic,
  writeFileAtomicSync,
} from "./atomic.ts";
export { decodeWav, encodeWav, readMono16k, readWav, resample, toMono, writeWav } from "./wav.ts";
export type { ResampleOptions } from "./wav.ts";
export {
  decodeImage,
  decodeJpeg,
  decodePng,
  encodeJpeg,
  encodePng,
  floatToImage,
  imageToFloat,
  readImage,
  resizeImage,
  toRgb,
  writeImage,
} from "./image.ts";
export type { ResizeFilter, ResizeOptions, WriteImageOptions } from "./image.ts";
export { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
export { ffmpegPath } from "./ffmpeg.ts";
export type { FfmpegPathOptions } from "./ffmpeg.ts";
export { probeVideo } from "./video_probe.ts";
export type { VideoInfo } from "./video_probe.ts";
export { readVideoFrames } from "./video_frames.ts";
export type { ReadFramesOptions } from "./video_frames.ts";
export { extractAudio } from "./video_audio.ts";
export type { ExtractAudioOptions } from "./video_audio.ts";
export { writeVideo } from "./video_write.ts";
export type { WriteVideoOptions } from "./video_write.ts";
