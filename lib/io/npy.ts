/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), following numpy/lib/format.py:
 * the magic `\x93NUMPY`, two version bytes, the header length (uint16 LE in 1.0, uint32 LE in 2.0/3.0),
 * then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
 * spaces and ended by `\n` so that the data starts on a multiple of 64 bytes.
 *
 * Types read: `f4 f8 i4 i8 u1` in either byte order (`<`, `>`, `=`, `|`), and `|b1` (bool) read as uint8.
 * Only C order: a `fortran_order: True` file is rejected. Files are written as numpy 1.17+ writes them
 * (little-endian, version 1.0 unless the header needs more than 65535 bytes).
 * @module
 */
import type { NpyArray, NpyDtype } from "./types.ts";
import { writeFileAtomic } from "./atomic.ts";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy pads the header so that the data is aligned to this many bytes. */
const ARRAY_ALIGN = 64;
/** numpy leaves room for the first axis to grow to this many digits (format.py GROWTH_AXIS_MAX_DIGITS). */
const GROWTH_AXIS_MAX_DIGITS = 21;

const DESCR: Record<NpyDtype, string> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  int64: "<i8",
  uint8: "|u1",
};
const KIND: Record<string, NpyDtype> = {
  f4: "float32",
  f8: "float64",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
};
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1 };

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function makeArray(dtype: NpyDtype, buffer: ArrayBuffer): NpyArray["data"] {
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "int64":
      return new BigInt64Array(buffer);
    case "uint8":
      return new Uint8Array(buffer);
  }
}

function dtypeOfData(data: NpyArray["data"]): NpyDtype | undefined {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Uint8Array) return "uint8";
  return undefined;
}

function parseDescr(descr: string, src: string): { dtype: NpyDtype; swap: boolean } {
  const m = /^([<>=|])?([a-z])(\d+)$/.exec(descr);
  const order = m?.[1] ?? "|";
  const code = m ? m[2] + m[3] : "";
  if (code === "b1") return { dtype: "uint8", swap: false };
  const dtype = KIND[code];
  if (!m || !dtype) {
    throw new Error(
      `npy.ts: ${src}: descr ${JSON.stringify(descr)} is not supported, expected one of ` +
        `'<f4', '<f8', '<i4', '<i8', '|u1', '|b1' (either byte order)`,
    );
  }
  const fileLittle = order === ">" ? false : order === "<" ? true : HOST_LITTLE;
  return { dtype, swap: ITEM_SIZE[dtype] > 1 && fileLittle !== HOST_LITTLE };
}

/** Reads the three keys of the header dict; values may use either quote style, tuples may hold `3L`. */
function parseHeader(text: string, src: string): { descr: string; fortran: boolean; shape: number[] } {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}")) {
    throw new Error(`npy.ts: ${src}: header is not a Python dict literal: ${JSON.stringify(t.slice(0, 80))}`);
  }
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(t);
  if (!descr) {
    const structured = /['"]descr['"]\s*:\s*\[/.test(t);
    throw new Error(
      `npy.ts: ${src}: header ${
        structured ? "has a structured dtype (not supported)" : "lacks 'descr'"
      }: ${t}`,
    );
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  if (!fortran) throw new Error(`npy.ts: ${src}: header lacks 'fortran_order' True/False: ${t}`);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t);
  if (!shape) throw new Error(`npy.ts: ${src}: header lacks a 'shape' tuple: ${t}`);
  const dims = shape[1].split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const d = /^(\d+)L?$/.exec(s);
    if (!d) throw new Error(`npy.ts: ${src}: shape entry ${JSON.stringify(s)} is not a non-negative integer`);
    return Number(d[1]);
  });
  return { descr: descr[2], fortran: fortran[1] === "True", shape: dims };
}

/**
 * Decodes the bytes of a `.npy` file.
 * @param bytes The whole file.
 * @param source Names the file in error messages.
 * @returns dtype, shape and a C-order copy of the data (int64 as BigInt64Array, bool as uint8).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { decodeNpy, encodeNpy } from "./npy.ts";
 * const a = decodeNpy(encodeNpy({ dtype: "float32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }));
 * assert(a.shape.join() === "2,2" && a.data[3] === 4);
 * ```
 */
export function decodeNpy(bytes: Uint8Array, source = "npy bytes"): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`npy.ts: ${source}: not a .npy file (missing the \\x93NUMPY magic)`);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new Error(`npy.ts: ${source}: truncated before the header length`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new Error(
      `npy.ts: ${source}: format version ${major}.${bytes[7]} is not supported, expected 1.0, 2.0 or 3.0`,
    );
  }
  if (start + headerLen > bytes.length) {
    throw new Error(`npy.ts: ${source}: header of ${headerLen} bytes runs past the end of the file`);
  }
  const headerBytes = bytes.subarray(start, start + headerLen);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(headerBytes);
  const header = parseHeader(text, source);
  if (header.fortran) {
    throw new Error(
      `npy.ts: ${source}: fortran_order is True; only C-order arrays are supported (save a C copy)`,
    );
  }
  const { dtype, swap } = parseDescr(header.descr, source);
  const count = header.shape.reduce((a, b) => a * b, 1);
  const item = ITEM_SIZE[dtype];
  const dataStart = start + headerLen;
  const need = count * item;
  const found = bytes.length - dataStart;
  if (found < need) {
    // A header whose dtype does not match the data (e.g. float64 written over float32 values) reads as
    // a short file: name the dtype, and the one the data's size fits, if any.
    const fits = count > 0 && found % count === 0 && found > 0
      ? (Object.keys(ITEM_SIZE) as NpyDtype[]).filter((d) => ITEM_SIZE[d] === found / count)
      : [];
    const hint = fits.length > 0
      ? `: the data's size fits ${
        fits.join(" or ")
      } values of that shape, so the header's dtype is likely wrong ` +
        `(save the array with its real dtype, e.g. np.save(path, a.astype(np.float32)))`
      : ": the file is truncated";
    throw new Error(
      `npy.ts: ${source}: header says dtype ${dtype} (${header.descr}, ${item} bytes per value) and shape ` +
        `(${header.shape.join(", ")}), which needs ${need} bytes of data; the file holds ${found}${hint}`,
    );
  }
  // A copy gives an aligned buffer owned by the result, whatever the header length was.
  const copy = bytes.slice(dataStart, dataStart + need);
  if (swap) {
    for (let i = 0; i < need; i += item) copy.subarray(i, i + item).reverse();
  }
  return { dtype, shape: header.shape, data: makeArray(dtype, copy.buffer) };
}

function shapeRepr(shape: readonly number[]): string {
  // Python's repr of a tuple: (), (5,), (2, 3)
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Encodes an array as numpy's `np.save` does (same bytes): little-endian descr, C order, version 1.0
 * (2.0 when the header would exceed 65535 bytes), header padded with spaces to a multiple of 64 bytes
 * and ended by a newline.
 * @param arr dtype, shape and data; `data.length` must equal the product of the shape (1 for 0-d).
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { encodeNpy } from "./npy.ts";
 * const b = encodeNpy({ dtype: "uint8", shape: [3], data: new Uint8Array([1, 2, 3]) });
 * assert(b.length === 128 + 3); // 128-byte header, then the data
 * ```
 */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const descr = DESCR[arr.dtype];
  if (!descr) {
    throw new Error(`npy.ts: arr.dtype must be one of ${Object.keys(DESCR).join(", ")}, got ${arr.dtype}`);
  }
  const actual = dtypeOfData(arr.data);
  if (actual !== arr.dtype) {
    throw new Error(
      `npy.ts: arr.data is ${arr.data?.constructor?.name}, expected the typed array of ${arr.dtype}`,
    );
  }
  for (const d of arr.shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`npy.ts: arr.shape [${arr.shape}] must hold integers >= 0`);
    }
  }
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) {
    throw new Error(`npy.ts: arr.data has ${arr.data.length} elements, shape [${arr.shape}] needs ${count}`);
  }
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(arr.shape)}, }`;
  if (arr.shape.length > 0) {
    dict += " ".repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(arr.shape[0]).length));
  }
  const headerText = new TextEncoder().encode(dict); // ASCII only
  const hlen = headerText.length + 1; // + newline
  const padded = (prefix: number) => hlen + ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
  // As numpy's _wrap_header_guess_version: version 1.0 unless its uint16 length field overflows.
  const major = padded(10) <= 0xffff ? 1 : 2;
  const prefix = major === 1 ? 10 : 12;
  const headerLen = padded(prefix);
  const dataBytes = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(prefix + headerLen + dataBytes.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(headerText, prefix);
  out.fill(0x20, prefix + headerText.length, prefix + headerLen - 1);
  out[prefix + headerLen - 1] = 0x0a;
  const dataStart = prefix + headerLen;
  out.set(dataBytes, dataStart);
  const item = ITEM_SIZE[arr.dtype];
  if (!HOST_LITTLE && item > 1) {
    for (let i = dataStart; i < out.length; i += item) out.subarray(i, i + item).reverse();
  }
  return out;
}

/**
 * Reads a `.npy` file.
 * @param path File path.
 * @returns The array.
 */
export async function readNpy(path: string): Promise<NpyArray> {
  return decodeNpy(await Deno.readFile(path), path);
}

/**
 * Writes a `.npy` file atomically (temporary file, then rename); parent folders are created.
 * @param path Destination.
 * @param arr The array.
 */
export async function writeNpy(path: string, arr: NpyArray): Promise<void> {
  await writeFileAtomic(path, encodeNpy(arr));
}
