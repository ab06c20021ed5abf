/**
 * `deno task preprocess --video talk.mp4 --out data/name [--size 512] [--fps 25] [--max-frames N]
 *  [--parsing-dir DIR] [--focal-range 400,3000] [--focal F] [--crop-scale 3] [--max-missing 0.2]
 *  [--overwrite]`: turns a video of one person talking into a dataset folder in the AD-NeRF / SSP-NeRF
 * layout (lib/preprocess preprocessVideo), with a progress bar per step and a summary at the end.
 * @module
 */
import { type PreprocessSummary, preprocessVideo } from "../lib/preprocess/mod.ts";
import { basename, dirname, resolve } from "node:path";
import { cleanTempLeftovers } from "../lib/train/run_folder.ts";
import { initBackend } from "../lib/backend/mod.ts";
import { BACKEND_FLAGS, backendOptions, intFlag, numberFlag, parseCli } from "./cli.ts";

function printSummary(s: PreprocessSummary): void {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const lines = [
    `dataset   ${s.outDir}`,
    `frames    ${s.frames} at ${s.fps} fps, ${s.size}x${s.size} (crop ${s.crop.w}x${s.crop.h}+${s.crop.x}+${s.crop.y} of ${s.source.width}x${s.source.height})`,
    `faces     found in ${s.facesFound}/${s.frames} frames` +
    (s.missingFrames.length
      ? `; interpolated: ${s.missingFrames.slice(0, 20).join(", ")}${
        s.missingFrames.length > 20 ? ", ..." : ""
      }`
      : "") +
    ` (${s.detectorRuns} detector runs, ${s.trackingLosses} tracking losses)`,
    `focal     ${s.focal.toFixed(1)} px (${s.focalSource}${
      s.focalInterval ? `; 95 % interval ${s.focalInterval.map((f) => f.toFixed(0)).join("-")} px` : ""
    }); reprojection RMSE ${s.reprojectionRmse.toFixed(2)} px`,
    `pose      mean change per frame ${s.poseSmoothness.rawDeg.toFixed(3)} deg raw -> ${
      s.poseSmoothness.smoothedDeg.toFixed(3)
    } deg smoothed`,
    `parsing   ${s.parsing.source} (${s.parsing.palette}): ` +
    Object.entries(s.parsing.classAreas).map(([k, v]) => `${k} ${pct(v)}`).join(", "),
    `background ${pct(s.backgroundInpainted)} never seen (inpainted)`,
    `time      ${s.seconds.total.toFixed(1)} s, ${s.framesPerSecond.toFixed(1)} frames/s (` +
    Object.entries(s.seconds).filter(([k]) => k !== "total").map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(
      ", ",
    ) + ")",
    ...s.warnings.map((w) => `warning   ${w}`),
  ];
  console.log(lines.join("\n"));
}

if (import.meta.main) {
  const a = parseCli(Deno.args, {
    video: { type: "string", help: "input video (one person talking, static camera and background)" },
    out: { type: "string", help: "dataset folder to create" },
    size: { type: "string", default: "512", help: "side of the square output frames" },
    fps: { type: "string", default: "25", help: "output frame rate (the video is resampled to it)" },
    "max-frames": { type: "string", help: "use at most this many frames" },
    "parsing-dir": {
      type: "string",
      help: "external parsing maps <frame>.png (BiSeNet / AD-NeRF / SSP-NeRF)",
    },
    "focal-range": {
      type: "string",
      help: "focal lengths searched, output pixels, as LOW,HIGH (default 0.8..6 x size)",
    },
    focal: { type: "string", help: "fixed focal length in output pixels (no search)" },
    "crop-scale": { type: "string", default: "3", help: "crop side in face sizes" },
    "max-missing": {
      type: "string",
      default: "0.2",
      help: "fail when more than this fraction of frames has no face",
    },
    overwrite: { type: "boolean", default: false, help: "replace --out if it exists" },
    person: {
      type: "string",
      default: "difference",
      help: "person/background split: difference (to the estimated background) | selfie (MediaPipe model)",
    },
    ...BACKEND_FLAGS,
  }, "usage: deno task preprocess --video talk.mp4 --out data/name [options]");
  try {
    if (!a.video || !a.out) throw new Error("--video and --out are required (see --help)");
    const backend = backendOptions(a);
    // face-api reads its tensors synchronously (dataSync), which the webgpu backend cannot do in Deno.
    if (backend.backend === "webgpu") throw new Error("--backend webgpu: face-api needs wasm or cpu here");
    await initBackend(backend);
    let focalRange: [number, number] | undefined;
    if (a["focal-range"]) {
      const parts = a["focal-range"].split(",").map(Number);
      if (parts.length !== 2 || !parts.every((p) => Number.isFinite(p) && p > 0) || !(parts[0] < parts[1])) {
        throw new Error(
          `--focal-range must be LOW,HIGH in pixels with 0 < LOW < HIGH: got ${
            JSON.stringify(a["focal-range"])
          }`,
        );
      }
      focalRange = [parts[0], parts[1]];
    }
    // Every number checked here, naming its flag, before the video is read.
    const options = {
      size: intFlag(a.size, "size", 16),
      fps: numberFlag(a.fps, "fps", { gt: 0 }),
      maxFrames: intFlag(a["max-frames"], "max-frames"),
      focal: numberFlag(a.focal, "focal", { gt: 0 }),
      cropScale: numberFlag(a["crop-scale"], "crop-scale", { gt: 0 }),
      maxMissingFraction: numberFlag(a["max-missing"], "max-missing", { min: 0, max: 1 }),
    };
    // Temporary dataset folders of killed runs (`.<name>.tmp-<pid>-*` beside --out) are removed.
    const out = resolve(a.out);
    await cleanTempLeftovers(
      dirname(out),
      (l) => console.error(`preprocess: ${l}`),
      `.${basename(out)}.tmp-`,
    );
    const person = a.person;
    if (person !== "difference" && person !== "selfie") {
      throw new Error(`--person must be difference or selfie: got ${person}`);
    }
    const summary = await preprocessVideo(a.video, a.out, {
      ...options,
      parsingDir: a["parsing-dir"],
      focalRange,
      overwrite: a.overwrite,
      personSegmentation: person,
    });
    printSummary(summary);
  } catch (e) {
    console.error(`preprocess: ${e instanceof Error ? e.message.replace(/^preprocess: /, "") : e}`);
    Deno.exit(1);
  }
}
