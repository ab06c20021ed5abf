/**
 * Checkpoints: parameters, Adam moments, step, RNG state and the full config of a run, written
 * atomically, so a run can resume exactly and a render can rebuild the model.
 *
 * Layout in a run's folder: `checkpoint.json` (readable: format, step, config, dataset sizes, the name
 * and shape of every tensor) and `checkpoint-<step>.bin` (the float32 values it points to). The .bin is
 * written first and the .json after it (each via temp file + rename), so a crash leaves the previous
 * pair intact. The .json records the .bin's size and SHA-256, so a reader can tell the pair is one unit;
 * the writer keeps the .bin the previous .json named (a reader that read that .json a moment ago still
 * finds it) and removes older ones. Non-finite values are refused on both sides: a diverged trainer
 * does not replace a good checkpoint, and a checkpoint holding NaN or Inf is refused at load, naming the
 * parameter.
 * @module
 */
import { join } from "node:path";
import type { SspNerfConfig } from "../config/config.ts";
import { eyeCodeDim } from "../model/eye_code.ts";
import { writeFileAtomic } from "../io/mod.ts";
import { loadParams, serializeParamsAsync } from "../nn/mod.ts";
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
  readonly dataset: {
    readonly root: string;
    readonly audioFeatureDim: number;
    readonly numClasses: number;
    /** Image ids of the training frames, in order (written when the model learns a code per frame). */
    readonly trainImgIds?: readonly number[];
  };
  readonly bin: string;
  readonly params: Manifest;
  readonly optimizer: Manifest;
  /** Float offset of the optimizer's values in the .bin. */
  readonly optimizerOffset: number;
  /** Size of the .bin in bytes (absent in checkpoints written before it was recorded). */
  readonly binBytes?: number;
  /** SHA-256 of the .bin, hex (absent in checkpoints written before it was recorded). */
  readonly binSha256?: string;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The first tensor of `manifest` holding a NaN or an infinity, described for a message.
 * @param manifest Names, shapes and offsets into `data`.
 * @param data The values.
 * @returns e.g. `field.l0.w holds NaN at index 3 (5 of 64 values are not finite)`, or undefined.
 */
export function firstNonFinite(manifest: Manifest, data: Float32Array): string | undefined {
  for (const t of manifest) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const v = data.subarray(t.offset, t.offset + n);
    let first = -1, count = 0;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) {
        if (first < 0) first = i;
        count++;
      }
    }
    if (first >= 0) {
      return `${t.name} holds ${v[first]} at index ${first} (${count} of ${n} values are not finite)`;
    }
  }
  return undefined;
}

/**
 * Writes the trainer's checkpoint into `dir`.
 * @returns Path of the checkpoint.json written.
 */
export async function saveCheckpoint(trainer: Trainer, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  // Asynchronous reads: the same values on CPU backends, and possible on a GPU backend.
  const p = await serializeParamsAsync(trainer.model.params);
  const o = await serializeParamsAsync(trainer.optimizer.state());
  const state = trainer.state();
  const bin = `checkpoint-${state.step}.bin`;
  const bad = firstNonFinite(p.manifest, p.data) ?? firstNonFinite(o.manifest, o.data);
  if (bad) {
    throw new Error(
      `training diverged at step ${state.step}: parameter ${bad}; not saved, so the last checkpoint in ` +
        `${dir} is kept (lower train.lr, or resume from that checkpoint)`,
    );
  }
  const data = new Float32Array(p.data.length + o.data.length);
  data.set(p.data, 0);
  data.set(o.data, p.data.length);
  const bytes = new Uint8Array(data.buffer);
  const jsonPath = join(dir, "checkpoint.json");
  let previousBin: string | undefined;
  try {
    previousBin = JSON.parse(await Deno.readTextFile(jsonPath)).bin;
  } catch { /* no previous checkpoint */ }
  await writeFileAtomic(join(dir, bin), bytes);
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    step: state.step,
    state,
    config: trainer.config,
    dataset: {
      root: trainer.dataset.root,
      audioFeatureDim: trainer.dataset.audio!.shape[2],
      numClasses: trainer.dataset.numClasses,
      ...(trainer.config.pose?.frameCode && { trainImgIds: trainer.scene.setup.trainImgIds }),
    },
    bin,
    params: p.manifest,
    optimizer: o.manifest,
    optimizerOffset: p.data.length,
    binBytes: bytes.byteLength,
    binSha256: await sha256Hex(bytes),
  };
  await writeFileAtomic(jsonPath, JSON.stringify(meta, null, 1));
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^checkpoint-\d+\.bin$/.test(e.name) && e.name !== bin && e.name !== previousBin) {
      try {
        await Deno.remove(join(dir, e.name));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
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

/**
 * A checkpoint with per-frame pose codes (`pose.frameCode`) records its training frames' ids and holds one
 * code per frame, by position: the dataset must list the same training frames in the same order.
 * (A checkpoint without the ids leaves the check to the codes' shape, [frames, D].)
 * @throws Naming the checkpoint, both frame counts and the first frame that differs.
 */
export function checkFrameCodeFrames(
  meta: CheckpointMeta,
  jsonPath: string,
  trainImgIds: readonly number[],
): void {
  const saved = meta.dataset.trainImgIds;
  if (!saved) return;
  const at = trainImgIds.findIndex((id, i) => id !== saved[i]);
  if (at < 0 && saved.length === trainImgIds.length) return;
  const first = at >= 0
    ? `frame ${at + 1} has img_id ${trainImgIds[at]} where the checkpoint's has ${saved[at] ?? "none"}`
    : `its first ${trainImgIds.length} agree with the checkpoint's`;
  throw new Error(
    `checkpoint ${jsonPath} learned a pose code for each of its ${saved.length} training frames ` +
      `(pose.frameCode), but transforms_train.json lists ${trainImgIds.length} (${first}): ` +
      `use the dataset it was trained on`,
  );
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
    eyeCode: eyeCodeDim(c.eye),
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
 * Reads checkpoint.json and the .bin it names as one unit: the .bin must have the size and SHA-256 the
 * .json records. A training run may replace both while this reads; when the .bin is missing or does not
 * match, or the folder is missing for a moment (a run replacing another), the pair is read once more.
 * @param path checkpoint.json, or the folder holding it.
 * @returns The metadata, the .json's path and the .bin's values.
 * @throws When the pair is still inconsistent on the second read, naming both files.
 */
export async function readCheckpoint(
  path: string,
): Promise<{ meta: CheckpointMeta; jsonPath: string; binPath: string; data: Float32Array }> {
  let problem = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    let read: { meta: CheckpointMeta; jsonPath: string };
    try {
      read = await readCheckpointMeta(path);
    } catch (e) {
      // A run replacing the folder's old run renames two folders: for a moment there is none.
      if (attempt > 0 || !(e instanceof Error && e.message.endsWith("no such file or folder"))) throw e;
      await new Promise((r) => setTimeout(r, 100));
      problem = e.message;
      continue;
    }
    const { meta, jsonPath } = read;
    const binPath = join(jsonPath, "..", meta.bin);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(binPath);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      problem = `checkpoint ${jsonPath}: its data file ${binPath} is missing`;
      continue;
    }
    if (meta.binBytes !== undefined && bytes.byteLength !== meta.binBytes) {
      problem = `checkpoint ${jsonPath}: its data file ${binPath} has ${bytes.byteLength} bytes, ` +
        `checkpoint.json expects ${meta.binBytes}`;
      continue;
    }
    if (meta.binSha256 !== undefined && (await sha256Hex(bytes)) !== meta.binSha256) {
      problem =
        `checkpoint ${jsonPath}: its data file ${binPath} does not match the SHA-256 in checkpoint.json`;
      continue;
    }
    if (bytes.byteLength % 4 !== 0) {
      throw new Error(
        `checkpoint ${binPath}: ${bytes.byteLength} bytes is not a whole number of float32 values`,
      );
    }
    const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return { meta, jsonPath, binPath, data };
  }
  throw new Error(
    `${problem} (read twice: a training run writing this folder right now, or a damaged checkpoint)`,
  );
}

/**
 * Loads a checkpoint into a trainer built for the same architecture and data: parameters, optimizer
 * moments, step and RNG state. Throws a clear error naming the checkpoint and the first difference
 * when the trainer's config or data do not match it, and naming the parameter when a value is NaN or
 * infinite (a diverged run). Safe to call while a training run writes new checkpoints into the folder
 * (see {@linkcode readCheckpoint}).
 */
export async function loadCheckpoint(trainer: Trainer, path: string): Promise<CheckpointMeta> {
  const { meta, jsonPath, binPath, data } = await readCheckpoint(path);
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
  checkFrameCodeFrames(meta, jsonPath, trainer.scene.setup.trainImgIds);
  const params = data.subarray(0, meta.optimizerOffset), moments = data.subarray(meta.optimizerOffset);
  const bad = firstNonFinite(meta.params, params);
  const badMoment = bad ? undefined : firstNonFinite(meta.optimizer, moments);
  if (bad || badMoment) {
    throw new Error(
      `checkpoint ${binPath} (step ${meta.step}): ${bad ? "parameter" : "optimizer moment"} ${
        bad ?? badMoment
      }: the run had diverged when it was saved; use an earlier checkpoint or train again (lower train.lr)`,
    );
  }
  loadParams(trainer.model.params, meta.params, params, binPath);
  loadParams(trainer.optimizer.state(), meta.optimizer, moments, binPath);
  trainer.restore(meta.state);
  return meta;
}
