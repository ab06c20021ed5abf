import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { validateDataset } from "../data/dataset.ts";
import { readNpy } from "../io/npy.ts";
import { readWav } from "../io/wav.ts";
import { generatePortraitDataset, type SyntheticOptions } from "./dataset.ts";

const SR = 16000;
/** 0.3 s of "speech": a tone switched on and off, enough for 7 frames at 25 fps. */
const speech = Float32Array.from(
  { length: 0.3 * SR },
  (_, i) => (Math.floor(i / 1600) % 2 ? 0.3 * Math.sin(i / 6) : 0),
);
const small: SyntheticOptions = { speech, width: 48, height: 48, numFrames: 6, seed: 3 };

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) out.push(...await listFiles(`${dir}/${e.name}`, `${prefix}${e.name}/`));
    else out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "synthetic_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the dataset folder has every file of the AD-NeRF / SSP-NeRF layout, and nothing else", async () => {
  await withTemp(async (dir) => {
    const s = await generatePortraitDataset(`${dir}/ds`, small);
    assertEquals([s.numFrames, s.numTrain, s.numVal, s.width, s.height], [6, 5, 1, 48, 48]);
    const ids = [0, 1, 2, 3, 4, 5];
    const expected = [
      "aud.npy",
      "aud.wav",
      "bc.jpg",
      ...ids.flatMap((i) => [`ori_imgs/${i}.jpg`, `ori_imgs/${i}.lms`]),
      ...ids.map((i) => `parsing/${i}.png`),
      "synthetic_gt.json",
      "transforms_train.json",
      "transforms_val.json",
    ].sort();
    assertEquals(await listFiles(`${dir}/ds`), expected);
    assertEquals(await listFiles(dir), expected.map((f) => `ds/${f}`)); // no temporary folder left
    assertEquals(s.files, expected.length);
    const aud = await readNpy(`${dir}/ds/aud.npy`);
    assertEquals([aud.dtype, ...aud.shape], ["float32", 6, 16, 13]);
    const wav = await readWav(`${dir}/ds/aud.wav`);
    assertEquals([wav.sampleRate, wav.channels.length, wav.channels[0].length], [16000, 1, 6 / 25 * SR]);
    const train = JSON.parse(await Deno.readTextFile(`${dir}/ds/transforms_train.json`));
    const val = JSON.parse(await Deno.readTextFile(`${dir}/ds/transforms_val.json`));
    assertEquals([train.focal_len, train.cx, train.cy], [115.2, 24, 24]);
    assertEquals([...train.frames, ...val.frames].map((f: { img_id: number }) => f.img_id), ids);
    for (const f of [...train.frames, ...val.frames]) {
      const [x, y, w, h] = f.face_rect;
      assert([x, y, w, h].every(Number.isInteger) && x >= 0 && y >= 0 && x + w <= 48 && y + h <= 48 && w > 5);
    }
    const gt = JSON.parse(await Deno.readTextFile(`${dir}/ds/synthetic_gt.json`));
    assertEquals(gt.frames.length, 6);
    assertEquals(gt.classNames.length, 11);
    assertEquals([gt.seed, gt.units, gt.image.width], [3, "decimetre", 48]);
    assertEquals(
      await validateDataset(`${dir}/ds`, {
        requireParsing: true,
        requireAudio: true,
        requireLandmarks: true,
      }),
      [],
    );
  });
});

Deno.test("same seed, same bytes; another seed, other frames", async () => {
  await withTemp(async (dir) => {
    await generatePortraitDataset(`${dir}/a`, small);
    await generatePortraitDataset(`${dir}/b`, small);
    await generatePortraitDataset(`${dir}/c`, { ...small, seed: 4 });
    for (const f of await listFiles(`${dir}/a`)) {
      assertEquals(await Deno.readFile(`${dir}/b/${f}`), await Deno.readFile(`${dir}/a/${f}`), f);
    }
    for (const f of ["ori_imgs/5.jpg", "parsing/5.png", "transforms_train.json"]) {
      assertNotEquals(await Deno.readFile(`${dir}/c/${f}`), await Deno.readFile(`${dir}/a/${f}`), f);
    }
  });
});

Deno.test("a failed run leaves nothing behind; an existing folder is kept unless overwrite", async () => {
  await withTemp(async (dir) => {
    const fail = (done: number) => {
      if (done === 3) throw new Error("stop at frame 3");
    };
    await assertRejects(
      () => generatePortraitDataset(`${dir}/ds`, { ...small, onProgress: fail }),
      Error,
      "frame 3",
    );
    assertEquals(await listFiles(dir), []);
    await generatePortraitDataset(`${dir}/ds`, { ...small, numFrames: 2 });
    await assertRejects(() => generatePortraitDataset(`${dir}/ds`, small), Error, "overwrite");
    await generatePortraitDataset(`${dir}/ds`, { ...small, overwrite: true });
    assertEquals((await listFiles(`${dir}/ds/parsing`)).length, 6);
    assertEquals((await listFiles(dir)).filter((f) => !f.startsWith("ds/")), []);
  });
});

Deno.test("option errors name the option", async () => {
  await assertRejects(
    () => generatePortraitDataset("/nonexistent/x", { ...small, numFrames: 1 }),
    Error,
    "at least 2 frames",
  );
  await assertRejects(() => generatePortraitDataset("/nonexistent/x", { ...small, fps: 0 }), Error, "fps");
  await assertRejects(
    () => generatePortraitDataset("/nonexistent/x", { ...small, jpegQuality: 0 }),
    Error,
    "jpegQuality",
  );
  const progress: number[] = [];
  await withTemp(async (dir) => {
    await generatePortraitDataset(`${dir}/ds`, {
      ...small,
      numFrames: undefined,
      onProgress: (d) => progress.push(d),
    });
  });
  assertEquals(progress, [1, 2, 3, 4, 5, 6, 7]); // 0.3 s of speech at 25 fps
});
