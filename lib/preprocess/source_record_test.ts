import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { parseTransforms } from "../data/transforms.ts";
import { formatTransforms } from "../data/write_transforms.ts";
import { parseSourceRecord, readSourceRecord, type SourceRecord, withSourceRecord } from "./source_record.ts";

const RECORD: SourceRecord = {
  video: "talk.mp4",
  width: 640,
  height: 360,
  nativeFps: 29.97,
  fps: 25,
  sourceFrames: 250,
  frames: 200,
  crop: { x: 200, y: 20, w: 300, h: 300 },
  scale: 512 / 300,
};

const eye = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
const TEXT = formatTransforms({ focal: 1200, cx: 256, cy: 256, frames: [{ imgId: 0, audId: 0, c2w: eye }] });

Deno.test("the source record rides in transforms_*.json: read back exactly, invisible to the loader", () => {
  const text = withSourceRecord(TEXT, RECORD);
  const json = JSON.parse(text);
  assertEquals(parseSourceRecord(json, "t.json"), RECORD);
  assertEquals(parseTransforms(json, "t.json"), parseTransforms(JSON.parse(TEXT), "t.json"));
  // The rest of the canonical text is unchanged, and a second record replaces the first.
  assertEquals(text.split("\n").slice(2).join("\n"), TEXT.split("\n").slice(1).join("\n"));
  const again = JSON.parse(withSourceRecord(text, { ...RECORD, frames: 10 }));
  assertEquals(parseSourceRecord(again, "t.json").frames, 10);
  assertEquals(again.focal_len, 1200);
});

Deno.test("a missing or malformed source record: errors name the file, the field and the expectation", async () => {
  assertThrows(() => parseSourceRecord(JSON.parse(TEXT), "t.json"), Error, 't.json: has no "source" field');
  const bad = (patch: Record<string, unknown>) => {
    const json = JSON.parse(withSourceRecord(TEXT, RECORD));
    Object.assign(json.source, patch);
    return () => parseSourceRecord(json, "t.json");
  };
  assertThrows(
    bad({ crop: [400, 20, 300, 300] }),
    Error,
    "t.json: source.crop must be a rectangle inside the 640x360 source",
  );
  assertThrows(bad({ width: 0 }), Error, "t.json: source.width must be a positive integer: got 0");
  assertThrows(bad({ fps: "25" }), Error, 't.json: source.fps must be a positive number: got "25"');
  assertThrows(bad({ frames: 300 }), Error, "t.json: source.frames must be at most source_frames = 250");
  const dir = await Deno.makeTempDir({ prefix: "ssp-srcrec-" });
  try {
    await assertRejects(
      () => readSourceRecord(dir),
      Error,
      `${join(dir, "transforms_train.json")}: cannot read`,
    );
    await Deno.writeTextFile(join(dir, "transforms_train.json"), withSourceRecord(TEXT, RECORD));
    assertEquals(await readSourceRecord(dir), RECORD);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
