/**
 * Reading configurations written by older versions: the loss weights used to live in three sections
 * (`train.coarseWeight`, `parsing.lambdaSem`, `torso.penalty`) and are now the one `loss` section; the
 * `pose` section is new (configs without one use the Euler pose code, as before), and so is `eye` (configs
 * without one have no eye conditioning).
 * @module
 */
import type { SspNerfConfig } from "./config.ts";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Moves the old loss fields of a configuration (or of an override patch) into its `loss` section:
 * `train.coarseWeight` -> `loss.rgbCoarse`, `parsing.lambdaSem` -> `loss.semantic` (and
 * `loss.semanticCoarse` = lambdaSem x coarseWeight, as the old trainer weighed it), `torso.penalty` ->
 * `loss.deformation`. A complete configuration also gets the defaults of what it lacks: `pose` (Euler)
 * and, when it had none of the old fields either, no `loss` (validation then names it).
 * @param json A configuration or patch as read from JSON (not modified).
 * @param source Names the file in errors.
 * @param options `complete`: `json` is a whole configuration (fill `pose`, take missing old fields at
 *   their old defaults: coarseWeight 1, lambdaSem 0, penalty 0).
 * @returns The upgraded copy.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { upgradeConfigFields } from "./upgrade.ts";
 * const patch = upgradeConfigFields({ parsing: { lambdaSem: 0 } }, "ablation.json");
 * assertEquals(patch, { parsing: {}, loss: { semantic: 0, semanticCoarse: 0 } });
 * ```
 */
export function upgradeConfigFields(
  json: Json,
  source: string,
  options: { readonly complete?: boolean } = {},
): Json {
  const out: Json = { ...json };
  const take = (section: string, field: string): number | undefined => {
    const s = out[section];
    if (!isObject(s) || !(field in s)) return undefined;
    const { [field]: value, ...rest } = s;
    out[section] = rest;
    if (typeof value !== "number") {
      throw new Error(
        `${source}: ${section}.${field} (an old loss weight) must be a number: got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  const coarseWeight = take("train", "coarseWeight");
  const lambdaSem = take("parsing", "lambdaSem");
  const penalty = take("torso", "penalty");
  const old = coarseWeight !== undefined || lambdaSem !== undefined || penalty !== undefined;
  if (old) {
    if (isObject(json.loss)) {
      throw new Error(
        `${source}: give the loss weights in the loss section only: the old field ` +
          `${
            coarseWeight !== undefined
              ? "train.coarseWeight"
              : lambdaSem !== undefined
              ? "parsing.lambdaSem"
              : "torso.penalty"
          } ` +
          `was given beside it`,
      );
    }
    const loss: Json = {};
    const complete = options.complete ?? false;
    const c = coarseWeight ?? (complete ? 1 : undefined);
    const l = lambdaSem ?? (complete ? 0 : undefined);
    if (complete) loss.rgb = 1;
    if (c !== undefined) loss.rgbCoarse = c;
    if (l !== undefined) {
      loss.semantic = l;
      loss.semanticCoarse = l * (c ?? 1);
    }
    const p = penalty ?? (complete ? 0 : undefined);
    if (p !== undefined) loss.deformation = p;
    out.loss = loss;
  }
  if (options.complete && !("pose" in out)) out.pose = { kind: "euler" };
  // Configurations from before eye-blink conditioning: the model without it.
  if (options.complete && !("eye" in out)) out.eye = { enabled: false, freqs: 2 };
  return out;
}

/**
 * A whole configuration as read from an older (or current) JSON file; see {@linkcode upgradeConfigFields}.
 * @param json The parsed JSON.
 * @param source Names the file in errors.
 */
export function upgradeConfig(json: unknown, source: string): SspNerfConfig {
  if (!isObject(json)) throw new Error(`${source}: a configuration must be a JSON object`);
  return upgradeConfigFields(json, source, { complete: true }) as unknown as SspNerfConfig;
}
