/**
 * The ablation set of the paper's comparison: each row is a small override of one base config, so a row
 * differs from "full" by exactly what its label says. Row labels are the keys (`deno task ablation --rows`,
 * the tables' row names).
 * @module
 */
import { override, type SspNerfConfig } from "../config/config.ts";
import { DEMO } from "../config/presets.ts";
import { IMAGE2D_DEFAULTS } from "../torso/mod.ts";

/** Base of the ablation study: the full SSP-NeRF model in the demo's sizes, no periodic evaluation. */
export const ABLATION_BASE: SspNerfConfig = override(DEMO, {
  name: "full",
  train: { evalEvery: 0, checkpointEvery: 0 },
});

/** The rows for a given base config (the full SSP-NeRF model in that base's sizes). */
export function ablations(full: SspNerfConfig): Record<string, SspNerfConfig> {
  const named = (name: string, patch: Parameters<typeof override<SspNerfConfig>>[1]) =>
    override(full, { ...patch, name } as never);
  return {
    "full": named("full", {}),
    "w/o parsing branch": named("no-parsing", { parsing: { enabled: false } }),
    "w/o dynamic sampling": named("no-dynamic-sampling", { pixelSampler: { kind: "uniform" } }),
    "w/o torso deformation": named("no-torso-deformation", { torso: { kind: "none" } }),
    "2-D image torso (RAD-NeRF style)": named("torso-2d", { torso: IMAGE2D_DEFAULTS }),
    "two NeRFs (AD-NeRF)": named("two-nerfs", {
      architecture: "twoNerf",
      parsing: { enabled: false },
      pixelSampler: { kind: "faceRect", insideFraction: 0.95 },
      torso: { kind: "none" },
    }),
    "AD-NeRF face-rect sampling": named("face-rect", {
      pixelSampler: { kind: "faceRect", insideFraction: 0.95 },
    }),
    "adaptive pose encoding (ER-NeRF)": named("adaptive-pose", { pose: { kind: "keypoints", count: 3 } }),
    // Eye-blink control (config `eye`): the row removes it from a base that has it, or adds it to one that
    // does not. The demo preset keeps it off: at 1200 steps (seeds 1, 2) it moved the held-out closed-eye
    // frames' eye-region PSNR by +0.5 dB on average, the renders did not shut the eyes, and the full frame
    // varied by seed (experiments/eye_control.ts).
    ...(full.eye?.enabled
      ? { "w/o eye control": named("no-eye-control", { eye: { enabled: false } }) }
      : { "with eye control": named("eye-control", { eye: { enabled: true } }) }),
  };
}
