/**
 * Intersection over union of parsing maps, per class and mean (mIoU), for one frame or accumulated over
 * frames through a confusion matrix.
 * @module
 */

/** IoU per class and their mean. */
export interface IoUResult {
  /** IoU_k = TP_k / (TP_k + FP_k + FN_k) per class id; `null` when class k is in neither map. */
  readonly perClass: (number | null)[];
  /** Mean over the classes that are not null; NaN when no class is present at all (empty maps). */
  readonly miou: number;
  /** Class ids that appear in the prediction or the ground truth (the ones averaged). */
  readonly present: number[];
}

function checkLabels(map: Uint8Array, numClasses: number, name: string): void {
  for (let i = 0; i < map.length; i++) {
    if (map[i] >= numClasses) {
      throw new Error(`${name}: pixel ${i} has class id ${map[i]}, expected ids 0..${numClasses - 1}`);
    }
  }
}

function checkNumClasses(numClasses: number, fn: string): void {
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
    throw new Error(`${fn}: numClasses must be an integer in 1..256, got ${numClasses}`);
  }
}

/**
 * Accumulates a confusion matrix over frames; dataset IoU then pools the pixels of all frames
 * (the semantic-segmentation convention), which differs from the mean of per-frame IoUs.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { ConfusionMatrix } from "./miou.ts";
 * const cm = new ConfusionMatrix(2);
 * cm.add(new Uint8Array([0, 1]), new Uint8Array([0, 0])); // frame 1: TP0 = 1, one 0 predicted as 1
 * cm.add(new Uint8Array([1, 1]), new Uint8Array([1, 1])); // frame 2: TP1 = 2
 * const r = cm.iou(); // IoU_0 = 1 / 2, IoU_1 = 2 / 3
 * assert(r.perClass[0] === 0.5 && Math.abs(r.miou - (0.5 + 2 / 3) / 2) < 1e-12);
 * ```
 */
export class ConfusionMatrix {
  /** Counts, row = ground-truth class, column = predicted class, `numClasses^2` row-major. */
  readonly counts: Float64Array;
  /** Pixels added so far. */
  pixels = 0;

  /** @param numClasses Number of class ids (ids 0..numClasses-1). */
  constructor(readonly numClasses: number) {
    checkNumClasses(numClasses, "ConfusionMatrix");
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /**
   * Adds one frame.
   * @param pred Predicted class id per pixel.
   * @param gt Ground-truth class id per pixel, same length.
   */
  add(pred: Uint8Array, gt: Uint8Array): this {
    if (pred.length !== gt.length) {
      throw new Error(
        `parsing IoU: pred has ${pred.length} pixels but gt has ${gt.length}: expected the same`,
      );
    }
    const k = this.numClasses;
    checkLabels(pred, k, "parsing IoU: pred");
    checkLabels(gt, k, "parsing IoU: gt");
    for (let i = 0; i < pred.length; i++) this.counts[gt[i] * k + pred[i]]++;
    this.pixels += pred.length;
    return this;
  }

  /** IoU per class from the counts so far, and their mean over present classes. */
  iou(): IoUResult {
    const k = this.numClasses;
    const perClass: (number | null)[] = [];
    const present: number[] = [];
    let sum = 0;
    for (let c = 0; c < k; c++) {
      let rowSum = 0, colSum = 0;
      for (let j = 0; j < k; j++) {
        rowSum += this.counts[c * k + j];
        colSum += this.counts[j * k + c];
      }
      const tp = this.counts[c * k + c];
      const union = rowSum + colSum - tp;
      if (union === 0) {
        perClass.push(null);
        continue;
      }
      perClass.push(tp / union);
      present.push(c);
      sum += tp / union;
    }
    return { perClass, miou: present.length ? sum / present.length : NaN, present };
  }
}

/**
 * IoU of one predicted parsing map against its ground truth, per class, and the mean over the classes
 * present in either map (a class absent from both has no defined IoU: it is `null` and left out of the
 * mean, so a frame without, say, visible teeth is not rewarded or punished for them).
 * @param pred Predicted class id per pixel.
 * @param gt Ground-truth class id per pixel, same length.
 * @param numClasses Number of class ids (11 for SSP-NeRF's palette, 4 for AD-NeRF's).
 * @returns Per-class IoU (null = absent), mIoU, and the present class ids.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { parsingIoU } from "./miou.ts";
 * const r = parsingIoU(new Uint8Array([0, 0, 1, 1]), new Uint8Array([0, 1, 1, 1]), 3);
 * // class 0: TP 1, union 2 -> 0.5; class 1: TP 2, union 3 -> 2/3; class 2 absent -> null
 * assert(r.perClass[0] === 0.5 && r.perClass[2] === null && r.present.length === 2);
 * ```
 */
export function parsingIoU(pred: Uint8Array, gt: Uint8Array, numClasses: number): IoUResult {
  checkNumClasses(numClasses, "parsingIoU");
  return new ConfusionMatrix(numClasses).add(pred, gt).iou();
}
