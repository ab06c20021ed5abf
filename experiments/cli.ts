/**
 * Small helpers shared by the experiment scripts: argument parsing with clear errors, and config
 * loading by preset name or JSON file. Library code never reads arguments; only these scripts do.
 * @module
 */
import { parseArgs } from "node:util";
import { basename } from "node:path";
import {
  override,
  PRESETS,
  type SspNerfConfig,
  upgradeConfig,
  upgradeConfigFields,
  validateConfig,
} from "../lib/config/mod.ts";
import { BACKEND_NAMES, type BackendName } from "../lib/backend/mod.ts";

/** Option spec for node:util parseArgs. */
export type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; default?: string | boolean; help: string }
>;

/**
 * Parses `args` against `spec`; prints usage and exits with code 2 on an unknown flag or `--help`.
 */
export function parseCli<S extends OptionSpec>(
  args: string[],
  spec: S,
  usage: string,
): { [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : string | undefined } {
  const help = () =>
    `${usage}\n\nOptions:\n` +
    Object.entries(spec).map(([k, v]) =>
      `  --${k}${v.type === "string" ? " <value>" : ""}  ${v.help}` +
      (v.default !== undefined ? ` (default: ${v.default})` : "")
    ).join("\n");
  let values: Record<string, unknown>;
  try {
    const options: Record<string, { type: "string" | "boolean"; default?: string | boolean }> = {
      help: { type: "boolean" },
    };
    for (const [k, v] of Object.entries(spec)) options[k] = { type: v.type, default: v.default };
    values = parseArgs({ args, options, strict: true }).values;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : e}\n\n${help()}`);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(help());
    Deno.exit(0);
  }
  return values as never;
}

/**
 * The `--backend` and `--require-gpu` options every task takes: spread into its parseCli spec and pass
 * {@linkcode backendOptions} of the parsed values to `initBackend`.
 */
export const BACKEND_FLAGS = {
  backend: {
    type: "string",
    help: "tfjs backend: wasm | webgpu | cpu (default: $SSP_BACKEND, else wasm)",
  },
  "require-gpu": {
    type: "boolean",
    default: false,
    help: "with webgpu: fail unless the adapter is a hardware GPU (not a software one such as lavapipe)",
  },
} as const satisfies OptionSpec;

/**
 * initBackend's options from the parsed `--backend` / `--require-gpu`; without `--backend`, the
 * environment variable SSP_BACKEND, else wasm. Throws naming the flag (or variable) on a bad name.
 */
export function backendOptions(
  values: { backend?: string; "require-gpu"?: boolean },
  env: string | undefined = Deno.env.get("SSP_BACKEND"),
): { backend: BackendName; requireGpu: boolean } {
  const source = values.backend !== undefined ? "--backend" : "SSP_BACKEND";
  const name = values.backend ?? (env || "wasm");
  if (!BACKEND_NAMES.includes(name as BackendName)) {
    throw new Error(`${source} must be one of ${BACKEND_NAMES.join(", ")}: got ${JSON.stringify(name)}`);
  }
  return { backend: name as BackendName, requireGpu: values["require-gpu"] ?? false };
}

/**
 * A config from a preset name ("small", "paper", ...) or a JSON file; `patch` (e.g. from --steps) is
 * applied on top. A JSON file may be a whole config or `{ "base": "<preset>", "override": {...} }`.
 */
export async function loadConfig(
  nameOrPath: string,
  patch: Record<string, unknown> = {},
): Promise<SspNerfConfig> {
  let config: SspNerfConfig;
  if (nameOrPath in PRESETS) {
    config = PRESETS[nameOrPath];
  } else if (nameOrPath.endsWith(".json")) {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(await Deno.readTextFile(nameOrPath));
    } catch (e) {
      throw new Error(`config ${nameOrPath}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
    }
    if (typeof json.base === "string") {
      const base = PRESETS[json.base];
      if (!base) {
        throw new Error(
          `config ${nameOrPath}: base must be one of ${Object.keys(PRESETS).join(", ")}: got ${json.base}`,
        );
      }
      const patch = upgradeConfigFields(
        (json.override ?? {}) as Record<string, unknown>,
        `config ${nameOrPath}`,
      );
      // Without a name of its own, an override file is named after itself (not after its base, whose run
      // folder it would otherwise train into).
      if (patch.name === undefined) patch.name = basename(nameOrPath, ".json");
      config = override(base, patch as never);
    } else {
      config = upgradeConfig(json, `config ${nameOrPath}`);
    }
  } else {
    throw new Error(
      `config must be a preset (${Object.keys(PRESETS).join(", ")}) or a .json file: got ${nameOrPath}`,
    );
  }
  config = override(config, patch as never);
  validateConfig(config, `config ${nameOrPath}`);
  return config;
}

/** Runs `main`, printing an error's message (not a stack) and exiting 1 on failure. */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // What tfjs-backend-webgpu throws in Deno on a synchronous read (dataSync) of a GPU tensor.
    const hint = message.includes("clearRect")
      ? " (a synchronous read of a GPU tensor: this code path still calls dataSync, which the webgpu backend " +
        "cannot do in Deno; run it with --backend wasm)"
      : "";
    console.error(`error: ${message}${hint}`);
    Deno.exit(1);
  }
}

/**
 * An integer flag, checked before any work starts.
 * @param value The flag's text (undefined when absent).
 * @param flag Its name without dashes, for the message.
 * @param min Smallest allowed value. @default 1
 * @returns The number, or undefined when the flag is absent.
 * @throws Naming the flag and what it must be.
 */
export function intFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === "" || !Number.isInteger(x) || x < min) {
    throw new Error(`--${flag} must be an integer >= ${min}: got ${JSON.stringify(value)}`);
  }
  return x;
}

/**
 * A number flag, checked before any work starts.
 * @param value The flag's text (undefined when absent).
 * @param flag Its name without dashes, for the message.
 * @param range `gt` (exclusive) or `min` (inclusive) lower bound, `max` inclusive upper bound.
 * @returns The number, or undefined when the flag is absent.
 * @throws Naming the flag and what it must be.
 */
export function numberFlag(
  value: string | undefined,
  flag: string,
  range: { readonly gt?: number; readonly min?: number; readonly max?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  const bounds = [
    ...(range.gt !== undefined ? [`> ${range.gt}`] : []),
    ...(range.min !== undefined ? [`>= ${range.min}`] : []),
    ...(range.max !== undefined ? [`<= ${range.max}`] : []),
  ];
  if (
    value.trim() === "" || !Number.isFinite(x) || (range.gt !== undefined && !(x > range.gt)) ||
    (range.min !== undefined && x < range.min) || (range.max !== undefined && x > range.max)
  ) {
    throw new Error(
      `--${flag} must be a number${bounds.length ? " " + bounds.join(" and ") : ""}: got ${
        JSON.stringify(value)
      }`,
    );
  }
  return x;
}

/**
 * A flag that takes one of a few words, checked before any work starts.
 * @param value The flag's text (undefined when absent).
 * @param flag Its name without dashes, for the message.
 * @param choices The accepted words.
 * @returns The word, or undefined when the flag is absent.
 * @throws Naming the flag and the accepted words.
 */
export function choiceFlag<T extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) {
    throw new Error(`--${flag} must be ${choices.join(" or ")}: got ${JSON.stringify(value)}`);
  }
  return value as T;
}
