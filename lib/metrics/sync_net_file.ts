/**
 * Saving and loading a trained SS-Sync network (sync_net.ts): a JSON file with the config and the
 * parameter manifest, beside a binary file of the weights, both written atomically.
 * Tested in sync_net_test.ts (a trained network saved, loaded and scored again).
 * @module
 */
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../io/atomic.ts";
import { loadParams, type ParamEntry, serializeParams } from "../nn/serialize.ts";
import { SsSyncNet } from "./sync_net.ts";
import type { SsSyncConfig } from "./sync_windows.ts";
import { SS_SYNC_NAME } from "./sync_offsets.ts";

/** Format tag of a saved SS-Sync model. */
export const SS_SYNC_FORMAT = "ssp-nerf-ss-sync/1";

/** What the JSON file of a saved SS-Sync model holds (the weights are in the .bin it names). */
export interface SsSyncFile {
  readonly format: string;
  readonly name: string;
  readonly warning: string;
  readonly config: SsSyncConfig;
  /** Free-form record of how it was trained (clip, steps, loss, seconds). */
  readonly training: Record<string, unknown>;
  /** File name of the float32 weights, beside the JSON. */
  readonly bin: string;
  readonly params: ParamEntry[];
}

/**
 * Saves a model as `<path>` (JSON: format, config, training record, tensor names and shapes) and the
 * float32 weights beside it (`<path without .json>.bin`), each written atomically, the .bin first.
 * @param model The network.
 * @param path Where the JSON goes; must end in ".json".
 * @param training A record of how it was trained, stored as is.
 */
export async function saveSsSync(
  model: SsSyncNet,
  path: string,
  training: Record<string, unknown> = {},
): Promise<void> {
  if (!path.endsWith(".json")) throw new Error(`saveSsSync: path must end in .json: got ${path}`);
  const { manifest, data } = serializeParams(model.params);
  const bin = path.slice(0, -5).split(/[\\/]/).pop() + ".bin";
  await Deno.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(
    join(dirname(path), bin),
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  const file: SsSyncFile = {
    format: SS_SYNC_FORMAT,
    name: SS_SYNC_NAME,
    warning: "subject-trained substitute: never compare its numbers with SyncNet, LSE-C or LSE-D",
    config: model.config,
    training,
    bin,
    params: manifest,
  };
  await writeFileAtomic(path, JSON.stringify(file, null, 1) + "\n");
}

/**
 * Loads a model written by {@linkcode saveSsSync}.
 * @param path The JSON file.
 * @returns The network (dispose it) and the file's training record.
 */
export async function loadSsSync(
  path: string,
): Promise<{ model: SsSyncNet; training: Record<string, unknown> }> {
  let file: SsSyncFile;
  try {
    file = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`loadSsSync: ${path}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
  }
  if (file.format !== SS_SYNC_FORMAT) {
    throw new Error(
      `loadSsSync: ${path}: format is ${JSON.stringify(file.format)}, expected "${SS_SYNC_FORMAT}"`,
    );
  }
  const binPath = join(dirname(path), file.bin);
  const bytes = await Deno.readFile(binPath);
  if (bytes.byteLength % 4 !== 0) {
    throw new Error(
      `loadSsSync: ${binPath} has ${bytes.byteLength} bytes, expected a multiple of 4 (float32)`,
    );
  }
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const model = new SsSyncNet(file.config);
  try {
    loadParams(model.params, file.params, data, path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, training: file.training ?? {} };
}
