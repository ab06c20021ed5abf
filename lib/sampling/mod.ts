/**
 * Sampling: which pixels a training step uses (pixel samplers) and where along each ray the field is
 * queried (stratified and importance depths, points, interval lengths). Plain JS on typed arrays: the
 * results are constants of the training graph.
 * @module
 */
export { stratifiedSamples } from "./stratified.ts";
export { importanceSamples, PDF_WEIGHT_FLOOR } from "./importance.ts";
export { mergeSorted } from "./merge.ts";
export { deltasFromT, type DeltasOptions, dirNorms, samplePoints } from "./points.ts";
export {
  checkSampleArgs,
  type PixelFeedback,
  type PixelSampleContext,
  type PixelSampler,
  type PixelSamplerKind,
} from "./pixel_sampler.ts";
export { createPixelSampler, type PixelSamplerConfig, pixelSamplerConfigProblems } from "./create.ts";
export { uniformPixelSampler } from "./uniform_pixel_sampler.ts";
export { eyeRegionClass, type EyeRegionDatasetInfo, withEyeRegion } from "./eye_region.ts";
export {
  faceRectPixelRange,
  faceRectPixelSampler,
  type FaceRectSamplerOptions,
} from "./face_rect_pixel_sampler.ts";
export { largestRemainder } from "./largest_remainder.ts";
export {
  SEMANTIC_ALLOCATIONS,
  type SemanticAllocation,
  semanticAllocation,
  type SemanticAllocationOptions,
  type SemanticDynamicSampler,
  semanticDynamicSampler,
  type SemanticDynamicSamplerOptions,
  semanticSamplerProblems,
  type SemanticSamplerState,
} from "./semantic_dynamic_sampler.ts";
export {
  type CellCrossing,
  hitIndices,
  OccupancyGrid,
  type OccupancyGridOptions,
  type OccupancyGridState,
  type OccupancyUpdateInfo,
  type OccupancyUpdateOptions,
  type RayIntervalOptions,
  type RayIntervals,
  stratifiedInIntervals,
} from "./occupancy_grid.ts";
