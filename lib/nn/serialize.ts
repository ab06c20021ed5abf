/**
 * Named-tensor serialisation of model parameters for checkpoints: a JSON-able manifest plus one flat
 * float32 buffer. Files are written elsewhere (lib/train); this module only converts and checks.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** One parameter in a checkpoint: its key, shape, and first element's index in the data buffer. */
export interface ParamEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 elements (not bytes) into the data buffer. */
  readonly offset: number;
}

/** Parameters as a manifest and one buffer. */
export interface SerializedParams {
  readonly manifest: ParamEntry[];
  readonly data: Float32Array;
}

/**
 * Copies every variable into one float32 buffer, in the map's order, with a manifest of keys and shapes.
 * @param params Variables by checkpoint key.
 * @returns Manifest (offsets in elements) and data.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { serializeParams } from "./serialize.ts";
 * const a = tf.variable(tf.tensor2d([[1, 2], [3, 4]])), b = tf.variable(tf.tensor1d([5]));
 * const { manifest, data } = serializeParams(new Map<string, tf.Variable>([["a", a], ["b", b]]));
 * assertEquals(manifest, [{ name: "a", shape: [2, 2], offset: 0 }, { name: "b", shape: [1], offset: 4 }]);
 * assertEquals(Array.from(data), [1, 2, 3, 4, 5]);
 * a.dispose(), b.dispose();
 * ```
 */
export function serializeParams(params: ReadonlyMap<string, tf.Variable>): SerializedParams {
  const { manifest, data } = paramLayout(params);
  for (const [i, v] of [...params.values()].entries()) {
    data.set(v.dataSync() as Float32Array, manifest[i].offset);
  }
  return { manifest, data };
}

/** The manifest of `params` (names, shapes, offsets in map order) and an array sized for their values. */
function paramLayout(params: ReadonlyMap<string, tf.Variable>): SerializedParams {
  const manifest: ParamEntry[] = [];
  let offset = 0;
  for (const [name, v] of params) {
    if (v.dtype !== "float32") {
      throw new Error(`serialize.ts: parameter ${name} is ${v.dtype}, only float32 is stored`);
    }
    manifest.push({ name, shape: [...v.shape], offset });
    offset += v.size;
  }
  return { manifest, data: new Float32Array(offset) };
}

/**
 * {@linkcode serializeParams} with asynchronous reads (`await v.data()`), for GPU backends, where a
 * synchronous read of a GPU tensor throws in Deno. The same manifest and values.
 * @param params Parameters by name (float32).
 * @returns The manifest and the values, concatenated in map order.
 */
export async function serializeParamsAsync(
  params: ReadonlyMap<string, tf.Variable>,
): Promise<SerializedParams> {
  const { manifest, data } = paramLayout(params);
  for (const [i, v] of [...params.values()].entries()) {
    data.set(await v.data() as Float32Array, manifest[i].offset);
  }
  return { manifest, data };
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/**
 * Assigns checkpoint values to a model's variables after checking, before touching any variable, that the
 * checkpoint holds exactly the model's keys with the same shapes and that every range lies in the data.
 * @param params The model's variables by key (e.g. from `collectParams`).
 * @param manifest Entries read from the checkpoint.
 * @param data The checkpoint's float32 buffer.
 * @param source Names the checkpoint in errors, e.g. "runs/x/ckpt.bin".
 * @throws E.g. "checkpoint runs/x/ckpt.bin: parameter field.l0.w has shape [63,128], model expects [63,256]".
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { loadParams } from "./serialize.ts";
 * const v = tf.variable(tf.zeros([2]));
 * loadParams(new Map([["v", v]]), [{ name: "v", shape: [2], offset: 1 }], Float32Array.from([9, 7, 8]), "demo.bin");
 * assertEquals(Array.from(v.dataSync()), [7, 8]);
 * assertThrows(() => loadParams(new Map([["v", v]]), [{ name: "v", shape: [3], offset: 0 }], new Float32Array(3), "demo.bin"),
 *   Error, "checkpoint demo.bin: parameter v has shape [3], model expects [2]");
 * v.dispose();
 * ```
 */
export function loadParams(
  params: ReadonlyMap<string, tf.Variable>,
  manifest: readonly ParamEntry[],
  data: Float32Array,
  source: string,
): void {
  const where = `checkpoint ${source}`;
  if (!Array.isArray(manifest)) {
    throw new Error(`${where}: manifest must be an array of {name, shape, offset}`);
  }
  const byName = new Map<string, ParamEntry>();
  for (const e of manifest) {
    const ok = e && typeof e.name === "string" && Array.isArray(e.shape) &&
      e.shape.every((d: number) => Number.isInteger(d) && d >= 0) && Number.isInteger(e.offset) &&
      e.offset >= 0;
    if (!ok) {
      throw new Error(`${where}: bad manifest entry ${JSON.stringify(e)}: expected {name, shape, offset}`);
    }
    if (byName.has(e.name)) throw new Error(`${where}: parameter ${e.name} appears twice in the manifest`);
    byName.set(e.name, e);
  }
  for (const name of byName.keys()) {
    if (!params.has(name)) {
      throw new Error(
        `${where}: parameter ${name} is not in the model (model has ${[...params.keys()].join(", ")})`,
      );
    }
  }
  for (const [name, v] of params) {
    const e = byName.get(name);
    if (!e) throw new Error(`${where}: parameter ${name} is missing (model expects ${fmt(v.shape)})`);
    if (fmt(e.shape) !== fmt(v.shape)) {
      throw new Error(`${where}: parameter ${name} has shape ${fmt(e.shape)}, model expects ${fmt(v.shape)}`);
    }
    if (e.offset + v.size > data.length) {
      throw new Error(
        `${where}: parameter ${name} needs values [${e.offset}, ${
          e.offset + v.size
        }) but the data holds ${data.length}`,
      );
    }
  }
  for (const [name, v] of params) {
    const e = byName.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(data.subarray(e.offset, e.offset + v.size), v.shape, "float32")));
  }
}
