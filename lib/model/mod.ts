/** The SSP-NeRF model (audio encoder + fields) and one rendering pass along rays. @module */
export * from "./ssp_model.ts";
export * from "./render_rays.ts";
export * from "./render_model.ts";
