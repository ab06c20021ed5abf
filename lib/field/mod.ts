/** Radiance fields: density, colour and parsing logits from encoded points and a conditioning code. @module */
export * from "./mlp_field.ts";
export * from "./grid_levels.ts";
export * from "./grid_lookup.ts";
export * from "./triplane_field.ts";
export * from "./create.ts";
