/**
 * Step 6 of {@linkcode preprocessVideo}: a parsing map per frame, from the landmark polygons and the
 * person mask, or read from a folder of external maps.
 * @module
 */
import { join } from "node:path";
import { type Palette, parsingToImage, SSPNERF11 } from "../data/palette.ts";
import { decodeJpeg, encodePng } from "../io/image.ts";
import type { CropRect, Image } from "../io/types.ts";
import type { VideoInfo } from "../io/video_probe.ts";
import type { PersonMasker } from "./pipeline_background.ts";
import type { StageContext } from "./pipeline_options.ts";
import { type ExternalParsingKind, readExternalParsing } from "./parsing_dir.ts";
import { parsingFromLandmarks } from "./parsing_landmarks.ts";

/** What the parsing step wrote, for the summary. */
export interface ParsingStageResult {
  /** The external maps' kind; undefined for landmark parsing. */
  readonly kind: ExternalParsingKind | undefined;
  readonly palette: Palette;
  /** Mean fraction of the image per class of the palette. */
  readonly areas: Float64Array;
}

/**
 * Writes `parsing/<k>.png` for every frame into `ctx.tmp` (see {@linkcode preprocessVideo}, step 6).
 * @param ctx The shared step context.
 * @param lms Landmarks in the crop per frame.
 * @param personOf The person mask.
 * @param background The background estimate's image.
 * @param crop The crop, in source pixels (to cut external maps of source size).
 * @param info The source video's facts.
 * @returns Palette, external kind and class areas.
 */
export async function parsingStage(
  ctx: StageContext,
  lms: readonly Float64Array[],
  personOf: PersonMasker,
  background: Image,
  crop: CropRect,
  info: VideoInfo,
): Promise<ParsingStageResult> {
  const { tmp, size, options, progress } = ctx;
  const N = lms.length;
  const sz = { width: size, height: size };
  await Deno.mkdir(join(tmp, "parsing"));
  let palette: Palette = SSPNERF11;
  let kind: ExternalParsingKind | undefined;
  let areas = new Float64Array(11);
  for (let k = 0; k < N; k++) {
    let ids: Uint8Array;
    if (options.parsingDir) {
      const ext = await readExternalParsing(options.parsingDir, k, size, { kind, crop, frameSize: info });
      kind = ext.kind, palette = ext.palette, ids = ext.ids;
    } else {
      const frame = decodeJpeg(await Deno.readFile(join(tmp, "ori_imgs", `${k}.jpg`)));
      const person = personOf(frame, background, lms[k]);
      ids = parsingFromLandmarks(lms[k], person, sz);
    }
    if (areas.length !== palette.classNames.length) areas = new Float64Array(palette.classNames.length);
    for (let p = 0; p < ids.length; p++) areas[ids[p]] += 1 / (ids.length * N);
    await Deno.writeFile(
      join(tmp, "parsing", `${k}.png`),
      encodePng(parsingToImage(ids, size, size, palette)),
    );
    progress("parsing", k + 1, N);
  }
  return { kind, palette, areas };
}
