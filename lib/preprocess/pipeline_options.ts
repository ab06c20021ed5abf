/**
 * The contract of {@linkcode preprocessVideo} (pipeline.ts): its steps, options and summary, and what
 * its step functions share.
 * @module
 */
import type { CropRect } from "../io/types.ts";
import type { FocalCandidate } from "./focal_search.ts";
import type { ExternalParsingKind } from "./parsing_dir.ts";
import type { FaceDetector } from "./track.ts";

/** Steps of {@linkcode preprocessVideo}, in order. */
export const PREPROCESS_STEPS = ["track", "crop", "audio", "pose", "background", "parsing"] as const;

/** A step name. */
export type PreprocessStep = typeof PREPROCESS_STEPS[number];

/** Options of {@linkcode preprocessVideo}. */
export interface PreprocessOptions {
  /** Side of the square output frames, pixels. @default {512} */
  readonly size?: number;
  /** Output frame rate: the video is resampled to it (ffmpeg's fps filter). @default {25} */
  readonly fps?: number;
  /** Use at most this many frames from the start. @default all */
  readonly maxFrames?: number;
  /** Folder of external parsing maps `<frame>.png` (BiSeNet CelebAMask-HQ ids, AD-NeRF 4-class or
   * SSP-NeRF 11-class colours), used instead of landmark-polygon parsing. */
  readonly parsingDir?: string;
  /** Focal lengths searched, in output pixels. @default {[0.8 * size, 6 * size]} */
  readonly focalRange?: readonly [number, number];
  /** A fixed focal length (output pixels) instead of the search. */
  readonly focal?: number;
  /** Landmark detector (injectable for tests); default: face-api's tiny detector + 68 landmarks,
   * created and disposed here. */
  readonly detector?: FaceDetector;
  /** Progress callback; default: one progress bar per step on stderr (none when `quiet`). */
  readonly onProgress?: (step: PreprocessStep, done: number, total: number) => void;
  /** Receives warnings (variable frame rate, missing faces, uncertain focal); they also go to the summary.
   * @default prints to stderr unless quiet */
  readonly onWarning?: (message: string) => void;
  /** No progress bars or warnings on the terminal. @default {false} */
  readonly quiet?: boolean;
  /** Crop side in face sizes (see cropFromTrack). @default {3} */
  readonly cropScale?: number;
  /** Largest side of the frames of the tracking pass (smaller videos are tracked as they are). @default {512} */
  readonly trackSide?: number;
  /** Fail when more than this fraction of the frames has no face (else they are interpolated). @default {0.2} */
  readonly maxMissingFraction?: number;
  /** Savitzky-Golay window (frames) of the landmark smoothing; 1 turns it off. @default {5} */
  readonly landmarkSmoothWindow?: number;
  /** Savitzky-Golay window (frames) of the pose-path smoothing; 1 turns it off. @default {9} */
  readonly poseSmoothWindow?: number;
  /** Frames held in memory for the background median (evenly spaced). @default {60} */
  readonly backgroundSamples?: number;
  /** JPEG quality of the frames and background. @default {95} */
  readonly jpegQuality?: number;
  /** Replace `outDir` if it exists (else that is an error). @default {false} */
  readonly overwrite?: boolean;
  /** How the person is told from the background (background estimate and parsing): "difference" (colour
   * difference to the estimated background, personMask) or "selfie" (MediaPipe's selfie segmentation
   * model, selfie_segmentation.ts); the face outline counts as person either way. @default {"difference"} */
  readonly personSegmentation?: "difference" | "selfie";
}

/** What {@linkcode preprocessVideo} did, also written as `preprocess_summary.json`. */
export interface PreprocessSummary {
  readonly video: string;
  readonly outDir: string;
  /** Source video facts. */
  readonly source: {
    readonly width: number;
    readonly height: number;
    readonly fps: number;
    readonly durationS: number;
    readonly variableFrameRate: boolean;
  };
  readonly frames: number;
  readonly fps: number;
  readonly size: number;
  /** The crop, in source pixels. */
  readonly crop: CropRect;
  /** Frames where the detector / tracker found a face. */
  readonly facesFound: number;
  /** Frames without a face (filled by interpolation). */
  readonly missingFrames: readonly number[];
  readonly detectorRuns: number;
  readonly trackingLosses: number;
  /** Focal length (output pixels), how it was chosen, and the search's error curve. */
  readonly focal: number;
  readonly focalSource: "search" | "given" | "fallback";
  readonly focalCurve: readonly FocalCandidate[];
  /** The search's 95 % interval of focal lengths (searchFocal `interval`); null without a search result. */
  readonly focalInterval: readonly [number, number] | null;
  /** Mean reprojection RMSE of the per-frame pose fits (pixels, rigid points). */
  readonly reprojectionRmse: number;
  /** Mean angular change of the head per frame (degrees) before and after smoothing. */
  readonly poseSmoothness: { readonly rawDeg: number; readonly smoothedDeg: number };
  readonly parsing: {
    readonly source: "landmarks" | ExternalParsingKind;
    readonly palette: string;
    /** How the person was told from the background (options.personSegmentation). */
    readonly person: "difference" | "selfie";
    /** Mean fraction of the image per class. */
    readonly classAreas: Readonly<Record<string, number>>;
  };
  /** Fraction of the background never seen behind the person (inpainted). */
  readonly backgroundInpainted: number;
  readonly warnings: readonly string[];
  /** Seconds per step and total, and frames per second overall. */
  readonly seconds: Readonly<Record<string, number>>;
  readonly framesPerSecond: number;
}

/** `v` if it is a positive (integer) number, else an error naming `options.<name>`. */
export function positive(v: number, name: string, integer = false): number {
  if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(
      `preprocess: options.${name} must be a positive ${integer ? "integer" : "number"}: got ${v}`,
    );
  }
  return v;
}

/** What the steps of {@linkcode preprocessVideo} share. */
export interface StageContext {
  /** The temporary dataset folder (renamed onto the output folder at the end). */
  readonly tmp: string;
  /** Side of the square output frames, pixels. */
  readonly size: number;
  /** JPEG quality of the frames and background. */
  readonly quality: number;
  readonly options: PreprocessOptions;
  /** Records a warning (summary, callback or terminal). */
  readonly warn: (message: string) => void;
  /** Reports progress of a step. */
  readonly progress: (step: PreprocessStep, done: number, total: number) => void;
}
