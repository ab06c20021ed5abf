/**
 * The one place that turns a field config into a field: adding a backbone kind without handling it here
 * fails to compile.
 * @module
 */
import type { FieldConfig } from "../config/config.ts";
import { type FieldDims, MlpField, type RadianceField } from "./mlp_field.ts";
import { TriplaneField } from "./triplane_field.ts";

/**
 * Builds the field a config names.
 * @param name Prefix of the parameter names (checkpoint keys), e.g. "coarse".
 * @param config The field slice of the run config.
 * @param dims Input/output sizes from the data.
 * @param seed Initialisation seed.
 */
export function createField(name: string, config: FieldConfig, dims: FieldDims, seed: number): RadianceField {
  switch (config.kind) {
    case "mlp":
      return new MlpField(name, config, dims, seed);
    case "triplane":
      return new TriplaneField(name, config, dims, seed);
  }
}
