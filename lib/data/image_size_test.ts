import { assertEquals } from "@std/assert";
import { readImageSize } from "./image_size.ts";

async function withFile(bytes: number[], fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(bytes));
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("readImageSize walks JPEG segments to the frame header", async () => {
  const app1 = [0xff, 0xe1, 0x01, 0x02, ...new Array(0x0100).fill(7)]; // a 258-byte segment to skip
  const sof2 = [0xff, 0xc2, 0, 11, 8, 0x01, 0xc2, 0x02, 0x58, 1, 1, 0x11, 0];
  await withFile([0xff, 0xd8, ...app1, 0xff, ...sof2], async (p) => {
    assertEquals(await readImageSize(p), { width: 600, height: 450 });
  });
  const dht = [0xff, 0xc4, 0, 3, 0]; // C4 is a Huffman table, not a frame header
  const sof0 = [0xff, 0xc0, 0, 11, 8, 0, 8, 0, 9, 1, 1, 0x11, 0];
  await withFile([0xff, 0xd8, ...dht, ...sof0], async (p) => {
    assertEquals(await readImageSize(p), { width: 9, height: 8 });
  });
});

Deno.test("readImageSize: undefined for other or truncated files", async () => {
  await withFile(
    [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
    async (p) => assertEquals(await readImageSize(p), undefined),
  );
  await withFile(
    [0xff, 0xd8, 0xff, 0xe0, 0x00],
    async (p) => assertEquals(await readImageSize(p), undefined),
  );
  await withFile(
    [0xff, 0xd8, 0xff, 0xda, 0, 2],
    async (p) => assertEquals(await readImageSize(p), undefined),
  );
});
