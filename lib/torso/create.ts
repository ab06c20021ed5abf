/**
 * Builds the torso module a configuration names.
 * @module
 */
import type { Deform3dTorsoConfig, Image2dTorsoConfig, TorsoConfig } from "./config.ts";
import { DeformationField3d } from "./deformation_field.ts";
import { Torso2d } from "./torso2d.ts";

/** The torso module of a run, tagged by kind (`module` is null for "none"). */
export type Torso =
  | { readonly kind: "none"; readonly module: null }
  | { readonly kind: "deform3d"; readonly module: DeformationField3d; readonly config: Deform3dTorsoConfig }
  | { readonly kind: "image2d"; readonly module: Torso2d; readonly config: Image2dTorsoConfig };

/** Options of {@linkcode createTorso}. */
export interface CreateTorsoOptions {
  /** Seed of the initial weights. @default {a hash of each layer's name} */
  readonly seed?: number;
  /** Prefix of the parameter keys. @default {"torso"} */
  readonly name?: string;
}

/**
 * Builds the torso module of a config (exhaustive: a new `kind` without a case fails to compile).
 * @param config See {@linkcode TorsoConfig}.
 * @param poseDim Length of the pose code (6 for `poseCode`).
 * @param options Seed and parameter-key prefix.
 * @returns The module, tagged by kind; dispose `module` when done.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initBackend } from "../backend/backend.ts";
 * import { DEFORM3D_DEFAULTS } from "./config.ts";
 * import { createTorso } from "./create.ts";
 * await initBackend({ log: null });
 * const torso = createTorso(DEFORM3D_DEFAULTS, 6, { seed: 1 });
 * assertEquals(torso.kind, "deform3d");
 * assertEquals([...torso.module!.params.keys()][0], "torso.l0f.w");
 * torso.module?.dispose();
 * assertEquals(createTorso({ kind: "none" }, 6).module, null);
 * ```
 */
export function createTorso(config: TorsoConfig, poseDim: number, options: CreateTorsoOptions = {}): Torso {
  if (!Number.isInteger(poseDim) || poseDim < 1) {
    throw new Error(`poseDim must be a positive integer: got ${poseDim}`);
  }
  const name = options.name ?? "torso";
  switch (config.kind) {
    case "none":
      return { kind: "none", module: null };
    case "deform3d": {
      if (!(config.penalty >= 0 && Number.isFinite(config.penalty))) {
        throw new Error(`torso.penalty must be finite and >= 0: got ${config.penalty}`);
      }
      if (config.weighting !== "parsing" && config.weighting !== "none") {
        throw new Error(
          `torso.weighting must be "parsing" or "none": got ${JSON.stringify(config.weighting)}`,
        );
      }
      const { width, depth, posFreqs, poseFreqs } = config;
      const module = new DeformationField3d(name, poseDim, {
        width,
        depth,
        posFreqs,
        poseFreqs,
        seed: options.seed,
      });
      return { kind: "deform3d", module, config };
    }
    case "image2d": {
      const { width, depth, posFreqs, poseFreqs } = config;
      const module = new Torso2d(name, poseDim, { width, depth, posFreqs, poseFreqs, seed: options.seed });
      return { kind: "image2d", module, config };
    }
    default: {
      const unknown: never = config;
      throw new Error(`unknown torso kind: ${JSON.stringify(unknown)}`);
    }
  }
}
