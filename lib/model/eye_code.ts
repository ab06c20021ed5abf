/**
 * Eye-blink conditioning (the config's `eye` section): the frame's eye openness (`FrameMeta.eye`, in
 * [0, 1], 1 = open as usual, 0 = shut) is encoded and concatenated to the audio code, so the field reads
 * [audio code, eye code] wherever it reads the audio code. RAD-NeRF and ER-NeRF likewise concatenate a
 * per-frame eye feature (RAD-NeRF: the eye area from landmarks; ER-NeRF: OpenFace's AU45) to the
 * field's input. The value enters raw and as a few sinusoids (NeRF's positional encoding of a scalar) so
 * that a field whose first layer is linear in the code can still open and shut the eyelids non-linearly.
 * @module
 */

/** The `eye` section of a configuration. */
export interface EyeConfig {
  /** Whether the field is conditioned on the frame's eye openness (false: exactly the model without it). */
  readonly enabled: boolean;
  /** Sinusoid frequencies of the encoding (code = [e, sin(2^k pi e), cos(2^k pi e)] for k < freqs). */
  readonly freqs: number;
}

/** No eye conditioning: what configurations without an `eye` section mean. */
export const EYE_OFF: EyeConfig = { enabled: false, freqs: 2 };

/** Eye openness of an open eye (`FrameMeta.eye` of a frame without a blink). */
export const EYE_OPEN = 1;

/**
 * Width of the eye code a config adds to the audio code (0 when off).
 * @param eye The `eye` section (absent: off).
 * @returns 1 + 2 x freqs when enabled, else 0.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eyeCodeDim } from "./eye_code.ts";
 * assertEquals(eyeCodeDim({ enabled: true, freqs: 2 }), 5);
 * assertEquals(eyeCodeDim({ enabled: false, freqs: 2 }), 0);
 * ```
 */
export function eyeCodeDim(eye: EyeConfig | undefined): number {
  return eye?.enabled ? 1 + 2 * eye.freqs : 0;
}

/**
 * The eye code of one frame: [e, sin(pi e), cos(pi e), sin(2 pi e), cos(2 pi e), ...].
 * @param eye The `eye` section (enabled).
 * @param value Eye openness in [0, 1].
 * @param source Names the caller in errors.
 * @returns The code, length `eyeCodeDim(eye)`.
 * @throws When `value` is not a number in [0, 1].
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { encodeEye } from "./eye_code.ts";
 * const c = encodeEye({ enabled: true, freqs: 1 }, 0.5);
 * [0.5, 1, 0].forEach((v, i) => assertAlmostEquals(c[i], v, 1e-6));
 * ```
 */
export function encodeEye(eye: EyeConfig, value: number, source = "eye code"): Float32Array {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new Error(`${source}: the eye openness must be a number in [0, 1] (1 open, 0 shut): got ${value}`);
  }
  const out = new Float32Array(eyeCodeDim(eye));
  out[0] = value;
  for (let k = 0; k < eye.freqs; k++) {
    const a = 2 ** k * Math.PI * value;
    out[1 + 2 * k] = Math.sin(a);
    out[2 + 2 * k] = Math.cos(a);
  }
  return out;
}

/**
 * Problems of an `eye` section (empty when valid), each naming the field.
 * @param eye The section (absent: valid, off).
 */
export function eyeConfigProblems(eye: EyeConfig | undefined): string[] {
  if (eye === undefined) return [];
  const problems: string[] = [];
  if (typeof eye !== "object" || eye === null) {
    return [`eye must be the section { enabled, freqs }: got ${eye}`];
  }
  if (typeof eye.enabled !== "boolean") {
    problems.push(`eye.enabled must be true or false: got ${JSON.stringify(eye.enabled)}`);
  }
  if (!Number.isInteger(eye.freqs) || eye.freqs < 0 || eye.freqs > 8) {
    problems.push(`eye.freqs must be an integer in [0, 8]: got ${JSON.stringify(eye.freqs)}`);
  }
  return problems;
}
