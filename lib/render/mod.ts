/**
 * Volume rendering: weights from density or opacity (differentiable on wasm), one renderer per output
 * (colour, depth, accumulation, semantics) and background compositing (alpha-over, or AD-NeRF's last
 * sample).
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
