/**
 * Checkpoints: parameters, Adam moments, step, RNG state and the full config of a run, written
 * atomically, so a run can resume exactly and a render can rebuild the model.
 *
 * Layout in a run's folder: `checkpoint.json` (readable: format, step, config, dataset sizes, the name
 * and shape of every tensor) and `checkpoint-<step>.bin` (the float32 values it points to). The .bin is
 * written first and the .json after it (each via temp file + rename), so a crash leaves the previous
 * pair intact; older .bin files are removed after the new .json is in place.
 * @module
 */
import { join } from "node:path";
import type { SspNerfConfig } from "../config/config.ts";
import { writeFileAtomic } from "../io/mod.ts";
import { loadParams, serializeParams } from "../nn/mod.ts";
import type { Trainer, TrainerState } from "./trainer.ts";

/** Format tag of checkpoint.json. */
export const CHECKPOINT_FORMAT = "ssp-nerf-checkpoint/1";

type Manifest = readonly {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
}[];

/** The contents of checkpoint.json. */
export interface CheckpointMeta {
  readonly format: string;
  readonly step: number;
  readonly state: TrainerState;
  readonly config: SspNerfConfig;
  readonly dataset: { readonly root: string; readonly audioFeatureDim: number; readonly numClasses: number };
  readonly bin: string;
  readonly params: Manifest;
  readonly optimizer: Manifest;
  /** Float offset of the optimizer's values in the .bin. */
  readonly optimizerOffset: number;
}

/**
 * Writes the trainer's checkpoint into `dir`.
 * @returns Path of the checkpoint.json written.
 */
export async function saveCheckpoint(trainer: Trainer, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const p = serializeParams(trainer.model.params);
  const o = serializeParams(trainer.optimizer.state());
  const state = trainer.state();
  const bin = `checkpoint-${state.step}.bin`;
  const data = new Float32Array(p.data.length + o.data.length);
  data.set(p.data, 0);
  data.set(o.data, p.data.length);
  await writeFileAtomic(join(dir, bin), new Uint8Array(data.buffer));
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    step: state.step,
    state,
    config: trainer.config,
    dataset: {
      root: trainer.dataset.root,
      audioFeatureDim: trainer.dataset.audio!.shape[2],
      numClasses: trainer.dataset.numClasses,
    },
    bin,
    params: p.manifest,
    optimizer: o.manifest,
    optimizerOffset: p.data.length,
  };
  const jsonPath = join(dir, "checkpoint.json");
  await writeFileAtomic(jsonPath, JSON.stringify(meta, null, 1));
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^checkpoint-\d+\.bin$/.test(e.name) && e.name !== bin) {
      await Deno.remove(join(dir, e.name));
    }
  }
  return jsonPath;
}

/** Reads and checks checkpoint.json (a path to the file or to the folder holding it). */
export async function readCheckpointMeta(path: string): Promise<{ meta: CheckpointMeta; jsonPath: string }> {
  let jsonPath = path;
  try {
    if ((await Deno.stat(path)).isDirectory) jsonPath = join(path, "checkpoint.json");
  } catch {
    throw new Error(`checkpoint ${path}: no such file or folder`);
  }
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new Error(`checkpoint ${jsonPath}: cannot read it as JSON (${e instanceof Error ? e.message : e})`);
  }
  if (meta.format !== CHECKPOINT_FORMAT) {
    throw new Error(
      `checkpoint ${jsonPath}: format must be "${CHECKPOINT_FORMAT}": got ${JSON.stringify(meta.format)}`,
    );
  }
  return { meta, jsonPath };
}

/** The config fields that decide the model's shape; a checkpoint and a model must agree on them. */
function architecture(c: SspNerfConfig) {
  return {
    field: c.field,
    audio: {
      dimAud: c.audio.dimAud,
      convChannels: c.audio.convChannels,
      smoothing: c.audio.smoothing.enabled,
      seqLen: c.audio.smoothing.seqLen,
    },
    parsing: c.parsing.enabled,
    fine: c.points.numFine > 0,
  };
}

function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b)
    ? undefined
    : `${path}: checkpoint has ${JSON.stringify(a)}, model has ${JSON.stringify(b)}`;
}

/**
 * Loads a checkpoint into a trainer built for the same architecture and data: parameters, optimizer
 * moments, step and RNG state. Throws a clear error naming the checkpoint and the first difference
 * when the trainer's config or data do not match it.
 */
export async function loadCheckpoint(trainer: Trainer, path: string): Promise<CheckpointMeta> {
  const { meta, jsonPath } = await readCheckpointMeta(path);
  const diff = firstDifference(architecture(meta.config), architecture(trainer.config), "config");
  if (diff) throw new Error(`checkpoint ${jsonPath} was made with another model configuration: ${diff}`);
  const dsAud = trainer.dataset.audio!.shape[2];
  if (meta.dataset.audioFeatureDim !== dsAud) {
    throw new Error(
      `checkpoint ${jsonPath} was trained on audio features of width ${meta.dataset.audioFeatureDim}; ` +
        `this dataset's aud.npy has width ${dsAud}`,
    );
  }
  if (meta.config.parsing.enabled && meta.dataset.numClasses !== trainer.dataset.numClasses) {
    throw new Error(
      `checkpoint ${jsonPath} parses ${meta.dataset.numClasses} classes; this dataset has ${trainer.dataset.numClasses}`,
    );
  }
  const binPath = join(jsonPath, "..", meta.bin);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(binPath);
  } catch {
    throw new Error(`checkpoint ${jsonPath}: its data file ${binPath} is missing`);
  }
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  loadParams(trainer.model.params, meta.params, data.subarray(0, meta.optimizerOffset), binPath);
  loadParams(trainer.optimizer.state(), meta.optimizer, data.subarray(meta.optimizerOffset), binPath);
  trainer.restore(meta.state);
  return meta;
}
