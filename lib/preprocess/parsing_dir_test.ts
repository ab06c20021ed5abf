import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { ADNERF4, parsingToImage } from "../data/palette.ts";
import { writeImage } from "../io/mod.ts";
import { readExternalParsing } from "./parsing_dir.ts";

Deno.test("readExternalParsing: 4-class colour maps and grey CelebAMask-HQ maps, cropped and resized", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-pre-pdir-" });
  try {
    // A 8x4 frame-sized 4-class map: left half head (1), right half torso (3).
    const ids = Uint8Array.from({ length: 32 }, (_, p) => (p % 8 < 4 ? 1 : 3));
    await writeImage(join(dir, "0.png"), parsingToImage(ids, 8, 4, ADNERF4));
    const a = await readExternalParsing(dir, 0, 2, {
      crop: { x: 2, y: 0, w: 4, h: 4 },
      frameSize: { width: 8, height: 4 },
    });
    assertEquals([a.kind, Array.from(a.ids)], ["adnerf4", [1, 3, 1, 3]]);
    // Grey, already square: CelebAMask ids 17 (hair) -> 10, 12 (upper lip) -> 7, 6 (glasses) -> 0.
    await writeImage(join(dir, "1.png"), {
      width: 2,
      height: 2,
      channels: 1,
      data: Uint8Array.of(17, 12, 6, 0),
    });
    const b = await readExternalParsing(dir, 1, 2);
    assertEquals([b.kind, b.palette.name, Array.from(b.ids)], ["celeba19", "sspnerf11", [10, 7, 0, 0]]);
    await assertRejects(
      () => readExternalParsing(dir, 5, 2),
      Error,
      "5.png: cannot read the parsing map of frame 5",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
