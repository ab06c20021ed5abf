/** The SSP-NeRF model: audio encoder, fields, pose encoder and torso module under one parameter map. @module */
export * from "./ssp_model.ts";
