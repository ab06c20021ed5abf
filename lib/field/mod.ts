/** Radiance fields: density, colour and parsing logits from encoded points and a conditioning code. @module */
export * from "./mlp_field.ts";
export * from "./grid_levels.ts";
export { TRIPLANE_AXES, triplaneFeatureDim } from "./triplane_layout.ts";
export * from "./grid_lookup.ts";
export * from "./grid_lookup_ops.ts";
export * from "./triplane_field.ts";
export * from "./create.ts";
