/**
 * SSP-NeRF toolkit: semantic-aware, audio-driven talking-portrait NeRF components on TensorFlow.js.
 *
 * One namespace per area of `lib/`:
 * ```ts
 * import * as ssp from "./mod.ts";
 * await ssp.backend.initBackend();
 * ```
 * @module
 */
export * as backend from "./lib/backend/mod.ts";
export * as io from "./lib/io/mod.ts";
export * as data from "./lib/data/mod.ts";
export * as synthetic from "./lib/synthetic/mod.ts";
export * as audio from "./lib/audio/mod.ts";
export * as camera from "./lib/camera/mod.ts";
export * as encoding from "./lib/encoding/mod.ts";
export * as nn from "./lib/nn/mod.ts";
export * as field from "./lib/field/mod.ts";
export * as model from "./lib/model/mod.ts";
export * as sampling from "./lib/sampling/mod.ts";
export * as render from "./lib/render/mod.ts";
export * as torso from "./lib/torso/mod.ts";
export * as train from "./lib/train/mod.ts";
export * as metrics from "./lib/metrics/mod.ts";
export * as landmarks from "./lib/landmarks/mod.ts";
export * as preprocess from "./lib/preprocess/mod.ts";
export * as video from "./lib/video/mod.ts";
export * as viz from "./lib/viz/mod.ts";
export * as config from "./lib/config/mod.ts";
export * as testing from "./lib/testing/mod.ts";
export * as ablation from "./lib/ablation/mod.ts";
