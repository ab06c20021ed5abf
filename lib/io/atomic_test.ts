import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { moveIntoPlace, tempPathBeside, writeFileAtomic, writeFileAtomicSync } from "./atomic.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("atomic: writes, overwrites and creates parents, leaving no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeFileAtomic(`${dir}/a/b/x.bin`, new Uint8Array([1, 2, 3]));
    assertEquals(await Deno.readFile(`${dir}/a/b/x.bin`), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(`${dir}/a/b/x.bin`, "over");
    assertEquals(await Deno.readTextFile(`${dir}/a/b/x.bin`), "over");
    writeFileAtomicSync(`${dir}/c/y.txt`, "sync");
    assertEquals(Deno.readTextFileSync(`${dir}/c/y.txt`), "sync");
    assertEquals(names(`${dir}/a/b`), ["x.bin"]);
    assertEquals(names(`${dir}/c`), ["y.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("atomic: a failed write removes its temp file and keeps the old content", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The destination is a non-empty folder: the rename fails.
    await Deno.mkdir(`${dir}/busy/inner`, { recursive: true });
    const e = await assertRejects(() => writeFileAtomic(`${dir}/busy`, "x"));
    assertStringIncludes(e.message, `writing ${dir}/busy failed`);
    assertThrows(() => writeFileAtomicSync(`${dir}/busy`, "x"), Error, "atomic.ts");
    assertEquals(names(dir), ["busy"]);
    // A producer that throws: the old file stays, the temp file goes.
    await writeFileAtomic(`${dir}/keep.txt`, "old");
    await assertRejects(
      () =>
        moveIntoPlace(`${dir}/keep.txt`, async (tmp) => {
          await Deno.writeTextFile(tmp, "half");
          throw new Error("producer failed");
        }),
      Error,
      "producer failed",
    );
    assertEquals(await Deno.readTextFile(`${dir}/keep.txt`), "old");
    assertEquals(names(dir), ["busy", "keep.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("atomic: temp paths are hidden, beside the target, unique, and keep the extension", () => {
  const a = tempPathBeside("/x/y/clip.mp4");
  const b = tempPathBeside("/x/y/clip.mp4");
  assert(a !== b);
  assert(a.startsWith("/x/y/.clip.mp4.tmp-") && a.endsWith(".mp4"), a);
  assert(tempPathBeside("plain").startsWith("./.plain.tmp-"));
  assertThrows(() => tempPathBeside("/x/y/"), Error, "path must name a file");
});
