import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
} from "@std/assert";
import { join } from "node:path";
import { loadDataset } from "./dataset.ts";
import { ADNERF4, parsingToImage, SSPNERF11 } from "./palette.ts";
import { writeImage } from "../io/mod.ts";
import {
  tinyAudio,
  tinyClass,
  type TinyDatasetOptions,
  tinyLandmark,
  tinyPixel,
  writeTinyDataset,
} from "./tiny_dataset.ts";

/** Runs `fn` on a fresh tiny dataset in a temporary folder. */
async function withTiny(options: TinyDatasetOptions, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ssp_data_" });
  try {
    await writeTinyDataset(dir, options);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadDataset: the SSP-NeRF layout (11 classes, D = 29, png frames, lms beside the frames)", async () => {
  await withTiny({ frames: 3 }, async (dir) => {
    const data = await loadDataset(dir);
    assertEquals(data.root, dir);
    assertEquals(data.intrinsics, { focal: 12, cx: 4.5, cy: 4.5, width: 8, height: 8 });
    assertEquals(data.train.map((f) => f.imgId), [0, 1]); // int(3 * 10 / 11) = 2
    assertEquals(data.val.map((f) => f.imgId), [2]);
    assertEquals(data.train[1].faceRect, [1, 1, 6, 5]);
    assertStrictEquals(data.palette, SSPNERF11);
    assertEquals(data.numClasses, 11);
    assertEquals(data.has, { parsing: true, landmarks: true, audio: true });
    assertEquals(data.imageDir, "ori_imgs");
    assertEquals(data.imagePath(1), join(dir, "ori_imgs", "1.png"));
    assertEquals(data.wavPath, undefined);
    assertEquals(data.idParams, undefined);

    assertEquals(data.audio!.shape, [3, 16, 29]);
    assertAlmostEquals(data.audio!.data[(2 * 16 + 5) * 29 + 7], tinyAudio(2, 5, 7), 1e-6);

    const img = await data.image(1);
    assertEquals([img.width, img.height, img.channels], [8, 8, 3]);
    assertEquals(img.data[3 * (2 * 8 + 5) + 1], tinyPixel(1, 5, 2, 1));
    const f = await data.imageFloat(1);
    assertEquals(f.length, 8 * 8 * 3);
    assertAlmostEquals(f[3 * (7 * 8 + 3) + 2], tinyPixel(1, 3, 7, 2) / 255, 1e-6);

    const parsing = await data.parsing(2);
    assertEquals(parsing.length, 64);
    assertEquals(parsing[6 * 8 + 1], tinyClass(2, 1, 6, 11));
    assertEquals(new Set(parsing).size, 11);

    const lms = await data.landmarks(2);
    assertEquals(lms.length, 136);
    assertEquals([lms[2 * 30], lms[2 * 30 + 1]], tinyLandmark(2, 30));

    assertEquals([data.background.width, data.background.height, data.background.channels], [8, 8, 3]);
  });
});

Deno.test("loadDataset: AD-NeRF variants (focal_length, frame_id, gt_imgs jpg, 4 classes, D = 1024, lms/)", async () => {
  const options: TinyDatasetOptions = {
    frames: 4,
    width: 10,
    height: 6,
    focalKey: "focal_length",
    idKey: "frame_id",
    principal: false,
    imageDir: "gt_imgs",
    imageExt: "jpg",
    palette: "adnerf4",
    audioDim: 1024,
    landmarks: "lms",
    sspParams: true,
    wav: true,
    backgroundExt: "png",
  };
  await withTiny(options, async (dir) => {
    const data = await loadDataset(dir);
    assertEquals(data.intrinsics, { focal: 12, cx: 5, cy: 3, width: 10, height: 6 }); // cx, cy default to W/2, H/2
    assertEquals(data.train.map((f) => [f.imgId, f.audId]), [[0, 0], [1, 1], [2, 2]]);
    assertEquals(data.imageDir, "gt_imgs");
    assertStrictEquals(data.palette, ADNERF4);
    assertEquals(data.numClasses, 4);
    assertEquals(data.audio!.shape, [4, 16, 1024]);
    assertEquals(data.wavPath, join(dir, "aud.wav"));
    assertEquals(data.idParams!.length, 100);
    assertEquals(data.val[0].exp!.length, 79);
    assertEquals(data.val[0].euler, [0, 0.1 * 3, 0]);
    const img = await data.image(3);
    assertEquals([img.width, img.height, img.channels], [10, 6, 3]);
    assert(Math.abs(img.data[0] - tinyPixel(3, 0, 0, 0)) < 40, "jpeg keeps the pixel roughly");
    assertEquals((await data.parsing(0))[5 * 10 + 9], tinyClass(0, 9, 5, 4));
    assertEquals((await data.landmarks(3))[0], tinyLandmark(3, 0)[0]);
  });
});

Deno.test("loadDataset: optional parts absent, and require* options turn them into problems", async () => {
  const options: TinyDatasetOptions = { palette: "none", audioDim: 0, landmarks: "none", faceRect: false };
  await withTiny(options, async (dir) => {
    const data = await loadDataset(dir);
    assertEquals(data.has, { parsing: false, landmarks: false, audio: false });
    assertEquals(data.numClasses, 0);
    assertEquals(data.palette, undefined);
    assertEquals(data.audio, undefined);
    assertEquals(data.train[0].faceRect, undefined);
    await assertRejects(() => data.parsing(0), Error, "parsing/0.png: the dataset has no parsing maps");
    await assertRejects(() => data.landmarks(0), Error, "the dataset has no landmarks");
    const e = await assertRejects(
      () => loadDataset(dir, { requireParsing: true, requireAudio: true, requireLandmarks: true }),
      Error,
    );
    assertStringIncludes(e.message, "3 problems");
    assertStringIncludes(e.message, "parsing/: missing folder of parsing maps");
    assertStringIncludes(e.message, "aud.npy: missing audio features: expected an .npy of shape [N, 16, D]");
    assertStringIncludes(e.message, "lms/: missing landmarks");
  });
});

Deno.test("loadDataset: audio features under another name via options.audioFile (any D)", async () => {
  await withTiny({ audioFile: "aud_hu.npy", audioDim: 13, extraAudioRows: 2 }, async (dir) => {
    assertFalse((await loadDataset(dir)).has.audio);
    const data = await loadDataset(dir, { audioFile: "aud_hu.npy" });
    assertEquals(data.audio!.shape, [5, 16, 13]);
    await assertRejects(
      () => loadDataset(dir, { requireAudio: true }),
      Error,
      "aud.npy: missing audio features: expected an .npy of shape [N, 16, D]; found aud_hu.npy: pass it as options.audioFile",
    );
    await assertRejects(
      () => loadDataset(dir, { audioFile: "aud_ds.npy" }),
      Error,
      "aud_ds.npy: missing audio features",
    );
  });
});

Deno.test("loadDataset: frame folders are searched ori_imgs, gt_imgs, imgs; imageDir forces one", async () => {
  await withTiny({ imageDir: "imgs" }, async (dir) => {
    assertEquals((await loadDataset(dir)).imageDir, "imgs");
    await Deno.mkdir(join(dir, "gt_imgs"));
    for (const id of [0, 1, 2]) {
      await Deno.copyFile(join(dir, "imgs", `${id}.png`), join(dir, "gt_imgs", `${id}.png`));
    }
    const data = await loadDataset(dir);
    assertEquals(data.imageDir, "gt_imgs");
    assertFalse(data.has.landmarks); // the .lms files stayed in imgs/
    assertEquals((await loadDataset(dir, { imageDir: "imgs" })).has.landmarks, true);
  });
});

Deno.test("loadDataset: the LRU cache stays within maxCacheBytes and evicts the oldest frame", async () => {
  await withTiny({ frames: 3 }, async (dir) => {
    const frameBytes = 8 * 8 * 3;
    const data = await loadDataset(dir, { maxCacheBytes: 2 * frameBytes });
    const first = await data.image(0);
    assertStrictEquals(await data.image(0), first); // a hit returns the cached image
    await data.image(1);
    await data.image(2); // evicts frame 0
    assertEquals(data.cacheStats(), { bytes: 2 * frameBytes, entries: 2, hits: 1, misses: 3, evictions: 1 });
    const again = await data.image(0); // decoded again
    assert(again !== first);
    assertEquals(again.data, first.data);
    assertEquals(data.cacheStats().misses, 4);
    await data.imageFloat(1); // 768 bytes: larger than the budget, returned but not kept
    assertEquals(data.cacheStats().bytes, 2 * frameBytes);
    assert(data.cacheStats().bytes <= 2 * frameBytes);

    const roomy = await loadDataset(dir);
    await Promise.all([roomy.parsing(0), roomy.parsing(0), roomy.imageFloat(2)]);
    const s = roomy.cacheStats();
    assertEquals([s.entries, s.misses, s.hits], [3, 3, 1]); // parsing 0, image 2, float 2; one merged load
    assertEquals(s.bytes, 64 + frameBytes + 4 * frameBytes);
    await assertRejects(() => roomy.image(99), Error, "img_id 99: not a frame of transforms_train.json");
  });
});

Deno.test("loadDataset: an ambiguous first parsing map does not decide the palette", async () => {
  await withTiny({ frames: 3 }, async (dir) => {
    // Map 0 holds only background: it fits both palettes; map 1 decides.
    await writeImage(join(dir, "parsing", "0.png"), parsingToImage(new Uint8Array(64), 8, 8, SSPNERF11));
    const data = await loadDataset(dir);
    assertStrictEquals(data.palette, SSPNERF11);
    assertEquals(await data.parsing(0), new Uint8Array(64));
  });
});
