/**
 * Datasets in the AD-NeRF / SSP-NeRF layout: loading with validation, camera files, parsing palettes,
 * landmarks, the train / validation split, and tiny datasets for tests.
 *
 * ```ts ignore
 * import * as data from "./mod.ts";
 * const ds = await data.loadDataset("fixtures/synthetic_portrait", { requireParsing: true });
 * const labels = await ds.parsing(ds.train[0].imgId); // class id per pixel, ds.numClasses classes
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./palette.ts";
export { type Dataset, loadDataset, validateDataset } from "./dataset.ts";
export {
  AUDIO_WINDOW,
  DEFAULT_MAX_CACHE_BYTES,
  FRAME_FOLDERS,
  type LoadDatasetOptions,
} from "./load_options.ts";
export { DatasetError, MAX_LISTED_PROBLEMS } from "./problems.ts";
export {
  collectTransforms,
  parseTransforms,
  RIGID_TOLERANCE,
  rigidityProblem,
  type Transforms,
} from "./transforms.ts";
export { formatTransforms, writeTransforms } from "./write_transforms.ts";
export { jsonErrorOffset, parseJsonText } from "./json_text.ts";
export { frameSplit } from "./split.ts";
export { NUM_LANDMARKS, parseLandmarks } from "./landmarks.ts";
export {
  AU45_COLUMN,
  AU45_SHUT,
  eyeFromAu45,
  type EyeSignal,
  type EyeSource,
  parseAu45,
  resolveEyeSignal,
} from "./eye.ts";
export { type CacheStats, LruCache } from "./lru.ts";
export { type ImageSize, readImageSize } from "./image_size.ts";
export {
  tinyAudio,
  tinyClass,
  type TinyDatasetOptions,
  tinyLandmark,
  tinyPixel,
  tinyPose,
  writeTinyDataset,
} from "./tiny_dataset.ts";
