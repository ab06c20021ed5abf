/**
 * Preprocessing: a video of one person talking -> a dataset folder in the AD-NeRF / SSP-NeRF layout
 * (frames, 68 landmarks, head poses and focal length, 11-class parsing, background, audio features),
 * with no Python. {@linkcode preprocessVideo} runs the whole pipeline; its pieces are pure functions:
 * pose fitting to a mean-face template, the shared focal search, temporal smoothing, landmark-polygon
 * parsing, background estimation.
 *
 * ```ts ignore
 * import { preprocessVideo } from "./mod.ts";
 * const summary = await preprocessVideo("talk.mp4", "data/me", { size: 512 });
 * console.log(summary.frames, summary.focal, summary.poseSmoothness);
 * ```
 * @module
 */
export * from "./rotation.ts";
export * from "./template.ts";
export * from "./pose_fit.ts";
export * from "./shape_fit.ts";
export * from "./bundle_adjust.ts";
export * from "./focal_search.ts";
export * from "./smooth.ts";
export * from "./align.ts";
export * from "./raster.ts";
export * from "./crop.ts";
export * from "./track.ts";
export * from "./parsing_landmarks.ts";
export * from "./parsing_dir.ts";
export * from "./background.ts";
export * from "./pipeline.ts";
export {
  PREPROCESS_STEPS,
  type PreprocessOptions,
  type PreprocessStep,
  type PreprocessSummary,
} from "./pipeline_options.ts";
export * from "./source_record.ts";
export * from "./tflite.ts";
export * from "./selfie_segmentation.ts";
