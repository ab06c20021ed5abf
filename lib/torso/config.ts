/**
 * Configuration of the torso: none, SSP-NeRF's 3-D deformation, or a RAD-NeRF-style 2-D image layer.
 * @module
 */

/** No torso module: the field models the torso as it models the head (rigid with the canonical head). */
export interface NoTorsoConfig {
  readonly kind: "none";
}

/** SSP-NeRF's torso deformation of the sample points ([ours] reconstruction; `DeformationField3d`). */
export interface Deform3dTorsoConfig {
  readonly kind: "deform3d";
  /** Width of the hidden layers of the deformation MLP. */
  readonly width: number;
  /** Number of hidden layers of the deformation MLP (>= 1). */
  readonly depth: number;
  /** Positional-encoding frequencies of the sample point (in the normalised scene box). */
  readonly posFreqs: number;
  /** Positional-encoding frequencies of the pose code. */
  readonly poseFreqs: number;
  /**
   * Per-point weight w of the offset, x' = x + w dx: "parsing" = probability of the torso-like classes
   * from the parsing branch at the point (`torsoWeightFromParsing`), so the head stays rigid; "none" =
   * w = 1 (every point may move: the deformation must learn to leave the head alone).
   */
  readonly weighting: "parsing" | "none";
  /**
   * How points move: "offset" (absent: the same) = dx is the MLP's free offset; "rigid" = a rigid motion
   * per frame from the pose code (rotation and translation, by a one-hidden-layer MLP of `width`), gated
   * per point by the MLP, plus a free residual: dx = g ((R - I) x + tau) + e (`DeformationField3d`).
   * Adds 2 small layers; dx = 0 at initialisation either way.
   */
  readonly motion?: "offset" | "rigid";
  /**
   * With motion "rigid", how the rotation and translation follow the pose code: "mlp" (absent: the same)
   * = a ReLU MLP on the encoded code; "linear" = a linear map of the code; "linear+mlp" = their sum
   * (`RigidPoseMap`: the ReLU MLP's units all died on the fixture, leaving one motion for every frame);
   * "quadratic" = the linear map plus a linear map of the code's pairwise products.
   */
  readonly poseMap?: "mlp" | "linear" | "linear+mlp" | "quadratic";
  /**
   * What the penalty `loss.deformation` sees: "offset" (absent: the same) = the whole offset dx; "residual"
   * (motion "rigid" only) = the free residual e alone, so the rigid motion of the frame is not shrunk
   * and the residual, which extrapolates worst to unseen poses, is kept small.
   */
  readonly penalize?: "offset" | "residual";
  /**
   * Motion "rigid": weight k of the gates' penalty mean(g (1 - g)), added to the offset penalty (both
   * then weighted by `loss.deformation`): pushes each point to follow the frame's motion fully or not at
   * all. Absent: 0 (none).
   */
  readonly gatePenalty?: number;
  /**
   * Motion "rigid": where the motion starts from. "head" (absent: the same) = the head's canonical frame,
   * so a point the module leaves alone moves with the head; "camera" = the camera's frame (AD-NeRF's torso,
   * static in the image), so a gated point stays put in the image and the learned rigid motion adds only
   * how much the torso follows the head. Needs the Euler pose code (`pose.kind` "euler").
   */
  readonly motionFrame?: "head" | "camera";
  /**
   * Motion "rigid": what the per-point gate sees. "pointAndPose" (absent: the same) = the point and the
   * pose code (the per-point MLP's first output); "point" = the point alone (an MLP of its own), so the
   * set of points that follow the torso's motion cannot drift at head poses outside the training range;
   * "moved" = that MLP at the rigidly moved point (the point in the torso's own frame).
   */
  readonly gate?: DeformationGate;
}

/** What motion "rigid"'s gate sees (see `Deform3dTorsoConfig.gate`). */
export type DeformationGate = "pointAndPose" | "point" | "moved";

/** The values of {@linkcode DeformationGate}, the default first. */
export const DEFORMATION_GATES: readonly DeformationGate[] = ["pointAndPose", "point", "moved"];

/** RAD-NeRF-style image-space torso, composited between the head and the background (`Torso2d`). */
export interface Image2dTorsoConfig {
  readonly kind: "image2d";
  /** Width of the hidden layers of the offset and colour MLPs. */
  readonly width: number;
  /** Number of hidden layers of each MLP (>= 1). */
  readonly depth: number;
  /** Positional-encoding frequencies of the pixel coordinates in [-1, 1]^2. */
  readonly posFreqs: number;
  /** Positional-encoding frequencies of the pose code. */
  readonly poseFreqs: number;
}

/** The torso configuration; `kind` selects the module. */
export type TorsoConfig = NoTorsoConfig | Deform3dTorsoConfig | Image2dTorsoConfig;

/** No torso module. */
export const NO_TORSO: NoTorsoConfig = { kind: "none" };

/**
 * CPU-sized defaults of the 3-D deformation: a 3 x 64 MLP (14.5k weights with 6 position and 4 pose
 * frequencies: small next to the field, as the deformation is smooth), weighted by the parsing branch.
 * (Its penalty's weight is `loss.deformation`.)
 */
export const DEFORM3D_DEFAULTS: Deform3dTorsoConfig = {
  kind: "deform3d",
  width: 64,
  depth: 3,
  posFreqs: 6,
  poseFreqs: 4,
  weighting: "parsing",
};

/**
 * CPU-sized defaults of the image-space torso: two 2 x 32 MLPs, 8 coordinate frequencies (RAD-NeRF: 10,
 * plus a hash grid that is left out here) and 4 pose frequencies (as RAD-NeRF).
 */
export const IMAGE2D_DEFAULTS: Image2dTorsoConfig = {
  kind: "image2d",
  width: 32,
  depth: 2,
  posFreqs: 8,
  poseFreqs: 4,
};

/**
 * Every problem of a torso configuration (path, value, what was expected); empty when it is valid.
 * @param t The torso configuration.
 * @param path Its path in the whole configuration. @default {"torso"}
 */
export function torsoConfigProblems(t: TorsoConfig, path = "torso"): string[] {
  const problems: string[] = [];
  // An optional field of the 3-D deformation with a few values: the first is its default (absent), the
  // others need motion "rigid".
  const rigidChoice = (key: "penalize" | "gate" | "motionFrame", values: readonly string[]) => {
    const v = (t as Deform3dTorsoConfig)[key];
    if (v === undefined) return;
    if (!values.includes(v)) {
      const quoted = values.map((x) => `"${x}"`);
      const list = quoted.length === 2 ? quoted.join(" or ") : `one of ${quoted.join(", ")}`;
      problems.push(`${path}.${key} must be ${list} (absent: "${values[0]}"): got ${JSON.stringify(v)}`);
    } else if (v !== values[0] && (t as Deform3dTorsoConfig).motion !== "rigid") {
      problems.push(
        `${path}.${key} "${v}" needs motion "rigid": got motion ${
          JSON.stringify((t as Deform3dTorsoConfig).motion)
        }`,
      );
    }
  };
  switch (t.kind) {
    case "none":
      break;
    case "deform3d":
    case "image2d":
      for (const k of ["width", "depth"] as const) {
        if (!Number.isInteger(t[k]) || t[k] < 1) {
          problems.push(`${path}.${k} must be a positive integer: got ${t[k]}`);
        }
      }
      for (const k of ["posFreqs", "poseFreqs"] as const) {
        if (!Number.isInteger(t[k]) || t[k] < 0) {
          problems.push(`${path}.${k} must be an integer >= 0: got ${t[k]}`);
        }
      }
      if (t.kind === "deform3d" && t.weighting !== "parsing" && t.weighting !== "none") {
        problems.push(`${path}.weighting must be "parsing" or "none": got ${JSON.stringify(t.weighting)}`);
      }
      if (t.kind === "deform3d" && t.motion !== undefined && t.motion !== "offset" && t.motion !== "rigid") {
        problems.push(
          `${path}.motion must be "offset" or "rigid" (absent: "offset"): got ${JSON.stringify(t.motion)}`,
        );
      }
      if (
        t.kind === "deform3d" && t.poseMap !== undefined &&
        !["mlp", "linear", "linear+mlp", "quadratic"].includes(t.poseMap)
      ) {
        problems.push(
          `${path}.poseMap must be "mlp", "linear", "linear+mlp" or "quadratic" (absent: "mlp"): got ${
            JSON.stringify(t.poseMap)
          }`,
        );
      }
      if (t.kind === "deform3d") rigidChoice("penalize", ["offset", "residual"]);
      if (t.kind === "deform3d" && t.gatePenalty !== undefined) {
        if (!(Number.isFinite(t.gatePenalty) && t.gatePenalty >= 0)) {
          problems.push(`${path}.gatePenalty must be a finite number >= 0: got ${t.gatePenalty}`);
        } else if (t.gatePenalty > 0 && t.motion !== "rigid") {
          problems.push(
            `${path}.gatePenalty needs motion "rigid" (only it has gates): got motion ${
              JSON.stringify(t.motion)
            }`,
          );
        }
      }
      if (t.kind === "deform3d") {
        rigidChoice("gate", DEFORMATION_GATES);
        rigidChoice("motionFrame", ["head", "camera"]);
      }
      if (t.kind === "deform3d" && t.poseMap !== undefined && t.motion !== "rigid") {
        problems.push(
          `${path}.poseMap applies to motion "rigid" only: got motion ${JSON.stringify(t.motion)}`,
        );
      }
      break;
    default:
      problems.push(
        `${path}.kind must be none, deform3d or image2d: got ${
          JSON.stringify((t as { kind: unknown }).kind)
        }`,
      );
  }
  return problems;
}
