/**
 * The audio-visual offset search of SyncNet (Chung and Zisserman, "Out of time: automated lip sync in
 * the wild", ACCV workshops 2016; joonson/syncnet_python `SyncNetInstance.evaluate`), shared by this
 * toolkit's two substitutes for the unobtainable pretrained SyncNet: LA-Sync
 * ({@linkcode LA_SYNC_NAME}) and SS-Sync ({@linkcode SS_SYNC_NAME}).
 *
 * The protocol: a distance d(o) between video and audio for every offset o in -15..+15 frames (25 fps);
 * offset = argmin_o d(o); confidence = median_o d(o) - min_o d(o). SyncNet's LSE-D is that minimum and
 * LSE-C that confidence; numbers computed by a substitute carry the substitute's own name, never
 * "SyncNet", "LSE-C" or "LSE-D", because their scales differ.
 *
 * Sign (syncnet_python's: `offset = vshift - argmin`): offset o compares video frame i with audio frame
 * i - o. A positive offset means the audio is early (it leads the video); prepending 0.2 s of silence to
 * the audio (audio 5 frames late) moves the offset by -5.
 * @module
 */
import type { MetricResult } from "./report.ts";

/** Report name of the training-free landmark-audio substitute ({@linkcode laSync} in sync_landmark.ts). */
export const LA_SYNC_NAME = "LA-Sync (landmark-audio, training-free)";
/** Report name of the subject-trained two-stream substitute (sync_net.ts). */
export const SS_SYNC_NAME = "SS-Sync (subject-trained SyncNet-style)";

/** Offsets searched by default: -15..+15 frames, as syncnet_python's `--vshift 15`. */
export const SYNC_MAX_OFFSET = 15;

/** Result of an offset search over one clip. */
export interface SyncScore {
  /** Which substitute computed it, e.g. {@linkcode LA_SYNC_NAME}. */
  readonly name: string;
  /** argmin of `distances`, in frames, syncnet_python's sign (positive: audio leads). */
  readonly offset: number;
  /** median(distances) - min(distances): how clearly one offset wins. */
  readonly confidence: number;
  /** min(distances). */
  readonly minDistance: number;
  /** Offsets searched, ascending (-maxOffset..maxOffset). */
  readonly offsets: readonly number[];
  /** Distance at each offset; NaN where too few frame pairs overlapped (left out of min and median). */
  readonly distances: readonly number[];
  /** Frame pairs (or windows) averaged at each offset. */
  readonly pairs: readonly number[];
  /** Video frames of the clip (or of the scored range). */
  readonly frames: number;
  /** Frames that had no face (no landmarks) and were left out. */
  readonly framesWithoutFace: number;
}

/** The lower median, as `torch.median` returns it (for an odd count, the middle value). */
function lowerMedian(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/**
 * Offset, confidence and minimum distance of a distance curve: offset = argmin d (first on ties),
 * confidence = median(d) - min(d) with the lower median (torch's). NaN entries are left out.
 * @param distances d(o) per offset.
 * @param offsets The offsets, as many.
 * @returns The winner and its margin.
 * @throws When no distance is finite.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { offsetSearch } from "./sync_offsets.ts";
 * // median of [0.9, 0.2, 1.0, NaN, 0.8] without the NaN: lower median of 0.2, 0.8, 0.9, 1.0 is 0.8
 * const r = offsetSearch([0.9, 0.2, 1.0, NaN, 0.8], [-2, -1, 0, 1, 2]);
 * assertEquals(r.offset, -1);
 * assertEquals(Math.round(r.confidence * 10) / 10, 0.6);
 * ```
 */
export function offsetSearch(
  distances: readonly number[],
  offsets: readonly number[],
): { offset: number; confidence: number; minDistance: number } {
  if (distances.length !== offsets.length) {
    throw new Error(
      `offsetSearch: ${distances.length} distances for ${offsets.length} offsets: expected as many`,
    );
  }
  let best = -1;
  const finite: number[] = [];
  distances.forEach((d, j) => {
    if (!Number.isFinite(d)) return;
    finite.push(d);
    if (best < 0 || d < distances[best]) best = j;
  });
  if (best < 0) {
    throw new Error("offsetSearch: no offset has a finite distance: expected overlapping video and audio");
  }
  const minDistance = distances[best];
  return { offset: offsets[best], confidence: lowerMedian(finite) - minDistance, minDistance };
}

/** Offsets -maxOffset..maxOffset, ascending. */
export function offsetRange(maxOffset: number): number[] {
  if (!Number.isInteger(maxOffset) || maxOffset < 1) {
    throw new Error(`offsetRange: maxOffset must be a positive integer: got ${maxOffset}`);
  }
  return Array.from({ length: 2 * maxOffset + 1 }, (_, j) => j - maxOffset);
}

/** The short label of a sync score's columns: "LA-Sync" or "SS-Sync" (the part before the bracket). */
function shortName(name: string): string {
  const i = name.indexOf(" (");
  return i > 0 ? name.slice(0, i) : name;
}

/**
 * Report entries for a sync score: "<short> offset", "<short> confidence", "<short> min dist" (e.g.
 * "LA-Sync offset"), with the full name, the frames without a face and `note` in the confidence's note.
 * A score that could not be computed is passed as `null` with the reason as note.
 * @param score The search result, or null.
 * @param options `name` (needed when score is null), `note` appended to the confidence's note.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { syncMetrics, LA_SYNC_NAME } from "./sync_offsets.ts";
 * const m = syncMetrics(null, { name: LA_SYNC_NAME, note: "no audio" });
 * assertEquals(m.map((x) => x.name), ["LA-Sync offset", "LA-Sync confidence", "LA-Sync min dist"]);
 * assertEquals(m[1].value, null);
 * ```
 */
export function syncMetrics(
  score: SyncScore | null,
  options: { name?: string; note?: string } = {},
): MetricResult[] {
  const name = score?.name ?? options.name;
  if (!name) throw new Error("syncMetrics: a null score needs options.name");
  const short = shortName(name);
  const parts = [name];
  if (score?.framesWithoutFace) {
    parts.push(`${score.framesWithoutFace} of ${score.frames} frames without a face`);
  }
  if (options.note) parts.push(options.note);
  return [
    { name: `${short} offset`, value: score ? score.offset : null, digits: 0 },
    {
      name: `${short} confidence`,
      value: score ? score.confidence : null,
      digits: 3,
      note: parts.join("; "),
    },
    { name: `${short} min dist`, value: score ? score.minDistance : null, digits: 3 },
  ];
}
