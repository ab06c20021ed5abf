import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { encodeNpy, writeWav } from "../io/mod.ts";
import { loadAudioFeatures, posesForAudio } from "./render_video.ts";
import { Trainer } from "../train/trainer.ts";

await initBackend({ log: null });

Deno.test("loadAudioFeatures: a WAV becomes MFCC windows at 25 fps; mismatches are clear errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const wav = `${dir}/a.wav`;
    const sr = 22050;
    await writeWav(wav, {
      sampleRate: sr,
      channels: [Float32Array.from({ length: sr }, (_, i) => Math.sin(i / 7))],
    });
    const f = await loadAudioFeatures(wav, 13);
    assertEquals(f.shape, [25, 16, 13]); // 1 s at any rate -> 25 frames
    const e = await assertRejects(() => loadAudioFeatures(wav, 29));
    assertStringIncludes(e.message, "width D = 29, which this toolkit cannot compute from a WAV");
    await Deno.writeFile(
      `${dir}/bad.npy`,
      encodeNpy({ dtype: "float32", shape: [3, 29], data: new Float32Array(87) }),
    );
    await assertRejects(() => loadAudioFeatures(`${dir}/bad.npy`, 29));
    await Deno.writeFile(
      `${dir}/d.npy`,
      encodeNpy({ dtype: "float32", shape: [2, 16, 44], data: new Float32Array(1408) }),
    );
    const e2 = await assertRejects(() => loadAudioFeatures(`${dir}/d.npy`, 29));
    assertStringIncludes(e2.message, "width D = 44; the model was trained on D = 29");
    await assertRejects(
      () => loadAudioFeatures(`${dir}/x.mp3`, 13),
      Error,
      "must be a .wav file or an aud.npy",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("posesForAudio: the dataset path goes back and forth; a short explicit path is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTinyDataset(dir, { frames: 12, audioDim: 13 });
    const ds = await loadDataset(dir);
    const t = Trainer.create(ds, TINY);
    try {
      const train = ds.train.map((f) => f.c2w); // 10 poses
      const p = posesForAudio(t.scene, "dataset", 25);
      assertEquals(p[9], train[9]);
      assertEquals(p[10], train[8]); // turns around
      assertEquals(p[18], train[0]);
      assertEquals(p[19], train[1]);
      assertEquals(posesForAudio(t.scene, "still", 3), [train[0], train[0], train[0]]);
      const e = assertThrows(() => posesForAudio(t.scene, [train[0], train[1]], 5));
      assertStringIncludes(e.message, "the pose path has 2 poses but the audio has 5 frames");
    } finally {
      t.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
