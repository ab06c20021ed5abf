import { assertEquals, assertInstanceOf, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeImage, writeNpy } from "../io/mod.ts";
import type { Image } from "../io/types.ts";
import { loadDataset, validateDataset } from "./dataset.ts";
import { DatasetError } from "./problems.ts";
import { parsingToImage, SSPNERF11 } from "./palette.ts";
import { type TinyDatasetOptions, writeTinyDataset } from "./tiny_dataset.ts";

async function withTiny(options: TinyDatasetOptions, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ssp_data_bad_" });
  try {
    await writeTinyDataset(dir, options);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The problems of a dataset that must fail to load. */
async function problemsOf(dir: string, options = {}): Promise<readonly string[]> {
  const e = await assertRejects(() => loadDataset(dir, options));
  assertInstanceOf(e, DatasetError);
  return e.problems;
}

/** Asserts that the problems are exactly these, each given by its start. */
function assertProblems(problems: readonly string[], starts: string[]): void {
  assertEquals(problems.length, starts.length, `got:\n${problems.join("\n")}`);
  starts.forEach((s, i) => assertStringIncludes(problems[i], s));
}

async function editJson(path: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await Deno.readTextFile(path));
  edit(json);
  await Deno.writeTextFile(path, JSON.stringify(json));
}

const flat = (width: number, height: number, v = 128): Image => ({
  width,
  height,
  channels: 3,
  data: new Uint8Array(width * height * 3).fill(v),
});

Deno.test("loadDataset collects every cheap problem of a dataset into one error", async () => {
  await withTiny({ frames: 5 }, async (dir) => { // train 0..3, val 4
    await editJson(join(dir, "transforms_train.json"), (j) => {
      const frames = j.frames as Record<string, unknown>[];
      frames[1].transform_matrix = (frames[1].transform_matrix as number[][]).slice(0, 3);
      frames[0].face_rect = [0, 0, 20, 4];
      frames[3].img_id = 0;
    });
    await writeImage(join(dir, "ori_imgs", "2.png"), flat(9, 8));
    await Deno.remove(join(dir, "ori_imgs", "4.png"));
    await writeImage(join(dir, "bc.jpg"), flat(7, 7));
    await writeImage(join(dir, "parsing", "2.png"), parsingToImage(new Uint8Array(72), 8, 9, SSPNERF11));
    await Deno.writeTextFile(join(dir, "ori_imgs", "0.lms"), "1 2\n".repeat(67));
    await writeNpy(join(dir, "aud.npy"), {
      dtype: "float32",
      shape: [3, 16, 29],
      data: new Float32Array(3 * 16 * 29),
    });
    const problems = await problemsOf(dir);
    assertProblems(problems, [
      "transforms_train.json: frames[1].transform_matrix must be 4x4 numbers: got 3 rows",
      "transforms_train.json: frames[3].img_id 0 duplicates frames[0]",
      "ori_imgs/4.jpg: missing frame image for img_id 4 (transforms_val.json frames[0]): expected ori_imgs/4.jpg or .png",
      "ori_imgs/2.png: size 9x8 differs from the first frame ori_imgs/0.png (8x8)",
      "bc.jpg: size 7x7 differs from the frames' 8x8",
      "transforms_train.json: frames[0].face_rect [x, y, w, h] = [0, 0, 20, 4] must lie inside the 8x8 image",
      "parsing/2.png: size 8x9 differs from the frames' 8x8",
      'ori_imgs/0.lms: expected 68 lines of "x y": got 67',
      "aud.npy: audio shorter than the frames: 3 rows, but transforms_val.json frames[0] has aud_id 4 (needs at least 5 rows)",
    ]);
    const e = await assertRejects(() => loadDataset(dir), DatasetError);
    assertStringIncludes(e.message, `dataset ${dir}: 9 problems:\n  - transforms_train.json: frames[1]`);
  });
});

Deno.test("loadDataset reports missing and malformed files together", async () => {
  await withTiny({}, async (dir) => {
    await Deno.remove(join(dir, "transforms_val.json"));
    await Deno.writeTextFile(join(dir, "transforms_train.json"), '{\n  "focal_len": 12,\n  "frames": [,]\n}');
    await Deno.remove(join(dir, "bc.jpg"));
    await Deno.rename(join(dir, "ori_imgs"), join(dir, "frames"));
    assertProblems(await problemsOf(dir), [
      "transforms_train.json: malformed JSON at line 3, column 14",
      "transforms_val.json: missing file: expected the val camera poses",
      "ori_imgs/: missing frame folder: expected one of ori_imgs/, gt_imgs/, imgs/, com_imgs/",
      "bc.jpg: missing background image: expected bc.jpg or bc.png",
    ]);
    assertProblems(await problemsOf(dir, { imageDir: "nope" }), [
      "transforms_train.json: malformed JSON",
      "transforms_val.json: missing file",
      "nope/: missing frame folder (options.imageDir)",
      "bc.jpg: missing background image",
    ]);
  });
  await assertRejects(() => loadDataset("/nonexistent/ssp"), DatasetError, "/nonexistent/ssp: not a folder");
});

Deno.test("loadDataset checks the shape of the audio features", async () => {
  await withTiny({}, async (dir) => {
    const npy = join(dir, "aud.npy");
    await writeNpy(npy, { dtype: "float32", shape: [3, 16], data: new Float32Array(48) });
    assertProblems(await problemsOf(dir), [
      "aud.npy: audio features must be [N, 16, D]: got [3, 16] (rank 2)",
    ]);
    await writeNpy(npy, { dtype: "float32", shape: [3, 8, 29], data: new Float32Array(3 * 8 * 29) });
    assertProblems(await problemsOf(dir), [
      "aud.npy: audio features must be [N, 16, D]: got [3, 8, 29] (window",
    ]);
    await Deno.writeTextFile(npy, "not numpy");
    assertProblems(await problemsOf(dir), ["aud.npy: cannot read: "]);
    const data = new Float64Array(3 * 16 * 2).map((_, i) => i / 2);
    await writeNpy(npy, { dtype: "float64", shape: [3, 16, 2], data });
    const ds = await loadDataset(dir);
    assertEquals(ds.audio!.shape, [3, 16, 2]);
    assertEquals(ds.audio!.data[5], 2.5); // float64 features become float32
  });
});

Deno.test("parsing maps: colours outside the palette, forced palettes, unknown palettes", async () => {
  await withTiny({}, async (dir) => {
    const bad = parsingToImage(new Uint8Array(64).fill(1), 8, 8, SSPNERF11);
    bad.data.set([1, 2, 3], 3 * (2 * 8 + 3)); // pixel (3, 2)
    await writeImage(join(dir, "parsing", "1.png"), bad);
    const message =
      "parsing/1.png: pixel (3, 2) has colour RGB(1, 2, 3), which is not in the sspnerf11 palette";
    const data = await loadDataset(dir); // the cheap check reads the first map only
    await assertRejects(() => data.parsing(1), DatasetError, message);
    assertProblems(await validateDataset(dir), [message]); // the full check reads every map

    assertProblems(await problemsOf(dir, { palette: "adnerf4" }), [
      "parsing/0.png: pixel (1, 0) has colour RGB(25, 202, 173), which is not in the adnerf4 palette",
    ]);
    await writeImage(join(dir, "parsing", "0.png"), bad);
    assertProblems(await problemsOf(dir), [
      "parsing/0.png: colours fit no known parsing palette (sspnerf11, adnerf4): pixel (3, 2) has colour RGB(1, 2, 3)",
    ]);
    await Deno.remove(join(dir, "parsing", "0.png"));
    assertProblems(await problemsOf(dir), [
      "parsing/0.png: missing parsing map for img_id 0 (transforms_train.json frames[0])",
      "parsing/1.png: colours fit no known parsing palette",
    ]);
  });
});

Deno.test("frames: unreadable headers, undecodable data, and validateDataset's full check", async () => {
  await withTiny({ frames: 4 }, async (dir) => {
    const png = await Deno.readFile(join(dir, "ori_imgs", "2.png"));
    await Deno.writeFile(join(dir, "ori_imgs", "2.png"), png.subarray(0, 40)); // header intact, data cut
    const data = await loadDataset(dir);
    await assertRejects(() => data.image(2), DatasetError, "ori_imgs/2.png: cannot decode");
    assertProblems(await validateDataset(dir), ["ori_imgs/2.png: cannot decode"]);
    assertEquals(await validateDataset(dir, { check: "files" }), []);

    await Deno.writeTextFile(join(dir, "ori_imgs", "1.png"), "not an image");
    assertProblems(await problemsOf(dir), ["ori_imgs/1.png: not a PNG or JPEG file (no readable header)"]);
  });
});

Deno.test("landmarks and transforms consistency problems", async () => {
  await withTiny({ frames: 3, landmarks: "lms" }, async (dir) => {
    await Deno.remove(join(dir, "lms", "2.lms"));
    await Deno.writeTextFile(join(dir, "lms", "1.lms"), "1 2\n".repeat(67) + "1 x\n");
    await editJson(join(dir, "transforms_val.json"), (j) => {
      j.focal_len = 13;
      j.cx = 1;
    });
    assertProblems(await problemsOf(dir), [
      "transforms_val.json: focal 13 differs from transforms_train.json's 12",
      "transforms_val.json: cx 1 differs from transforms_train.json's 4.5",
      "lms/2.lms: missing landmarks for img_id 2 (transforms_val.json frames[0])",
      'lms/1.lms: line 68 must be two numbers "x y": got "1 x"',
    ]);
  });
});

Deno.test("loadDataset rejects bad options before reading anything", async () => {
  await assertRejects(
    () => loadDataset("/nonexistent", { palette: "celeb19" as "adnerf4" }),
    Error,
    'loadDataset: options.palette must be "auto", "sspnerf11" or "adnerf4": got "celeb19"',
  );
  await assertRejects(
    () => loadDataset("/x", { maxCacheBytes: -1 }),
    Error,
    "options.maxCacheBytes must be a number >= 0",
  );
});
