import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { validateDataset } from "../data/dataset.ts";
import { readNpy } from "../io/npy.ts";
import { readWav } from "../io/wav.ts";
import { generatePortraitDataset, type SyntheticOptions } from "./dataset.ts";
import { loadDataset } from "../data/dataset.ts";
import { imageToParsing, SSPNERF11 } from "../data/palette.ts";
import { readImage } from "../io/image.ts";
import { CLASS } from "./body.ts";
import { coupledTorsoPath, torsoMotionPath } from "./motion.ts";
import { pearson } from "./mouth.ts";
import type { RigidPose } from "./rigid.ts";

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

Deno.test("version 1's motion by options; blinks and the eye field by default; another identity", async () => {
  await withTemp(async (dir) => {
    // 40 frames (1.6 s): 36 train, 4 val (0.16 s: no room for a held-out blink of 0.24 s)
    const opts: SyntheticOptions = { ...small, width: 32, height: 32, numFrames: 40, seed: 2 };
    const legacy = { ...opts, torsoMotion: { coupling: 0, residual: 1 }, blinks: false } as const;
    await generatePortraitDataset(`${dir}/v1`, legacy);
    await generatePortraitDataset(`${dir}/v2`, { ...opts, blinks: { intervalSeconds: [0.5, 0.6] } });
    await generatePortraitDataset(`${dir}/id`, { ...legacy, identity: 3 });
    const gt = async (d: string) => JSON.parse(await Deno.readTextFile(`${dir}/${d}/synthetic_gt.json`));
    const [v1, v2, id] = [await gt("v1"), await gt("v2"), await gt("id")];
    const torso1 = torsoMotionPath(40, { seed: 2, fps: 25 });
    assertEquals(
      v1.frames.map((f: { torso: unknown }) => f.torso),
      torso1.map((p) => ({ euler: [...p.euler], trans: [...p.trans] })),
    );
    assert(v1.frames.every((f: { eyeClosure: number }) => f.eyeClosure === 0));
    assertEquals(v1.options.blinks, false);
    // default torso follows the head: ground truth records both parts
    const head = v2.frames.map((f: { head: RigidPose }) => f.head);
    const coupled = coupledTorsoPath(head, { seed: 2, residual: 0.15 });
    assertEquals(v2.frames.map((f: { torsoCoupled: unknown }) => f.torsoCoupled)[7], {
      euler: [...coupled.coupled[7].euler],
      offset: [...coupled.coupled[7].offset],
    });
    // blinks every 0.5-0.6 s over the 1.34 s of training time: 2 blinks; the eyes shut in some frames
    assertEquals(v2.blinks.length, 2);
    const closure: number[] = v2.frames.map((f: { eyeClosure: number }) => f.eyeClosure);
    assert(closure.some((c) => c > 0.9) && closure.slice(36).every((c) => c === 0));
    const ds = await loadDataset(`${dir}/v2`);
    assertEquals(ds.eyeSource, "transforms");
    const eye = [...ds.train, ...ds.val].map((f) => f.eye!);
    assert(pearson(eye, closure) < -0.9, `${pearson(eye, closure)}`);
    // another person: same motion and parsing, other colours
    assertEquals(id.scene.identity, 3);
    assertEquals(id.frames, v1.frames);
    // the hairline differs, so the parsing differs only where one of them shows hair
    const labels = async (d: string) =>
      imageToParsing(await readImage(`${dir}/${d}/parsing/5.png`), SSPNERF11, `${d}/parsing/5.png`);
    const [l1, l0] = [await labels("id"), await labels("v1")];
    assert(l1.every((c, i) => c === l0[i] || c === CLASS.hair || l0[i] === CLASS.hair));
    assertNotEquals(
      await Deno.readFile(`${dir}/id/ori_imgs/5.jpg`),
      await Deno.readFile(`${dir}/v1/ori_imgs/5.jpg`),
    );
    assertNotEquals(await Deno.readFile(`${dir}/id/bc.jpg`), await Deno.readFile(`${dir}/v1/bc.jpg`));
  });
  await assertRejects(
    () => generatePortraitDataset("/nonexistent/x", { ...small, blinks: { heldOut: -1 } }),
    Error,
    "heldOut",
  );
});
