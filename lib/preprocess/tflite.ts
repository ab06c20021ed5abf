/**
 * A small TensorFlow Lite interpreter on tfjs: the `.tflite` flatbuffer read directly (schema v3:
 * Model -> SubGraph -> Tensor / Operator / Buffer), float32 and float16 weights, and the operators of
 * MediaPipe's selfie segmentation models (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MEAN, ADD, MUL,
 * RELU, HARD_SWISH, LOGISTIC, RESIZE_BILINEAR, DEQUANTIZE and MediaPipe's custom
 * Convolution2DTransposeBias).
 *
 * Why not a tflite runtime: `@tensorflow/tfjs-tflite`'s wasm runs under Deno (its Emscripten factory
 * loaded by hand), but refuses these models with "Encountered unresolved custom op:
 * Convolution2DTransposeBias" (the op lives in MediaPipe's resolver, not TFLite's); MediaPipe's own wasm
 * takes its input only as a WebGL texture (Deno has no WebGL). An operator outside the list fails with
 * an error naming it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Element types of the tflite schema this reader handles. */
const TENSOR_TYPES: Record<number, string> = { 0: "float32", 1: "float16", 2: "int32" };

/** Builtin operator codes of the tflite schema (the ones handled here). */
const BUILTIN: Record<number, string> = {
  0: "ADD",
  1: "AVERAGE_POOL_2D",
  3: "CONV_2D",
  4: "DEPTHWISE_CONV_2D",
  6: "DEQUANTIZE",
  14: "LOGISTIC",
  18: "MUL",
  19: "RELU",
  23: "RESIZE_BILINEAR",
  32: "CUSTOM",
  40: "MEAN",
  117: "HARD_SWISH",
};

/** One tensor of the graph; `data` holds the raw bytes of a constant. */
export interface TfliteTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: string;
  readonly data?: Uint8Array;
}

/** One operator: its name (builtin or custom), tensor ids and the options it uses. */
export interface TfliteOperator {
  readonly op: string;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Builtin options table position (read lazily by the executor) or custom options bytes. */
  readonly options: Readonly<Record<string, number>>;
}

/** The first subgraph of a model. */
export interface TfliteGraph {
  readonly tensors: readonly TfliteTensor[];
  readonly operators: readonly TfliteOperator[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** Option fields per builtin operator: [name, schema field index, byte width, default]. */
const OPTION_FIELDS: Record<string, readonly (readonly [string, number, 1 | 4, number])[]> = {
  CONV_2D: [["padding", 0, 1, 0], ["strideW", 1, 4, 0], ["strideH", 2, 4, 0], ["activation", 3, 1, 0], [
    "dilationW",
    4,
    4,
    1,
  ], ["dilationH", 5, 4, 1]],
  DEPTHWISE_CONV_2D: [
    ["padding", 0, 1, 0],
    ["strideW", 1, 4, 0],
    ["strideH", 2, 4, 0],
    ["depthMultiplier", 3, 4, 0],
    ["activation", 4, 1, 0],
    ["dilationW", 5, 4, 1],
    ["dilationH", 6, 4, 1],
  ],
  AVERAGE_POOL_2D: [["padding", 0, 1, 0], ["strideW", 1, 4, 0], ["strideH", 2, 4, 0], ["filterW", 3, 4, 0], [
    "filterH",
    4,
    4,
    0,
  ], ["activation", 5, 1, 0]],
  ADD: [["activation", 0, 1, 0]],
  MUL: [["activation", 0, 1, 0]],
  RESIZE_BILINEAR: [["alignCorners", 2, 1, 0], ["halfPixelCenters", 3, 1, 0]],
  MEAN: [["keepDims", 0, 1, 0]],
};

/**
 * Reads the first subgraph of a `.tflite` file (flatbuffer, tflite schema v3).
 * @param bytes The file.
 * @param source Names the file in errors.
 * @returns Tensors (constants with their bytes), operators with their options, graph inputs and outputs.
 * @throws When the file is not a tflite model, or uses a tensor type or operator outside this reader's set.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseTflite } from "./tflite.ts";
 * import { selfieModelPath } from "./selfie_segmentation.ts";
 * const g = parseTflite(await Deno.readFile(selfieModelPath()));
 * assertEquals(g.tensors[g.inputs[0]].shape, [1, 256, 256, 3]); // NHWC, RGB in [0, 1]
 * ```
 */
export function parseTflite(bytes: Uint8Array, source = "tflite model"): TfliteGraph {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== "TFL3") {
    throw new Error(`${source}: not a TensorFlow Lite model: expected the file identifier TFL3 at byte 4`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (p: number) => dv.getUint32(p, true), i32 = (p: number) => dv.getInt32(p, true);
  const u16 = (p: number) => dv.getUint16(p, true);
  // A table's field i: position of its value, or 0 when absent (the default applies).
  const field = (t: number, i: number) => {
    const vt = t - i32(t);
    const o = 4 + 2 * i;
    if (o >= u16(vt)) return 0;
    const f = u16(vt + o);
    return f ? t + f : 0;
  };
  const table = (p: number) => p + u32(p);
  const vector = (p: number): [number, number] => {
    const v = p + u32(p);
    return [v + 4, u32(v)];
  };
  const ints = (p: number) => {
    if (!p) return [];
    const [s, n] = vector(p);
    return Array.from({ length: n }, (_, k) => i32(s + 4 * k));
  };
  const text = (p: number) => {
    if (!p) return "";
    const [s, n] = vector(p);
    return new TextDecoder().decode(bytes.subarray(s, s + n));
  };
  const root = u32(0);
  const [bufStart, nBuf] = vector(field(root, 4));
  const buffers = Array.from({ length: nBuf }, (_, k) => {
    const f = field(table(bufStart + 4 * k), 0);
    if (!f) return undefined;
    const [s, n] = vector(f);
    return n ? bytes.subarray(s, s + n) : undefined;
  });
  const [codeStart, nCodes] = vector(field(root, 1));
  const codes = Array.from({ length: nCodes }, (_, k) => {
    const t = table(codeStart + 4 * k);
    const f3 = field(t, 3), f0 = field(t, 0), f1 = field(t, 1);
    const builtin = Math.max(f3 ? i32(f3) : 0, f0 ? dv.getInt8(f0) : 0);
    return builtin === 32 ? text(f1) : BUILTIN[builtin] ?? `builtin operator ${builtin}`;
  });
  const [sgStart, nSg] = vector(field(root, 2));
  if (nSg < 1) throw new Error(`${source}: the model has no subgraph`);
  const g = table(sgStart);
  const [tStart, nT] = vector(field(g, 0));
  const tensors: TfliteTensor[] = Array.from({ length: nT }, (_, k) => {
    const t = table(tStart + 4 * k);
    const typeCode = field(t, 1) ? dv.getInt8(field(t, 1)) : 0;
    const type = TENSOR_TYPES[typeCode];
    const name = text(field(t, 3));
    if (!type) {
      throw new Error(
        `${source}: tensor ${name} has type code ${typeCode}: expected float32, float16 or int32`,
      );
    }
    const b = field(t, 2) ? u32(field(t, 2)) : 0;
    const data = buffers[b];
    return { name, shape: ints(field(t, 0)), type, ...(data && { data }) };
  });
  const [oStart, nO] = vector(field(g, 3));
  const operators: TfliteOperator[] = Array.from({ length: nO }, (_, k) => {
    const o = table(oStart + 4 * k);
    const op = codes[field(o, 0) ? u32(field(o, 0)) : 0];
    const options: Record<string, number> = {};
    const spec = OPTION_FIELDS[op];
    if (spec) {
      const f = field(o, 4);
      const opt = f ? table(f) : 0;
      for (const [name, idx, width, dflt] of spec) {
        const p = opt ? field(opt, idx) : 0;
        options[name] = p ? (width === 1 ? dv.getInt8(p) : i32(p)) : dflt;
      }
    } else if (op === "Convolution2DTransposeBias") {
      // MediaPipe passes TfLiteTransposeConvParams as raw bytes: padding (1 same, 2 valid), stride w, h.
      const [s, n] = vector(field(o, 5));
      if (n < 12) throw new Error(`${source}: operator ${k} (${op}) has ${n} option bytes: expected 12`);
      options.padding = i32(s) === 2 ? 1 : 0;
      options.strideW = i32(s + 4), options.strideH = i32(s + 8);
    } else if (!["DEQUANTIZE", "LOGISTIC", "RELU", "HARD_SWISH"].includes(op)) {
      throw new Error(
        `${source}: operator ${k} is ${op}: not implemented here (this interpreter runs the selfie ` +
          `segmentation models' operators only)`,
      );
    }
    return { op, inputs: ints(field(o, 1)), outputs: ints(field(o, 2)), options };
  });
  return { tensors, operators, inputs: ints(field(g, 1)), outputs: ints(field(g, 2)) };
}

/** IEEE half-precision bits -> number. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function constantOf(t: TfliteTensor): tf.Tensor {
  const d = t.data!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === "float16") {
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return tf.tensor(Float32Array.from({ length: n }, (_, i) => halfToFloat(dv.getUint16(2 * i, true))), [
      ...t.shape,
    ]);
  }
  const copy = d.slice().buffer;
  return tf.tensor(t.type === "int32" ? new Int32Array(copy, 0, n) : new Float32Array(copy, 0, n), [
    ...t.shape,
  ]);
}

function activate(x: tf.Tensor, code: number, op: string): tf.Tensor {
  switch (code) {
    case 0:
      return x;
    case 1:
      return tf.relu(x);
    case 3:
      return tf.relu6(x);
    default:
      throw new Error(`tflite: ${op} with fused activation ${code}: not implemented here`);
  }
}

const padOf = (code: number) => (code === 1 ? "valid" : "same");

/**
 * A loaded model: constants turned into tensors once (float16 weights dequantised), operators run in
 * file order on tfjs.
 */
export class TfliteModel {
  private constructor(
    private readonly graph: TfliteGraph,
    private readonly constants: Map<number, tf.Tensor>,
  ) {}

  /**
   * Reads a model and prepares its weights.
   * @param bytes The `.tflite` file.
   * @param source Names the file in errors.
   */
  static load(bytes: Uint8Array, source = "tflite model"): TfliteModel {
    const graph = parseTflite(bytes, source);
    const constants = new Map<number, tf.Tensor>();
    graph.tensors.forEach((t, k) => {
      if (t.data) constants.set(k, constantOf(t));
    });
    // Weights in the layouts tfjs wants: CONV_2D [O,H,W,I] -> [H,W,I,O]; DEPTHWISE [1,H,W,I*M] ->
    // [H,W,I,M]; the transposed convolution [O,H,W,I] -> [H,W,O,I]. DEQUANTIZE of a constant is done here.
    for (const o of graph.operators) {
      if (o.op === "DEQUANTIZE" && constants.has(o.inputs[0])) {
        constants.set(o.outputs[0], constants.get(o.inputs[0])!.toFloat());
      }
    }
    for (const o of graph.operators) {
      const w = o.inputs[1];
      const t = constants.get(w);
      if (!t) continue;
      let next: tf.Tensor | undefined;
      if (o.op === "CONV_2D") next = tf.transpose(t, [1, 2, 3, 0]);
      else if (o.op === "DEPTHWISE_CONV_2D") {
        const [, h, wd, c] = t.shape;
        const m = o.options.depthMultiplier || 1;
        next = tf.reshape(t, [h, wd, c / m, m]);
      } else if (o.op === "Convolution2DTransposeBias") next = tf.transpose(t, [1, 2, 0, 3]);
      if (next) {
        constants.set(w, next);
        t.dispose();
      }
    }
    return new TfliteModel(graph, constants);
  }

  /** Input shapes of the graph. */
  get inputShapes(): number[][] {
    return this.graph.inputs.map((k) => [...this.graph.tensors[k].shape]);
  }

  /**
   * Runs the graph.
   * @param inputs One tensor per graph input, of its shape (float32, NHWC).
   * @returns The graph's outputs (the caller disposes them).
   */
  run(inputs: readonly tf.Tensor[]): tf.Tensor[] {
    const g = this.graph;
    if (inputs.length !== g.inputs.length) {
      throw new Error(`tflite: the model takes ${g.inputs.length} inputs: got ${inputs.length}`);
    }
    return tf.tidy(() => {
      const values = new Map<number, tf.Tensor>(this.constants);
      g.inputs.forEach((k, i) => {
        const want = g.tensors[k].shape;
        if (inputs[i].shape.join(",") !== want.join(",")) {
          throw new Error(`tflite: input ${i} must have shape [${want}]: got [${inputs[i].shape}]`);
        }
        values.set(k, inputs[i]);
      });
      const get = (k: number) => {
        const v = values.get(k);
        if (!v) throw new Error(`tflite: tensor ${k} (${g.tensors[k].name}) is used before it is computed`);
        return v;
      };
      for (const o of g.operators) {
        if (values.has(o.outputs[0]) && this.constants.has(o.outputs[0])) continue; // folded constant
        const x = get(o.inputs[0]), opt = o.options;
        let y: tf.Tensor;
        switch (o.op) {
          case "CONV_2D":
          case "DEPTHWISE_CONV_2D": {
            const f = get(o.inputs[1]) as tf.Tensor4D;
            const args = [
              x as tf.Tensor4D,
              f,
              [opt.strideH, opt.strideW] as [number, number],
              padOf(opt.padding) as "same" | "valid",
              "NHWC" as const,
              [opt.dilationH, opt.dilationW] as [number, number],
            ] as const;
            y = o.op === "CONV_2D" ? tf.conv2d(...args) : tf.depthwiseConv2d(...args);
            if (o.inputs.length > 2 && o.inputs[2] >= 0) y = tf.add(y, get(o.inputs[2]));
            y = activate(y, opt.activation, o.op);
            break;
          }
          case "Convolution2DTransposeBias": {
            const f = get(o.inputs[1]) as tf.Tensor4D;
            const [n, h, w] = x.shape;
            const out: [number, number, number, number] = [n, h * opt.strideH, w * opt.strideW, f.shape[2]];
            y = tf.conv2dTranspose(
              x as tf.Tensor4D,
              f,
              out,
              [opt.strideH, opt.strideW],
              padOf(opt.padding) as "same",
            );
            y = tf.add(y, get(o.inputs[2]));
            break;
          }
          case "AVERAGE_POOL_2D":
            y = activate(
              tf.avgPool(
                x as tf.Tensor4D,
                [opt.filterH, opt.filterW],
                [opt.strideH, opt.strideW],
                padOf(opt.padding) as "same",
              ),
              opt.activation,
              o.op,
            );
            break;
          case "ADD":
            y = activate(tf.add(x, get(o.inputs[1])), opt.activation, o.op);
            break;
          case "MUL":
            y = activate(tf.mul(x, get(o.inputs[1])), opt.activation, o.op);
            break;
          case "MEAN":
            y = tf.mean(x, Array.from(get(o.inputs[1]).dataSync()), opt.keepDims !== 0);
            break;
          case "RELU":
            y = tf.relu(x);
            break;
          case "LOGISTIC":
            y = tf.sigmoid(x);
            break;
          case "HARD_SWISH":
            y = tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
            break;
          case "DEQUANTIZE":
            y = tf.cast(x, "float32");
            break;
          case "RESIZE_BILINEAR": {
            const size = get(o.inputs[1]).dataSync();
            y = tf.image.resizeBilinear(
              x as tf.Tensor4D,
              [size[0], size[1]],
              opt.alignCorners !== 0,
              opt.halfPixelCenters !== 0,
            );
            break;
          }
          default:
            throw new Error(`tflite: operator ${o.op} is not implemented here`);
        }
        values.set(o.outputs[0], y);
      }
      return g.outputs.map((k) => get(k));
    });
  }

  /** Releases the weights. */
  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
  }
}
