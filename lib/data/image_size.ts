/**
 * Image sizes from file headers (PNG IHDR, JPEG SOF), so that a loader can check thousands of frames
 * without decoding them.
 * @module
 */

/** Width and height in pixels. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Reads exactly `n` bytes at `offset`, or fewer at the end of the file. */
async function readAt(file: Deno.FsFile, offset: number, n: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await file.read(buf.subarray(got));
    if (r === null) break;
    got += r;
  }
  return buf.subarray(0, got);
}

const u16 = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u32 = (b: Uint8Array, i: number) =>
  ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];

/**
 * The size of a PNG or JPEG file, read from its header (a few small reads; no decoding).
 * JPEG markers are walked segment by segment up to the first start-of-frame, so large EXIF or ICC
 * segments before it are skipped without being read.
 * @param path The image file.
 * @returns The size, or undefined when the file is neither a PNG nor a JPEG with a readable header.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { readImageSize } from "./image_size.ts";
 * const path = await Deno.makeTempFile({ suffix: ".png" });
 * const ihdr = [0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 7, 0, 0, 0, 5];
 * await Deno.writeFile(path, new Uint8Array([0x89, 80, 78, 71, 13, 10, 26, 10, ...ihdr]));
 * const size = await readImageSize(path);
 * assert(size?.width === 7 && size?.height === 5);
 * await Deno.remove(path);
 * ```
 */
export async function readImageSize(path: string): Promise<ImageSize | undefined> {
  using file = await Deno.open(path, { read: true });
  const head = await readAt(file, 0, 24);
  if (head.length >= 24 && PNG_SIGNATURE.every((v, i) => head[i] === v)) {
    return { width: u32(head, 16), height: u32(head, 20) };
  }
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) return undefined;
  let pos = 2;
  for (let guard = 0; guard < 10_000; guard++) {
    const m = await readAt(file, pos, 9);
    if (m.length < 4 || m[0] !== 0xff) return undefined;
    const marker = m[1];
    if (marker === 0xff) { // fill byte before a marker
      pos += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { // standalone markers
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or scan before any frame
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return m.length < 9 ? undefined : { width: u16(m, 7), height: u16(m, 5) };
    pos += 2 + u16(m, 2);
  }
  return undefined;
}
