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

/**
 * Every problem of a field configuration (path, value, what was expected); empty when it is valid.
 * @param f The field configuration.
 * @param path Its path in the whole configuration. @default {"field"}
 */
export function fieldConfigProblems(f: FieldConfig, path = "field"): string[] {
  const problems: string[] = [];
  const posInt = (p: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) problems.push(`${p} must be a positive integer: got ${v}`);
  };
  const nonNegInt = (p: string, v: number) => {
    if (!Number.isInteger(v) || v < 0) problems.push(`${p} must be an integer >= 0: got ${v}`);
  };
  const positive = (p: string, v: number) => {
    if (!(v > 0) || !Number.isFinite(v)) problems.push(`${p} must be a finite number > 0: got ${v}`);
  };
  posInt(`${path}.colorWidth`, f.colorWidth);
  nonNegInt(`${path}.dirFreqs`, f.dirFreqs);
  switch (f.kind) {
    case "mlp":
      posInt(`${path}.depth`, f.depth);
      posInt(`${path}.width`, f.width);
      nonNegInt(`${path}.posFreqs`, f.posFreqs);
      for (const s of f.skips) {
        if (!Number.isInteger(s) || s < 1 || s >= f.depth) {
          problems.push(`${path}.skips entries must be layer indices in [1, ${f.depth - 1}]: got ${s}`);
        }
      }
      if ((f as { poseColor?: unknown }).poseColor !== undefined) {
        problems.push(`${path}.poseColor applies to field.kind "triplane" only: got kind "mlp"`);
      }
      break;
    case "triplane":
      posInt(`${path}.levels`, f.levels);
      posInt(`${path}.baseResolution`, f.baseResolution);
      posInt(`${path}.featuresPerLevel`, f.featuresPerLevel);
      posInt(`${path}.hiddenWidth`, f.hiddenWidth);
      for (const key of ["codeAttention", "poseColor"] as const) {
        if (f[key] !== undefined && typeof f[key] !== "boolean") {
          problems.push(`${path}.${key} must be true or false: got ${JSON.stringify(f[key])}`);
        }
      }
      nonNegInt(`${path}.hiddenLayers`, f.hiddenLayers);
      nonNegInt(`${path}.log2HashSize`, f.log2HashSize);
      positive(`${path}.gridLrScale`, f.gridLrScale);
      if (!(f.maxResolution >= f.baseResolution)) {
        problems.push(
          `${path}.maxResolution must be >= ${path}.baseResolution (${f.baseResolution}): got ${f.maxResolution}`,
        );
      }
      break;
    default:
      problems.push(
        `${path}.kind must be "mlp" or "triplane": got ${JSON.stringify((f as { kind: unknown }).kind)}`,
      );
  }
  return problems;
}
