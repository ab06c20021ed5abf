/**
 * Rendering, from one ray to a video:
 * - quadrature: weights from density or opacity (differentiable on wasm), one renderer per output
 *   (colour, depth, accumulation, semantics), background compositing (alpha-over, or AD-NeRF's last
 *   sample) and layer compositing (`over`);
 * - passes: one field along a batch of rays (`renderPass`, with the torso module's deformation), the
 *   whole model (`renderModel`);
 * - frames: the {@linkcode Scene} (model + what rendering needs), chunked rendering, empty-space skipping,
 *   render grids, density probing, worker rendering, videos.
 * - reads: every frame render has a synchronous form (`Scene.renderFrame`, for the wasm and cpu
 *   backends and the worker threads) and an asynchronous one (`Scene.renderFrameAsync`, `await data()`:
 *   the only read of a GPU tensor in Deno), one code path behind both (`Reads`); on the webgpu backend the
 *   fine depths are drawn on the device (`importanceSamplesTensor`), so no tensor is read mid-chunk.
 * @module
 */
export {
  alphaFromDensity,
  type AlphaWeightsOptions,
  transmittance,
  weightsFromAlpha,
  weightsFromDensity,
  type WeightsOptions,
} from "./weights.ts";
export {
  type DepthOptions,
  renderAccumulation,
  renderDepth,
  renderRgb,
  renderSemantics,
} from "./renderers.ts";
export { compositeOverBackground, lastSampleBackground } from "./background.ts";
export { type Layer, over, premultiply } from "./composite.ts";
export * from "./render_rays.ts";
export * from "./render_model.ts";
export * from "./frame.ts";
export * from "./scene_setup.ts";
export * from "./scene.ts";
export * from "./rows.ts";
export * from "./chunks.ts";
export * from "./skip_space.ts";
export * from "./render_grid.ts";
export * from "./density.ts";
export * from "./parallel_render.ts";
export * from "./render_video.ts";
export * from "./reads.ts";
export * from "./importance_tensor.ts";
