/**
 * Eye tracks for rendering a model with eye-blink conditioning (`deno task render --eyes`): one eye
 * openness in [0, 1] (1 open, 0 shut; `FrameMeta.eye`) per rendered frame, from
 * - `dataset`: the training clip's own eye track, back and forth along the same recorded order as the
 *   `dataset` pose path (so blinks fall where they fell in the clip);
 * - `open` / `closed` / a constant in [0, 1]: the same openness on every frame;
 * - `blink:<period_s>[,<duration_s>]`: a blink every `period_s` seconds, each lasting `duration_s`
 *   (default 0.2 s, a typical human blink of 100-400 ms), centred in its period.
 * @module
 */
import { pingPong } from "../camera/pose_path.ts";

/** Length of a blink when `blink:<period>` gives none, seconds. */
export const DEFAULT_BLINK_SECONDS = 0.2;

/** An eye-track choice of `deno task render --eyes`. */
export type EyeTrackSpec =
  | { readonly kind: "dataset" }
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "blink"; readonly period: number; readonly duration: number };

const USAGE = "dataset, open, closed, a constant in [0, 1], or blink:<period_s>[,<duration_s>]";

/**
 * Parses `dataset | open | closed | <constant in [0, 1]> | blink:<period_s>[,<duration_s>]`.
 * @param text The option's value.
 * @returns The choice.
 * @throws Naming `--eyes`, the value and what was expected.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseEyeTrackSpec } from "./eye_track.ts";
 * assertEquals(parseEyeTrackSpec("closed"), { kind: "constant", value: 0 });
 * assertEquals(parseEyeTrackSpec("blink:3,0.25"), { kind: "blink", period: 3, duration: 0.25 });
 * ```
 */
export function parseEyeTrackSpec(text: string): EyeTrackSpec {
  if (text === "dataset") return { kind: "dataset" };
  if (text === "open") return { kind: "constant", value: 1 };
  if (text === "closed") return { kind: "constant", value: 0 };
  const m = /^blink:([^,]*)(?:,(.*))?$/.exec(text);
  if (m) {
    const period = Number(m[1]);
    const duration = m[2] === undefined ? DEFAULT_BLINK_SECONDS : Number(m[2]);
    if (m[1].trim() === "" || !(period > 0) || !Number.isFinite(period)) {
      throw new Error(`--eyes blink:<period_s>[,<duration_s>]: the period must be seconds > 0: got ${m[1]}`);
    }
    if (m[2]?.trim() === "" || !(duration > 0) || !(duration <= period)) {
      throw new Error(
        `--eyes blink:<period_s>[,<duration_s>]: the duration must be seconds in (0, period = ${period}]: ` +
          `got ${m[2]}`,
      );
    }
    return { kind: "blink", period, duration };
  }
  const v = Number(text);
  if (text.trim() !== "" && Number.isFinite(v)) {
    if (v < 0 || v > 1) {
      throw new Error(`--eyes: a constant eye openness must be in [0, 1] (1 open, 0 shut): got ${text}`);
    }
    return { kind: "constant", value: v };
  }
  throw new Error(`--eyes must be ${USAGE}: got ${JSON.stringify(text)}`);
}

/**
 * Eye openness at time `t` under a blink schedule: open (1) except during the blinks, centred at
 * (k + 1/2) x period, where it follows 1 - sin^2(pi u) over the blink (u from 0 to 1): shut (0) at its
 * middle, smooth at both ends.
 * @param t Seconds from the start.
 * @param period Seconds between blinks.
 * @param duration Seconds a blink lasts (<= period).
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { blinkOpenness } from "./eye_track.ts";
 * assertAlmostEquals(blinkOpenness(1.5, 3, 0.2), 0);
 * assertAlmostEquals(blinkOpenness(0, 3, 0.2), 1);
 * ```
 */
export function blinkOpenness(t: number, period: number, duration: number): number {
  const phase = t - Math.floor(t / period) * period; // in [0, period)
  const u = (phase - (period - duration) / 2) / duration;
  if (u <= 0 || u >= 1) return 1;
  return 1 - Math.sin(Math.PI * u) ** 2;
}

/**
 * One eye openness per rendered frame for an `--eyes` choice.
 * @param spec The choice ({@linkcode parseEyeTrackSpec}).
 * @param recorded The dataset's eye openness per frame, in the order the `dataset` pose path plays its
 *   poses (undefined entries: the dataset has no eye signal).
 * @param n Frames to render.
 * @param fps Frames per second of the video (for blink schedules).
 * @param source Names the dataset in errors.
 * @returns `n` values in [0, 1].
 * @throws For `dataset` when a recorded frame has no eye openness.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolveEyeTrack } from "./eye_track.ts";
 * assertEquals(resolveEyeTrack({ kind: "dataset" }, [1, 0.5, 0], 5, 25), [1, 0.5, 0, 0.5, 1]);
 * ```
 */
export function resolveEyeTrack(
  spec: EyeTrackSpec,
  recorded: readonly (number | undefined)[],
  n: number,
  fps: number,
  source = "the dataset",
): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`resolveEyeTrack: n must be an integer >= 0: got ${n}`);
  switch (spec.kind) {
    case "constant":
      return new Array(n).fill(spec.value);
    case "blink":
      return Array.from({ length: n }, (_, k) => blinkOpenness(k / fps, spec.period, spec.duration));
    case "dataset": {
      const missing = recorded.findIndex((e) => e === undefined);
      if (recorded.length === 0 || missing >= 0) {
        throw new Error(
          `--eyes dataset: ${source} has no eye openness on ${
            recorded.length === 0 ? "any frame" : `frame ${missing} of its path`
          } (its transforms' "eye" fields, au.csv or landmarks): choose ${USAGE.replace("dataset, ", "")}`,
        );
      }
      return pingPong(recorded as readonly number[], n);
    }
  }
}
