/**
 * The ablation set of the paper's comparison: each row is a small override of one base config, so a row
 * differs from "full" by exactly what its label says. Row labels are the keys (`deno task ablation --rows`,
 * the tables' row names).
 *
 * "two NeRFs (AD-NeRF)" is AD-NeRF's whole recipe, so it differs from "full" by four things (architecture,
 * no parsing branch, face-box sampling, no torso deformation). "one NeRF (AD-NeRF settings)" has the same
 * three settings with SSP-NeRF's one unified NeRF, so the matched comparison between the two
 * ({@linkcode ABLATION_PAIRS}) is the architecture alone: the paper's claim that one NeRF beats two at the
 * head-torso junction is read from its "junction PSNR" column.
 * @module
 */
import { override, type SspNerfConfig } from "../config/config.ts";
import { DEMO } from "../config/presets.ts";
import { IMAGE2D_DEFAULTS, type TorsoConfig } from "../torso/mod.ts";
import type { AblationPair } from "./study_table.ts";

/** Share of the steps the "with eye control" row draws from closed-eye frames (`train.closedEyeShare`). */
export const EYE_CONTROL_CLOSED_SHARE = 0.25;

/**
 * The full SSP-NeRF model as the paper describes it, in a preset's sizes: the preset with the semantic
 * sampler's allocation set to "error" (each class's rays in proportion to its running error: our reading of
 * the paper's "small, hard regions such as the lips get more rays"). The demo preset allocates by each
 * class's share of the frame's error instead ("errorArea", better full-frame PSNR per step, see `DEMO`);
 * the study tests the paper's module, so its base keeps the paper's rule. A preset with another sampler is
 * returned as it is.
 * @param preset The sizes (a preset, or any config).
 * @returns The base config of an ablation set (`ablations(base)`).
 */
export function ablationBase(preset: SspNerfConfig): SspNerfConfig {
  if (preset.pixelSampler.kind !== "semanticDynamic") return preset;
  return override(preset, { pixelSampler: { kind: "semanticDynamic", allocation: "error" } });
}

/**
 * The torso of the committed study (experiments/results/ablation_study_2400), as it was run: the demo's
 * rigid motion with the gate read from the per-point MLP that also sees the pose. The demo preset has
 * since given the gate an MLP of the point alone (`torso.gate: "point"`, see `DEMO`); the study's base
 * keeps its torso so that the study reruns as it was.
 */
const STUDY_TORSO: TorsoConfig = {
  kind: "deform3d",
  width: 32,
  depth: 2,
  posFreqs: 6,
  poseFreqs: 4,
  weighting: "none",
  motion: "rigid",
  poseMap: "linear",
};

/** Base of the ablation study: the full SSP-NeRF model in the demo's sizes (`ablationBase`) with the
 * study's torso (`STUDY_TORSO`), no periodic evaluation. */
export const ABLATION_BASE: SspNerfConfig = {
  ...override(ablationBase(DEMO), { name: "full", train: { evalEvery: 0, checkpointEvery: 0 } }),
  // replaced whole (an override would keep the demo's gate: the variant is the same)
  torso: STUDY_TORSO,
};

/** The rows for a given base config (the full SSP-NeRF model in that base's sizes). */
export function ablations(full: SspNerfConfig): Record<string, SspNerfConfig> {
  const named = (name: string, patch: Parameters<typeof override<SspNerfConfig>>[1]) =>
    override(full, { ...patch, name } as never);
  // What AD-NeRF does besides its two NeRFs: no parsing branch, its face-box ray sampling, a torso with
  // no deformation. Shared by the two-NeRF row and its one-NeRF match, so they differ by the architecture.
  const adnerfSettings = {
    parsing: { enabled: false },
    pixelSampler: { kind: "faceRect", insideFraction: 0.95 },
    torso: { kind: "none" },
  } as const;
  return {
    "full": named("full", {}),
    "w/o parsing branch": named("no-parsing", { parsing: { enabled: false } }),
    "w/o dynamic sampling": named("no-dynamic-sampling", { pixelSampler: { kind: "uniform" } }),
    "w/o torso deformation": named("no-torso-deformation", { torso: { kind: "none" } }),
    "2-D image torso (RAD-NeRF style)": named("torso-2d", { torso: IMAGE2D_DEFAULTS }),
    "two NeRFs (AD-NeRF)": named("two-nerfs", { architecture: "twoNerf", ...adnerfSettings }),
    "one NeRF (AD-NeRF settings)": named("one-nerf-adnerf-settings", {
      architecture: "unified",
      ...adnerfSettings,
    }),
    "AD-NeRF face-rect sampling": named("face-rect", {
      pixelSampler: { kind: "faceRect", insideFraction: 0.95 },
    }),
    "adaptive pose encoding (ER-NeRF)": named("adaptive-pose", { pose: { kind: "keypoints", count: 3 } }),
    // Eye-blink control (config `eye`): the row removes it from a base that has it, or adds it to one that
    // does not, with what it needs to work on the fixture (where the base allows it): the tri-plane field's
    // region attention on the code, the landmarks' eye box sampled as the eye class, a quarter of the steps
    // on closed-eye frames. The demo preset keeps it off; experiments/eye_control.ts measures the code
    // alone (on vs off with the same settings).
    ...(full.eye?.enabled ? { "w/o eye control": named("no-eye-control", { eye: { enabled: false } }) } : {
      "with eye control": named("eye-control", {
        eye: { enabled: true },
        ...(full.field.kind === "triplane" && { field: { codeAttention: true } }),
        ...(full.pixelSampler.kind === "semanticDynamic" && { pixelSampler: { eyeRegion: true } }),
        train: { closedEyeShare: EYE_CONTROL_CLOSED_SHARE },
      }),
    }),
  };
}

/**
 * The study's matched comparisons (`summarizeAblation`'s `pairs`): rows whose difference isolates one
 * change that their differences to "full" confound. A pair is reported when both rows ran.
 */
export const ABLATION_PAIRS: readonly AblationPair[] = [
  {
    row: "two NeRFs (AD-NeRF)",
    reference: "one NeRF (AD-NeRF settings)",
    claim: "two NeRFs vs one unified NeRF, everything else AD-NeRF's (the architecture alone; " +
      "the paper's claim is about junction PSNR)",
  },
];
