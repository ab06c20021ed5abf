/**
 * Step 5 of {@linkcode preprocessVideo}: the background plate, a per-pixel median over sampled frames
 * outside the (dilated) person, estimated twice; and the person masks that step 6 (parsing) reuses.
 * @module
 */
import { join } from "node:path";
import { encodeJpeg } from "../io/image.ts";
import type { Image } from "../io/types.ts";
import { type BackgroundEstimate, estimateBackground, personMask, personPrior } from "./background.ts";
import { faceOutline } from "./parsing_landmarks.ts";
import type { StageContext } from "./pipeline_options.ts";
import { dilate, fillPolygon } from "./raster.ts";
import type { SelfieSegmenter } from "./selfie_segmentation.ts";

/** The person in a frame (1) against the background (0), given the frame's landmarks. */
export type PersonMasker = (img: Image, background: Image, l: ArrayLike<number>) => Uint8Array;

/**
 * The person mask of the options: the colour difference to the background (personMask), or the selfie
 * segmentation when a segmenter is given; the face outline of the landmarks counts as person either way.
 * @param size Side of the square frames.
 * @param segmenter The selfie segmentation, if used.
 * @returns The mask function.
 */
export function personMasker(size: number, segmenter: SelfieSegmenter | undefined): PersonMasker {
  const sz = { width: size, height: size };
  const faceMaskOf = (l: ArrayLike<number>) => {
    const m = new Uint8Array(size * size);
    fillPolygon(m, sz, faceOutline(l));
    return m;
  };
  const personOf = (img: Image, background: Image, l: ArrayLike<number>) => {
    const face = faceMaskOf(l);
    if (!segmenter) return personMask(img, background, { include: face });
    const m = segmenter.personMask(img);
    for (let p = 0; p < m.length; p++) m[p] |= face[p];
    return m;
  };
  return personOf;
}

/**
 * Estimates the background from the sampled frames (see {@linkcode preprocessVideo}, step 5) and writes
 * `bc.jpg` into `ctx.tmp`; the samples are cleared.
 * @param ctx The shared step context.
 * @param samples Decoded crops of the sampled frames by frame index.
 * @param lms Landmarks in the crop per frame.
 * @param personOf The person mask.
 * @returns The estimate.
 */
export async function backgroundStage(
  ctx: StageContext,
  samples: Map<number, Image>,
  lms: readonly Float64Array[],
  personOf: PersonMasker,
): Promise<BackgroundEstimate> {
  const { tmp, size, quality, progress } = ctx;
  const sz = { width: size, height: size };
  const grow = Math.max(2, Math.round(size / 64));
  const sampleList = [...samples.keys()];
  progress("background", 0, 2);
  const first = estimateBackground(
    sampleList.map((k) => samples.get(k)!),
    sampleList.map((k) => dilate(personPrior(lms[k], sz), sz, grow)),
  );
  progress("background", 1, 2);
  // The second pass can only free pixels the first one saw: where the first estimate is inpainted,
  // a colour difference says nothing, so those pixels stay excluded.
  const bg = estimateBackground(
    sampleList.map((k) => samples.get(k)!),
    sampleList.map((k) => {
      const m = dilate(personOf(samples.get(k)!, first.image, lms[k]), sz, grow);
      for (let p = 0; p < m.length; p++) if (first.seen[p] === 0) m[p] = 1;
      return m;
    }),
  );
  samples.clear();
  await Deno.writeFile(join(tmp, "bc.jpg"), encodeJpeg(bg.image, quality));
  progress("background", 2, 2);
  return bg;
}
