import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { formatTransforms, writeTransforms } from "./write_transforms.ts";
import { parseTransforms, type Transforms } from "./transforms.ts";

const c2w = (a: number) =>
  new Float32Array([
    Math.cos(a),
    0,
    Math.sin(a),
    0.1,
    0,
    1,
    0,
    -0.2,
    -Math.sin(a),
    0,
    Math.cos(a),
    3,
    0,
    0,
    0,
    1,
  ]);

const SAMPLE: Transforms = {
  focal: 1200,
  cx: 225,
  cy: 225.5,
  idParams: Float32Array.from([0.1, -0.2, 0.3]),
  frames: [
    { imgId: 0, audId: 0, c2w: c2w(0.3), faceRect: [10, 20, 30, 40] },
    {
      imgId: 5,
      audId: 7,
      c2w: c2w(-0.7),
      euler: [0.1, 0.2, 0.3],
      trans: [1, 2, 3],
      exp: Float32Array.from([0.5, 1e-8]),
    },
  ],
};

Deno.test("formatTransforms writes canonical JSON that parses back to the same transforms", () => {
  const text = formatTransforms(SAMPLE);
  const json = JSON.parse(text);
  assertEquals(Object.keys(json), ["focal_len", "cx", "cy", "id_para", "frames"]);
  assertEquals(Object.keys(json.frames[0]), ["img_id", "aud_id", "transform_matrix", "face_rect"]);
  assertEquals(Object.keys(json.frames[1]), [
    "img_id",
    "aud_id",
    "transform_matrix",
    "euler",
    "trans",
    "exp_para",
  ]);
  assertEquals(json.id_para, [0.1, -0.2, 0.3]); // float32 values written with the fewest digits
  assertEquals(parseTransforms(json, "t.json"), SAMPLE);
  assertStringIncludes(text, '      "aud_id": 7,\n');
  assertEquals(JSON.parse(formatTransforms({ focal: 3, frames: [] })), { focal_len: 3, frames: [] });
});

Deno.test("formatTransforms rejects malformed matrices and non-finite numbers", () => {
  const bad = { focal: 1, frames: [{ imgId: 0, audId: 0, c2w: new Float32Array(12) }] };
  assertThrows(() => formatTransforms(bad), Error, "frames[0].c2w must hold 16 numbers (4x4): got 12");
  assertThrows(() => formatTransforms({ focal: NaN, frames: [] }), Error, "non-finite number NaN");
});

Deno.test("writeTransforms writes the file atomically (no temporary file left)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "transforms_train.json");
    await writeTransforms(path, SAMPLE);
    assertEquals(parseTransforms(JSON.parse(await Deno.readTextFile(path)), path), SAMPLE);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["transforms_train.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
