/**
 * Ground-truth consistency of the committed fixture `fixtures/synthetic_portrait/` (made by
 * `deno task fixture`): the files agree with each other and with the generator's ground truth.
 */
import { assert, assertAlmostEquals, assertEquals, assertGreater, assertLess } from "@std/assert";
import { imageToParsing, SSPNERF11 } from "../data/palette.ts";
import { parseLandmarks } from "../data/landmarks.ts";
import { readImage } from "../io/image.ts";
import { readNpy } from "../io/npy.ts";
import { readWav } from "../io/wav.ts";
import { CLASS } from "./body.ts";
import { pearson } from "./mouth.ts";
import type { RigidPose } from "./rigid.ts";
import { frameSplit } from "../data/split.ts";
import { eyeSignalFromLandmarks } from "../landmarks/eye.ts";
import { torsoPredictability, torsoPredictabilityFolds } from "./predictability.ts";

const DIR = new URL("../../fixtures/synthetic_portrait", import.meta.url).pathname;
const DEG = Math.PI / 180;

interface GtFrame {
  id: number;
  mouthOpen: number;
  eyeClosure: number;
  torsoCoupled: { euler: number[]; offset: number[] };
  torsoResidual: { euler: number[]; offset: number[] };
  head: { euler: number[]; trans: number[] };
  torso: { euler: number[]; trans: number[] };
  hiddenLandmarks: number[];
}
const gt = JSON.parse(await Deno.readTextFile(`${DIR}/synthetic_gt.json`));
const frames: GtFrame[] = gt.frames;
const N = frames.length;
const W: number = gt.image.width, H: number = gt.image.height;

const parsingCache = new Map<number, Uint8Array>();
async function parsing(id: number): Promise<Uint8Array> {
  if (!parsingCache.has(id)) {
    parsingCache.set(id, imageToParsing(await readImage(`${DIR}/parsing/${id}.png`), SSPNERF11));
  }
  return parsingCache.get(id)!;
}

/** R = Rx(a) Ry(b) Rz(c), by explicit products (independent of the library's closed form). */
function eulerMatrix([a, b, c]: number[]): number[][] {
  const Rx = [[1, 0, 0], [0, Math.cos(a), -Math.sin(a)], [0, Math.sin(a), Math.cos(a)]];
  const Ry = [[Math.cos(b), 0, Math.sin(b)], [0, 1, 0], [-Math.sin(b), 0, Math.cos(b)]];
  const Rz = [[Math.cos(c), -Math.sin(c), 0], [Math.sin(c), Math.cos(c), 0], [0, 0, 1]];
  const mul = (A: number[][], B: number[][]) =>
    A.map((row) => B[0].map((_, j) => row.reduce((s, v, k) => s + v * B[k][j], 0)));
  return mul(mul(Rx, Ry), Rz);
}

Deno.test("fixture: every file of the layout is there, for 8-10 s of speech at 25 fps", async () => {
  assert(N >= 200 && N <= 250, `${N} frames`);
  assertEquals([W, H], [128, 128]);
  const names = new Set<string>();
  for await (const e of Deno.readDir(DIR)) names.add(e.name);
  for (
    const f of [
      "aud.wav",
      "aud.npy",
      "bc.jpg",
      "transforms_train.json",
      "transforms_val.json",
      "ori_imgs",
      "parsing",
    ]
  ) {
    assert(names.has(f), `${f} is missing`);
  }
  const imgs = new Set<string>(), maps = new Set<string>();
  for await (const e of Deno.readDir(`${DIR}/ori_imgs`)) imgs.add(e.name);
  for await (const e of Deno.readDir(`${DIR}/parsing`)) maps.add(e.name);
  assertEquals([imgs.size, maps.size], [2 * N, N]);
  for (let i = 0; i < N; i++) {
    assert(imgs.has(`${i}.jpg`) && imgs.has(`${i}.lms`) && maps.has(`${i}.png`), `frame ${i} is incomplete`);
  }
  const aud = await readNpy(`${DIR}/aud.npy`);
  assertEquals([aud.dtype, ...aud.shape], ["float32", N, 16, 13]);
  const wav = await readWav(`${DIR}/aud.wav`);
  assertEquals([wav.sampleRate, wav.channels.length, wav.channels[0].length], [16000, 1, (N / 25) * 16000]);
});

Deno.test("fixture: transform_matrix = [R^T | -R^T t] for every frame; split 10/11; poses match the ground truth", async () => {
  const train = JSON.parse(await Deno.readTextFile(`${DIR}/transforms_train.json`));
  const val = JSON.parse(await Deno.readTextFile(`${DIR}/transforms_val.json`));
  assertEquals([train.focal_len, train.cx, train.cy], [gt.camera.focal, W / 2, H / 2]);
  assertEquals(train.frames.length, Math.floor((N * 10) / 11));
  const all = [...train.frames, ...val.frames];
  assertEquals(all.map((f: { img_id: number }) => f.img_id), frames.map((f) => f.id));
  for (const f of all) {
    assertEquals(f.aud_id, f.img_id);
    assertEquals([f.euler, f.trans], [frames[f.img_id].head.euler, frames[f.img_id].head.trans]);
    const R = eulerMatrix(f.euler), t = f.trans, m = f.transform_matrix;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        assertAlmostEquals(m[i][j], R[j][i], 1e-6, `frame ${f.img_id} [${i}][${j}]`);
      }
      const c = -(R[0][i] * t[0] + R[1][i] * t[1] + R[2][i] * t[2]);
      assertAlmostEquals(m[i][3], c, 2e-5, `frame ${f.img_id} [${i}][3]`);
    }
    assertEquals(m[3], [0, 0, 0, 1]);
  }
});

Deno.test("fixture: visible landmarks lie in their parsing classes (1 px; jaw 2 px)", async () => {
  const groups: [string, number[], number, number][] = [
    ["jaw", range(0, 17), CLASS.skin, 2],
    ["brows", range(17, 27), CLASS.brows, 1],
    ["nose", range(30, 36), CLASS.nose, 1],
    ["eyes", range(36, 48), CLASS.eyes, 1],
    ["outer lips", range(48, 60), CLASS.lips, 1],
  ];
  let checked = 0, exact = 0;
  for (const f of frames) {
    const p = await parsing(f.id);
    const lms = parseLandmarks(await Deno.readTextFile(`${DIR}/ori_imgs/${f.id}.lms`), `${f.id}.lms`);
    for (const [name, ids, cls, tol] of groups) {
      for (const i of ids) {
        if (f.hiddenLandmarks.includes(i)) continue;
        // a (nearly) shut eye has no eye pixels left: its points lie on the lids' skin
        if (name === "eyes" && f.eyeClosure >= 0.5) continue;
        const u = Math.floor(lms[2 * i]), v = Math.floor(lms[2 * i + 1]);
        let d = Infinity;
        for (let dv = -tol; dv <= tol; dv++) {
          for (let du = -tol; du <= tol; du++) {
            const x = u + du, y = v + dv;
            if (x >= 0 && y >= 0 && x < W && y < H && p[y * W + x] === cls) {
              d = Math.min(d, Math.max(Math.abs(du), Math.abs(dv)));
            }
          }
        }
        assert(
          d <= tol,
          `frame ${f.id}: ${name} landmark ${i} at (${lms[2 * i]}, ${
            lms[2 * i + 1]
          }) is not near class ${cls}`,
        );
        checked++;
        if (d === 0) exact++;
      }
    }
  }
  assertGreater(checked, N * 50);
  assertGreater(exact / checked, 0.8); // most fall right inside their class
});

Deno.test("fixture: mouth opening follows the audio loudness and opens the mouth interior", async () => {
  const audio = (await readWav(`${DIR}/aud.wav`)).channels[0];
  // plain per-frame RMS over each frame's own 40 ms
  const rms = frames.map((_, i) => {
    let s = 0;
    for (let k = i * 640; k < (i + 1) * 640; k++) s += audio[k] * audio[k];
    return Math.sqrt(s / 640);
  });
  const open = frames.map((f) => f.mouthOpen);
  assertGreater(pearson(open, rms), 0.8);
  assert(open.every((v) => v >= 0 && v <= 1));
  assertGreater(open.filter((v) => v === 0).length, 10); // pauses close the mouth
  assertGreater(open.filter((v) => v > 0.8).length, 10);
  const area: number[] = [];
  for (const f of frames) {
    area.push((await parsing(f.id)).reduce((n, c) => n + (c === CLASS.mouth ? 1 : 0), 0));
  }
  assertGreater(pearson(open, area), 0.8);
  const shut = frames.filter((f) => f.mouthOpen === 0).map((f) => area[f.id]);
  const wide = frames.filter((f) => f.mouthOpen > 0.7).map((f) => area[f.id]);
  assertEquals(Math.max(...shut), 0);
  assertGreater(wide.reduce((a, b) => a + b, 0) / wide.length, 4);
});

Deno.test("fixture: head pose within its amplitude; the torso follows the head in part, non-rigidly", () => {
  const amp: number[] = gt.options.poseAmplitudeDeg;
  for (const f of frames) {
    for (let k = 0; k < 3; k++) assert(Math.abs(f.head.euler[k]) <= amp[k] * DEG + 1e-9);
  }
  const yaw = frames.map((f) => f.head.euler[1]);
  assertGreater(Math.max(...yaw) - Math.min(...yaw), 5 * DEG);
  // a torso point in the head's canonical space R^T (Rt y + tt - t): a head-attached torso would stay put
  const y = [1.2, -0.4, 0];
  const canon = frames.map((f) => {
    const Rt = eulerMatrix(f.torso.euler), R = eulerMatrix(f.head.euler);
    const w = [0, 1, 2].map((i) =>
      Rt[i][0] * y[0] + Rt[i][1] * y[1] + Rt[i][2] * y[2] + f.torso.trans[i] - f.head.trans[i]
    );
    return [0, 1, 2].map((i) => R[0][i] * w[0] + R[1][i] * w[1] + R[2][i] * w[2]);
  });
  const spread = Math.max(
    ...[0, 1, 2].map((k) => Math.max(...canon.map((c) => c[k])) - Math.min(...canon.map((c) => c[k]))),
  );
  assertGreater(spread, 0.3); // 3 cm and more: several pixels
  // the torso turns with a fraction of the head's turn, and the ground truth's parts add up to it
  const torsoYaw = frames.map((f) => f.torso.euler[1]);
  assertGreater(pearson(yaw, torsoYaw), 0.9);
  const range = (v: number[]) => Math.max(...v) - Math.min(...v);
  assertLess(range(torsoYaw), 0.6 * range(yaw));
  for (const f of frames) {
    for (let k = 0; k < 3; k++) {
      assertAlmostEquals(f.torso.euler[k], f.torsoCoupled.euler[k] + f.torsoResidual.euler[k], 1e-12);
    }
  }
  assertEquals([gt.options.torsoMotion.coupling, gt.options.torsoMotion.residual], [1, 0.15]);
});

Deno.test("fixture: the head pose predicts most of the torso motion (reproducible numbers)", () => {
  const head = frames.map((f) => f.head as unknown as RigidPose),
    torso = frames.map((f) => f.torso as unknown as RigidPose);
  const split = frameSplit(N);
  const r = torsoPredictability(head, torso, { train: split.train, test: split.val });
  const folds = torsoPredictabilityFolds(head, torso);
  // measured at generation: 0.945 (held-out, SST about its mean), 0.998 (about the train mean), 0.876 (11 folds)
  assertAlmostEquals(r.r2, 0.945, 0.002);
  assertAlmostEquals(r.r2AboutTrainMean, 0.998, 0.002);
  assertAlmostEquals(folds.r2, 0.876, 0.002);
});

Deno.test("fixture: the person blinks: shut eyes lose the eye class, and the held-out frames have blinks", async () => {
  const closure = frames.map((f) => f.eyeClosure);
  const split = frameSplit(N);
  const shutIn = (ids: number[]) => ids.filter((i) => closure[i] >= 0.5).length;
  assertGreater(shutIn(split.train), 8);
  assertGreater(shutIn(split.val), 8); // three blinks' worth (about 3 frames each)
  assertEquals(gt.blinks.filter((b: { start: number }) => b.start >= split.val[0] / 25).length, 3);
  const eyePixels: number[] = [];
  for (const f of frames) eyePixels.push(count(await parsing(f.id), CLASS.eyes));
  assertLess(pearson(closure, eyePixels), -0.9);
  for (const f of frames) if (f.eyeClosure === 1) assertEquals(eyePixels[f.id], 0, `frame ${f.id}`);
  const open = frames.filter((f) => f.eyeClosure === 0).map((f) => eyePixels[f.id]);
  assertGreater(Math.min(...open), 10);
});

Deno.test("fixture: the transforms' eye field is the landmarks' eye signal, and follows the eyelids", async () => {
  const train = JSON.parse(await Deno.readTextFile(`${DIR}/transforms_train.json`));
  const val = JSON.parse(await Deno.readTextFile(`${DIR}/transforms_val.json`));
  const stored: number[] = [...train.frames, ...val.frames].map((f: { eye: number }) => f.eye);
  const lms = await Promise.all(
    frames.map(async (f) =>
      parseLandmarks(await Deno.readTextFile(`${DIR}/ori_imgs/${f.id}.lms`), `${f.id}.lms`)
    ),
  );
  assertEquals(stored, eyeSignalFromLandmarks(lms));
  const closure = frames.map((f) => f.eyeClosure);
  assertLess(pearson(stored, closure), -0.95);
  for (const f of frames) {
    if (f.eyeClosure === 1) assertLess(stored[f.id], 0.02);
    if (f.eyeClosure === 0) assertGreater(stored[f.id], 0.9);
  }
});

function count(p: Uint8Array, cls: number): number {
  return p.reduce((n, c) => n + (c === cls ? 1 : 0), 0);
}

Deno.test("fixture: background pixels of frames equal bc.jpg within JPEG tolerance", async () => {
  const bc = await readImage(`${DIR}/bc.jpg`);
  assertEquals([bc.width, bc.height], [W, H]);
  let n = 0, sum = 0, worst = 0;
  for (const id of [0, Math.floor(N / 2), N - 1]) {
    const img = await readImage(`${DIR}/ori_imgs/${id}.jpg`);
    const p = await parsing(id);
    for (let v = 2; v < H - 2; v++) {
      for (let u = 2; u < W - 2; u++) {
        let clear = true;
        for (let dv = -2; dv <= 2 && clear; dv++) {
          for (let du = -2; du <= 2; du++) clear &&= p[(v + dv) * W + u + du] === 0;
        }
        if (!clear) continue;
        for (let k = 0; k < 3; k++) {
          const d = Math.abs(img.data[3 * (v * W + u) + k] - bc.data[3 * (v * W + u) + k]);
          sum += d;
          worst = Math.max(worst, d);
          n++;
        }
      }
    }
  }
  assertGreater(n, 3 * 3 * 4000);
  assertLess(sum / n, 1.5);
  assertLess(worst, 16);
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}
