import { assertEquals, assertThrows } from "@std/assert";
import { decodeNpy, encodeNpy, readNpy, writeNpy } from "./npy.ts";
import type { NpyArray } from "./types.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A header as numpy writes it: the dict, spaces, '\n', all filling `total` bytes after the 10-byte prefix. */
function v1Header(dict: string, total: number): Uint8Array {
  const len = total - 10;
  return concat(
    [0x93],
    ascii("NUMPY"),
    [1, 0, len & 0xff, len >> 8],
    ascii(dict + " ".repeat(len - 1 - dict.length) + "\n"),
  );
}

Deno.test("npy: golden bytes of np.save for float32 (2, 3), float64 0-d and empty uint8", () => {
  // np.save(np.arange(6, dtype='<f4').reshape(2, 3)): 128-byte header (length field 0x76 = 118).
  const f = new Float32Array([0, 1, 2, 3, 4, 5]);
  const golden = concat(
    v1Header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 128),
    new Uint8Array(f.buffer),
  );
  assertEquals(golden.length, 152);
  assertEquals([golden[8], golden[9], golden[127]], [0x76, 0, 0x0a]);
  const arr: NpyArray = { dtype: "float32", shape: [2, 3], data: f };
  assertEquals(encodeNpy(arr), golden);
  assertEquals(decodeNpy(golden), arr);

  // np.save(np.array(3.5)): 0-d, shape ().
  const d = concat(
    v1Header("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 128),
    [0, 0, 0, 0, 0, 0, 0x0c, 0x40],
  );
  assertEquals(encodeNpy({ dtype: "float64", shape: [], data: new Float64Array([3.5]) }), d);
  assertEquals(decodeNpy(d), { dtype: "float64", shape: [], data: new Float64Array([3.5]) });

  // np.save(np.zeros((0,), np.uint8)): header only.
  const e = v1Header("{'descr': '|u1', 'fortran_order': False, 'shape': (0,), }", 128);
  assertEquals(encodeNpy({ dtype: "uint8", shape: [0], data: new Uint8Array(0) }), e);
  assertEquals(decodeNpy(e).shape, [0]);
});

Deno.test("npy: round trip for every dtype and shapes incl. 0-d, empty and 4-d", () => {
  const shapes = [[], [0], [5], [2, 0, 3], [2, 3], [1, 2, 3, 4], [100000]];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const arrays: NpyArray[] = [
      { dtype: "float32", shape, data: Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3) },
      { dtype: "float64", shape, data: Float64Array.from({ length: n }, (_, i) => Math.PI * i) },
      { dtype: "int32", shape, data: Int32Array.from({ length: n }, (_, i) => i * 7919 - 2 ** 30) },
      { dtype: "int64", shape, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * -(2n ** 40n)) },
      { dtype: "uint8", shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff) },
    ];
    for (const a of arrays) {
      const bytes = encodeNpy(a);
      assertEquals(bytes.length % 64, (a.data.byteLength) % 64, `data starts on a 64-byte boundary`);
      assertEquals(decodeNpy(bytes), a, `${a.dtype} [${shape}]`);
    }
  }
});

Deno.test("npy: reads bool, big-endian, Python 2 long shapes, versions 2.0 and 3.0", () => {
  const b1 = concat(v1Header("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", 80), [1, 0, 1]);
  assertEquals(decodeNpy(b1), { dtype: "uint8", shape: [3], data: new Uint8Array([1, 0, 1]) });
  // '>f4' 1.0 = 3f 80 00 00 big-endian; '>i8' -2.
  const be = concat(v1Header('{"descr": ">f4", "fortran_order": False, "shape": (1L, 2L)}', 80), [
    0x3f,
    0x80,
    0,
    0,
    0x40,
    0,
    0,
    0,
  ]);
  assertEquals(decodeNpy(be), { dtype: "float32", shape: [1, 2], data: new Float32Array([1, 2]) });
  const bi = concat(v1Header("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", 80), [
    255,
    255,
    255,
    255,
    255,
    255,
    255,
    254,
  ]);
  assertEquals(decodeNpy(bi).data, new BigInt64Array([-2n]));
  // Version 3.0: uint32 header length, UTF-8 header.
  const dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
  const len = 128 - 12;
  const v3 = concat([0x93], ascii("NUMPY"), [3, 0, len, 0, 0, 0], ascii(dict.padEnd(len - 1) + "\n"), [
    7,
    0,
    0,
    0,
    0xff,
    0xff,
    0xff,
    0xff,
  ]);
  assertEquals(decodeNpy(v3), { dtype: "int32", shape: [2], data: new Int32Array([7, -1]) });
  // A header too long for uint16 switches to version 2.0, as numpy does.
  const big: NpyArray = { dtype: "uint8", shape: new Array(30000).fill(1), data: new Uint8Array([9]) };
  const bytes = encodeNpy(big);
  assertEquals(bytes[6], 2);
  assertEquals((bytes.length - 1) % 64, 0);
  assertEquals(decodeNpy(bytes), big);
});

Deno.test("npy: bad input gives errors naming the file and the field", () => {
  assertThrows(() => decodeNpy(ascii("hello world"), "a.npy"), Error, "a.npy: not a .npy file");
  const fortran = concat(
    v1Header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 80),
    new Uint8Array(16),
  );
  assertThrows(() => decodeNpy(fortran, "f.npy"), Error, "f.npy: fortran_order is True");
  const c16 = concat(
    v1Header("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", 80),
    new Uint8Array(16),
  );
  assertThrows(() => decodeNpy(c16, "c.npy"), Error, `c.npy: descr "<c16" is not supported`);
  const rec = v1Header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", 128);
  assertThrows(() => decodeNpy(rec, "r.npy"), Error, "structured dtype");
  const short = concat(
    v1Header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 80),
    new Uint8Array(8),
  );
  assertThrows(
    () => decodeNpy(short, "s.npy"),
    Error,
    "s.npy: header says dtype float32 (<f4, 4 bytes per value) and shape (4), which needs 16 bytes of data; " +
      "the file holds 8: the file is truncated",
  );
  // float32 values under a float64 header: the message names both dtypes, not a truncation.
  const wrongDtype = concat(
    v1Header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 80),
    new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer),
  );
  assertThrows(
    () => decodeNpy(wrongDtype, "aud.npy"),
    Error,
    "aud.npy: header says dtype float64 (<f8, 8 bytes per value) and shape (2, 3), which needs 48 bytes of " +
      "data; the file holds 24: the data's size fits float32 or int32 values of that shape, so the header's " +
      "dtype is likely wrong",
  );
  const v9 = new Uint8Array([0x93, ...ascii("NUMPY"), 9, 0, 0, 0]);
  assertThrows(() => decodeNpy(v9, "v.npy"), Error, "format version 9.0");
  assertThrows(
    () => encodeNpy({ dtype: "float32", shape: [3], data: new Float32Array(2) }),
    Error,
    "arr.data has 2 elements, shape [3] needs 3",
  );
  assertThrows(
    () => encodeNpy({ dtype: "float32", shape: [2], data: new Float64Array(2) }),
    Error,
    "arr.data is Float64Array",
  );
});

Deno.test("npy: writeNpy / readNpy through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a: NpyArray = {
      dtype: "float32",
      shape: [4, 16, 29],
      data: new Float32Array(4 * 16 * 29).fill(0.25),
    };
    await writeNpy(`${dir}/x/aud.npy`, a);
    assertEquals(await readNpy(`${dir}/x/aud.npy`), a);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
