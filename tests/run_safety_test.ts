/**
 * A trained model is never lost: the `train` command on run folders that already hold a run, two
 * trainings into one folder at once, `--resume` with another config, broken datasets found before
 * step 1, flags checked before any work, and the clear messages of bad input; each on a tiny dataset
 * (16x16 frames, the `tiny` preset, a few steps).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { writeTinyDataset } from "../lib/data/tiny_dataset.ts";
import { readImage, writeImage } from "../lib/io/mod.ts";
import { loadAudioFeatures } from "../lib/render/render_video.ts";
import { readCheckpoint } from "../lib/train/checkpoint.ts";

const root = new URL("..", import.meta.url).pathname;

interface Result {
  code: number;
  out: string;
  err: string;
}

function spawn(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output().then((p) => {
    const dec = new TextDecoder();
    return { code: p.code, out: dec.decode(p.stdout), err: dec.decode(p.stderr) };
  });
}

const train = (data: string, out: string, ...more: string[]) =>
  spawn(["experiments/train.ts", "--data", data, "--config", "tiny", "--out", out, ...more]);

async function withData(fn: (dir: string, data: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ssp-safety-" });
  try {
    const data = join(dir, "data");
    await writeTinyDataset(data, { frames: 12, width: 16, height: 16, imageExt: "jpg" });
    await fn(dir, data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
const readJson = (path: string) => JSON.parse(Deno.readTextFileSync(path));

/** The id of a process that has ended. */
async function deadPid(): Promise<number> {
  const p = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" }).spawn();
  await p.status;
  return p.pid;
}

Deno.test("case 1: train on a folder holding a run refuses, naming --resume and --overwrite; --overwrite replaces it", async () => {
  await withData(async (dir, data) => {
    const R = join(dir, "runs", "r");
    const first = await train(data, R, "--steps", "2", "--eval-frames", "1", "--skip-validation");
    assertEquals(first.code, 0, first.err);
    assert(!first.err.includes("validating"), "--skip-validation skips the dataset check");
    const old = Deno.readTextFileSync(join(R, "checkpoint.json"));
    const again = await train(data, R, "--steps", "2");
    assertEquals(again.code, 1);
    assertStringIncludes(
      again.err,
      `error: run folder ${R} already holds a run (config "tiny", checkpoint at step 2): pass --resume to continue ` +
        "it, or --overwrite to replace it (the old run stays intact until the new run's first checkpoint), or " +
        "choose another --out",
    );
    assertEquals(Deno.readTextFileSync(join(R, "checkpoint.json")), old);
    assert(names(R).includes("checkpoint-2.bin"));
    const over = await train(data, R, "--steps", "3", "--eval-frames", "1", "--overwrite");
    assertEquals(over.code, 0, over.err);
    assertStringIncludes(over.err, `replaced the previous run in ${R} (config "tiny", checkpoint at step 2)`);
    assertEquals(readJson(join(R, "checkpoint.json")).step, 3);
    assertEquals(readJson(join(R, "config.json")).train.steps, 3);
    assertEquals(names(join(dir, "runs")), ["r"], "no staging folder, no lock file");
  });
});

Deno.test("case 2: two train processes started together on one folder leave exactly one intact run", async () => {
  await withData(async (dir, data) => {
    const R = join(dir, "r");
    const [a, b] = await Promise.all([
      train(data, R, "--steps", "40", "--eval-frames", "1"),
      train(data, R, "--steps", "25", "--eval-frames", "1"),
    ]);
    const runs = [{ r: a, steps: 40 }, { r: b, steps: 25 }];
    const won = runs.filter((x) => x.r.code === 0);
    assertEquals(won.length, 1, `exactly one succeeds:\nA: ${a.err}\nB: ${b.err}`);
    const lost = runs.find((x) => x.r.code !== 0)!;
    assertEquals(lost.r.code, 1);
    // Refused by the lock while the other trains (named, or "another process" when it has locked the file
    // but not yet written who it is), or by the finished run it found.
    assert(
      /is in use by (process \d+ on .*|another process) \(lock file .*\.r\.lock\)/.test(lost.r.err) ||
        lost.r.err.includes("already holds a run"),
      lost.r.err,
    );
    const steps = won[0].steps;
    const { meta } = await readCheckpoint(R); // the .bin matches the size and hash checkpoint.json records
    assertEquals(meta.step, steps);
    assertEquals(meta.config.train.steps, steps);
    assertEquals(readJson(join(R, "config.json")).train.steps, steps);
    assertEquals(readJson(join(R, "history.json")).length, steps);
    assertEquals(readJson(join(R, "metrics.json")).step, steps);
    assertEquals(names(R).filter((n) => n.endsWith(".bin")), [`checkpoint-${steps}.bin`]);
    assertEquals(names(R).filter((n) => n.startsWith(".")), []);
    assertEquals(names(dir), ["data", "r"]);
  });
});

Deno.test("case 3: --resume with another --config is refused naming the field; --steps is accepted and said", async () => {
  await withData(async (dir, data) => {
    const R = join(dir, "r");
    assertEquals((await train(data, R, "--steps", "2", "--eval-frames", "1")).code, 0);
    const deeper = join(dir, "deeper.json");
    await Deno.writeTextFile(deeper, JSON.stringify({ base: "tiny", override: { field: { depth: 3 } } }));
    const refused = await spawn([
      "experiments/train.ts",
      "--data",
      data,
      "--config",
      deeper,
      "--out",
      R,
      "--resume",
    ]);
    assertEquals(refused.code, 1);
    assertStringIncludes(
      refused.err,
      `error: --config ${deeper} differs from the configuration of the run in ${R} at config.field.depth: the run ` +
        `has 2, --config ${deeper} gives 3. A resumed run keeps its configuration (only train.steps, ` +
        "train.evalEvery, train.evalFrames, train.checkpointEvery, train.threads may change)",
    );
    // Case 6 on the way: a temporary file of a killed write is removed at the next start; the env var
    // SSP_CHECK_LEAKS prints the tensor count.
    Deno.writeTextFileSync(join(R, `.checkpoint-7.bin.tmp-${await deadPid()}-x1y2z3`), "half");
    const resumed = await spawn(
      ["experiments/train.ts", "--data", data, "--config", "tiny", "--steps", "4", "--out", R, "--resume"],
      { SSP_CHECK_LEAKS: "1" },
    );
    assertEquals(resumed.code, 0, resumed.err);
    assertStringIncludes(
      resumed.err,
      "resume: config.train.steps: 2 -> 4 (a field a resumed run may change)",
    );
    assertStringIncludes(resumed.err, `${R}: removed 1 temporary file(s) left by killed processes`);
    const counts = [...resumed.err.matchAll(/step (\d): (\d+) tensors/g)].map((
      m,
    ) => [Number(m[1]), Number(m[2])]);
    assertEquals(counts.map((c) => c[0]), [3, 4]);
    assertEquals(counts[0][1], counts[1][1], "tensor count flat");
    const history = readJson(join(R, "history.json"));
    assertEquals(history.map((h: { step: number }) => h.step), [1, 2, 3, 4]);
    assertEquals(history[2].resumed, { fromStep: 2 });
  });
});

Deno.test("case 4: train finds a truncated training JPEG, a truncated validation JPEG and an unknown parsing colour before step 1", async () => {
  await withData(async (dir, data) => {
    const valId = readJson(join(data, "transforms_val.json")).frames[0].img_id;
    const trainId = readJson(join(data, "transforms_train.json")).frames[3].img_id;
    const cut = (file: string) => {
      const bytes = Deno.readFileSync(file);
      Deno.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    };
    const cases: [string, () => Promise<void> | void, string][] = [
      [`ori_imgs/${trainId}.jpg`, () => cut(join(data, "ori_imgs", `${trainId}.jpg`)), "cannot decode"],
      [`ori_imgs/${valId}.jpg`, () => cut(join(data, "ori_imgs", `${valId}.jpg`)), "cannot decode"],
      [`parsing/${trainId}.png`, async () => {
        const file = join(data, "parsing", `${trainId}.png`);
        const img = await readImage(file);
        img.data.set([1, 2, 3], img.channels * 5); // pixel (5, 0): a colour of no palette
        await writeImage(file, img);
      }, "pixel (5, 0) has colour RGB(1, 2, 3)"],
    ];
    for (const [file, damage, why] of cases) {
      const backup = join(dir, "backup");
      await Deno.remove(backup, { recursive: true }).catch(() => {});
      await Deno.mkdir(backup);
      Deno.copyFileSync(join(data, file), join(backup, "f"));
      await damage();
      const R = join(dir, "r");
      const r = await train(data, R, "--steps", "2");
      assertEquals(r.code, 1, file);
      assertStringIncludes(r.err, file);
      assertStringIncludes(r.err, why);
      assertStringIncludes(r.err, `validating ${data}`);
      assert(!r.err.includes("tiny ["), `${file}: no training step may run`);
      assert(!names(dir).includes("r"), `${file}: no run folder is created`);
      Deno.copyFileSync(join(backup, "f"), join(data, file));
    }
  });
});

Deno.test("case 5: each unclear message is clear and comes before any work", async () => {
  await withData(async (dir, data) => {
    const R = join(dir, "r");
    const flags: [string[], string][] = [
      [["--eval-frames", "abc"], '--eval-frames must be an integer >= 1: got "abc"'],
      [["--eval-frames", "0"], '--eval-frames must be an integer >= 1: got "0"'],
      [["--backend", "gpu"], '--backend must be one of wasm, webgpu, cpu: got "gpu"'],
      [["--steps", "1.5"], '--steps must be an integer >= 1: got "1.5"'],
      [["--check-leaks", "x"], '--check-leaks must be an integer >= 1: got "x"'],
      [["--resume", "--overwrite"], "--resume and --overwrite exclude each other"],
    ];
    for (const [args, message] of flags) {
      const r = await train(data, R, ...args);
      assertEquals(r.code, 1, args.join(" "));
      assertStringIncludes(r.err, `error: ${message}`);
      assert(!r.err.includes("tfjs backend"), `${args}: refused before the backend starts`);
    }
    assert(!names(dir).includes("r"));
    const frames = await spawn(["experiments/render.ts", "--run", R, "--audio", "x.wav", "--frames", "abc"]);
    assertEquals(frames.code, 1);
    assertStringIncludes(frames.err, 'error: --frames must be an integer >= 1: got "abc"');
    const mp3 = await spawn(["experiments/render.ts", "--run", R, "--audio", "x.mp3"]);
    assertStringIncludes(
      mp3.err,
      'error: --audio must be a .wav file or an aud.npy of features: got "x.mp3"',
    );

    // eval and preprocess: numbers checked with the flag named, before any video is read.
    const checks: [string[], string][] = [
      [
        ["experiments/eval.ts", "--pred", "a.mp4", "--gt", "b.mp4", "--max-frames", "0"],
        "--max-frames must be an integer >= 1",
      ],
      [
        ["experiments/eval.ts", "--pred", "a.mp4", "--gt", "b.mp4", "--fps", "fast"],
        '--fps must be a number > 0: got "fast"',
      ],
      [
        ["experiments/preprocess.ts", "--video", "a.mp4", "--out", join(dir, "d"), "--max-missing", "2"],
        "--max-missing must be a number >= 0 and <= 1",
      ],
      [
        ["experiments/preprocess.ts", "--video", "a.mp4", "--out", join(dir, "d"), "--size", "abc"],
        '--size must be an integer >= 16: got "abc"',
      ],
    ];
    for (const [args, message] of checks) {
      const r = await spawn(args);
      assertEquals(r.code, 1, args.join(" "));
      assertStringIncludes(r.err, message);
    }

    // An upper-case .WAV is a WAV.
    const wav = join(dir, "HELDOUT.WAV");
    await Deno.copyFile(join(root, "fixtures/speech/heldout.wav"), wav);
    const lower = await loadAudioFeatures(join(root, "fixtures/speech/heldout.wav"), 13);
    const upper = await loadAudioFeatures(wav, 13);
    assertEquals(upper.shape, lower.shape);
    assertEquals(upper.data, lower.data);

    // A checkpoint full of NaN is refused at load, naming the parameter (not at the first render).
    assertEquals((await train(data, R, "--steps", "1", "--eval-frames", "1", "--skip-validation")).code, 0);
    const meta = readJson(join(R, "checkpoint.json"));
    const bytes = Deno.readFileSync(join(R, meta.bin));
    new Float32Array(bytes.buffer).fill(NaN, 0, meta.optimizerOffset);
    Deno.writeFileSync(join(R, meta.bin), bytes);
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    meta.binSha256 = Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
    Deno.writeTextFileSync(join(R, "checkpoint.json"), JSON.stringify(meta));
    const nan = await spawn(["experiments/render.ts", "--run", R, "--val"]);
    assertEquals(nan.code, 1);
    const first = meta.params[0];
    const n = first.shape.reduce((x: number, y: number) => x * y, 1);
    assertStringIncludes(
      nan.err,
      `error: checkpoint ${R}/${meta.bin} (step 1): parameter ${first.name} holds NaN at index 0 (${n} of ${n} ` +
        "values are not finite): the run had diverged when it was saved",
    );
  });
});
