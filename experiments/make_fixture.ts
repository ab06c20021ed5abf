/**
 * Regenerates the synthetic talking-portrait fixture (`fixtures/synthetic_portrait/`) from the committed
 * speech (`fixtures/speech/`).
 *
 * ```sh
 * deno task fixture                                   # the committed fixture: 128 px, seed 1, all frames
 * deno task fixture --out /tmp/portrait --size 64 --frames 50 --seed 1
 * ```
 * Flags: --out DIR, --size PX (square), --seed N, --frames N (default: the whole speech),
 * --speech-dir DIR (default fixtures/speech), --pause SECONDS (between sentences, default 0.25),
 * --identity N (another person's look; default the committed portrait), --torso-coupling X (default 1),
 * --torso-residual X (default 0.15), --torso-lag SECONDS (default 0), --held-out-blinks N (default 3),
 * --no-blinks. `--torso-coupling 0 --torso-residual 1 --no-blinks` gives version 1's motion.
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { generatePortraitDataset, loadTrainingSpeech, SPEECH_FILES } from "../lib/synthetic/mod.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: `${root}fixtures/synthetic_portrait` },
    size: { type: "string", default: "128" },
    seed: { type: "string", default: "1" },
    frames: { type: "string" },
    "speech-dir": { type: "string", default: `${root}fixtures/speech` },
    pause: { type: "string", default: "0.25" },
    identity: { type: "string" },
    "torso-coupling": { type: "string" },
    "torso-residual": { type: "string" },
    "torso-lag": { type: "string" },
    "held-out-blinks": { type: "string" },
    "no-blinks": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "usage: deno task fixture [--out DIR] [--size PX] [--seed N] [--frames N] [--speech-dir DIR] [--pause S]\n" +
      "  [--identity N] [--torso-coupling X] [--torso-residual X] [--torso-lag S] [--held-out-blinks N] [--no-blinks]",
  );
  Deno.exit(0);
}

function int(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min) {
    console.error(`make_fixture: --${name} must be an integer >= ${min}: got ${JSON.stringify(text)}`);
    Deno.exit(2);
  }
  return v;
}

const size = int("size", values.size, 8)!;
const seed = int("seed", values.seed, 0)!;
const numFrames = int("frames", values.frames, 2);
const pauseSeconds = Number(values.pause);
if (!(pauseSeconds >= 0)) {
  console.error(
    `make_fixture: --pause must be a number of seconds >= 0: got ${JSON.stringify(values.pause)}`,
  );
  Deno.exit(2);
}

function nonNegative(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= 0)) {
    console.error(`make_fixture: --${name} must be a number >= 0: got ${JSON.stringify(text)}`);
    Deno.exit(2);
  }
  return v;
}
const identity = int("identity", values.identity, 0);
const torsoMotion = {
  coupling: nonNegative("torso-coupling", values["torso-coupling"]),
  residual: nonNegative("torso-residual", values["torso-residual"]),
  lagSeconds: nonNegative("torso-lag", values["torso-lag"]),
};
const heldOut = int("held-out-blinks", values["held-out-blinks"], 0);

const speech = await loadTrainingSpeech(values["speech-dir"], { pauseSeconds });
console.log(
  `speech: ${(speech.length / 16000).toFixed(2)} s from ${values["speech-dir"]}; ` +
    `rendering ${size}x${size}, seed ${seed}, into ${values.out}`,
);
const summary = await generatePortraitDataset(values.out, {
  speech,
  width: size,
  height: size,
  seed,
  numFrames,
  identity,
  torsoMotion,
  blinks: values["no-blinks"] ? false : { heldOut },
  overwrite: true,
  speechLabel: `${SPEECH_FILES.train.join(" + ")} from fixtures/speech, joined by ${pauseSeconds} s pauses`,
  onProgress: (done, total) => {
    if (done % 25 === 0 || done === total) console.log(`  frame ${done}/${total}`);
  },
});
console.log(
  `wrote ${summary.numFrames} frames (${summary.numTrain} train, ${summary.numVal} val), ` +
    `${summary.files} files, ${(summary.bytes / 1e6).toFixed(2)} MB, audio ${
      summary.audioSeconds.toFixed(2)
    } s, ` +
    `in ${(summary.elapsedMs / 1000).toFixed(1)} s (${
      (summary.elapsedMs / summary.numFrames).toFixed(0)
    } ms/frame)`,
);
