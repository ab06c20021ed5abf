import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { loadDataset, validateDataset } from "./dataset.ts";
import { eyeFromAu45, parseAu45, resolveEyeSignal } from "./eye.ts";
import { DatasetError } from "./problems.ts";
import { parseTransforms } from "./transforms.ts";
import { formatTransforms } from "./write_transforms.ts";
import { writeTinyDataset } from "./tiny_dataset.ts";

/** The head of an OpenFace 2 `au.csv` (names after the first comma carry a leading space). */
const HEADER = "frame, face_id, timestamp, confidence, success, AU01_r, AU45_r, AU01_c, AU45_c";
const row = (k: number, au45: string) =>
  `${k + 1}, 0, ${(k * 0.04).toFixed(3)}, 0.98, 1, 0.10, ${au45}, 0, 1`;

async function withTiny(fn: (dir: string) => Promise<void>, options = {}): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "eye_test_" });
  try {
    await writeTinyDataset(dir, { frames: 4, ...options });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("au.csv: the AU45_r column of OpenFace's output, names with spaces, CRLF, blank last line", () => {
  const text = [HEADER, row(0, "0.00"), row(1, "1.5"), row(2, "4.2")].join("\r\n") + "\r\n\r\n";
  assertEquals(Array.from(parseAu45(text, "au.csv")), [0, 1.5, 4.2].map(Math.fround));
  assertEquals([0, 1, 2, 5].map(eyeFromAu45), [1, 0.5, 0, 0]); // clipped at 2: high AU45 = shut
});

Deno.test("a bad au.csv: the error names the file, the column, and the line", () => {
  assertThrows(
    () => parseAu45("frame, AU01_r, AU12_r\n1, 0, 0\n", "data/au.csv"),
    Error,
    'data/au.csv: no AU45_r column (OpenFace\'s blink intensity, " AU45_r"): got columns frame, AU01_r, AU12_r',
  );
  assertThrows(
    () => parseAu45([HEADER, row(0, "0.2"), row(1, "n/a")].join("\n"), "au.csv"),
    Error,
    'au.csv: line 3, column AU45_r: expected a number >= 0, got "n/a"',
  );
  assertThrows(() => parseAu45([HEADER, row(0, "-1")].join("\n"), "au.csv"), Error, "line 2, column AU45_r");
  assertThrows(
    () => parseAu45([HEADER, "1, 0"].join("\n"), "au.csv"),
    Error,
    'line 2, column AU45_r: expected a number >= 0, got ""',
  );
  assertThrows(() => parseAu45("\n", "au.csv"), Error, "au.csv: empty");
});

Deno.test("loader: the eye signal from the landmarks when nothing else gives it", async () => {
  await withTiny(async (dir) => {
    const ds = await loadDataset(dir);
    assertEquals(ds.eyeSource, "landmarks");
    // the tiny landmarks are the same shape in every frame: every frame is as open as usual
    assertEquals([...ds.train, ...ds.val].map((f) => f.eye), [1, 1, 1, 1]);
  });
  await withTiny(async (dir) => {
    const ds = await loadDataset(dir);
    assertEquals(ds.eyeSource, undefined);
    assertEquals(ds.train.every((f) => f.eye === undefined), true);
  }, { landmarks: "none" });
});

Deno.test("loader: au.csv before the landmarks; a bad or short au.csv stops the load with its file named", async () => {
  await withTiny(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "au.csv"),
      [HEADER, row(0, "0"), row(1, "0.5"), row(2, "2.4"), row(3, "1")].join("\n"),
    );
    const ds = await loadDataset(dir);
    assertEquals(ds.eyeSource, "au.csv");
    assertEquals([...ds.train, ...ds.val].map((f) => f.eye), [1, 0.75, 0, 0.5]);
    await Deno.writeTextFile(join(dir, "au.csv"), [HEADER, row(0, "0"), row(1, "x")].join("\n"));
    const e = await assertRejects(() => loadDataset(dir), DatasetError) as DatasetError;
    assertEquals(e.problems, ['au.csv: line 3, column AU45_r: expected a number >= 0, got "x"']);
    assertEquals(await validateDataset(dir, { check: "files" }), e.problems);
    await Deno.writeTextFile(join(dir, "au.csv"), [HEADER, row(0, "0"), row(1, "0")].join("\n"));
    const short = await assertRejects(() => loadDataset(dir), DatasetError) as DatasetError;
    assertEquals(short.problems, ["au.csv: 2 rows of AU45_r: expected one per frame, at least 4 (img_id 3)"]);
  });
});

Deno.test("transforms: an eye field on every frame wins; on some frames only, or out of [0, 1], is an error", async () => {
  await withTiny(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "au.csv"),
      [HEADER, ...[0, 1, 2, 3].map((k) => row(k, "0"))].join("\n"),
    );
    for (const name of ["transforms_train.json", "transforms_val.json"]) {
      const json = JSON.parse(await Deno.readTextFile(join(dir, name)));
      json.frames.forEach((f: Record<string, unknown>) => f.eye = 0.25 * (f.img_id as number));
      await Deno.writeTextFile(join(dir, name), JSON.stringify(json));
    }
    const ds = await loadDataset(dir);
    assertEquals(ds.eyeSource, "transforms");
    assertEquals([...ds.train, ...ds.val].map((f) => f.eye), [0, 0.25, 0.5, 0.75]);
    const val = JSON.parse(await Deno.readTextFile(join(dir, "transforms_val.json")));
    delete val.frames[0].eye;
    await Deno.writeTextFile(join(dir, "transforms_val.json"), JSON.stringify(val));
    const e = await assertRejects(() => loadDataset(dir), DatasetError) as DatasetError;
    assertEquals(e.problems, [
      "transforms_val.json: img_id 3 has no eye field while 3 of 4 frames have one: expected eye on every frame or on none",
    ]);
  });
  const eye4 = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  assertThrows(
    () =>
      parseTransforms({ focal_len: 10, frames: [{ img_id: 0, transform_matrix: eye4, eye: 1.2 }] }, "t.json"),
    DatasetError,
    "t.json: frames[0].eye must be an eye openness in [0, 1] (1 open, 0 shut): got number 1.2",
  );
  // written and read back
  const c2w = new Float32Array(eye4.flat());
  const t = { focal: 10, frames: [{ imgId: 0, audId: 0, c2w, eye: 0.4321 }] };
  const text = formatTransforms(t);
  assertEquals(text.includes('"eye": 0.4321'), true);
  assertEquals(parseTransforms(JSON.parse(text), "t.json").frames[0].eye, 0.4321);
});

Deno.test("resolveEyeSignal: landmarks with coinciding eye corners give no signal and say why", () => {
  const c2w = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  const frames = [0, 1].map((imgId) => ({ imgId, audId: imgId, c2w }));
  const r = resolveEyeSignal(frames, [], {
    landmarks: new Map(frames.map((f) => [f.imgId, new Float32Array(136)])),
  });
  assertEquals([r.source, r.note], [
    undefined,
    "lms/0.lms: eye corners 36 and 39 coincide (distance 0): expected an eye",
  ]);
});
