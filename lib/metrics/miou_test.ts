import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { ConfusionMatrix, parsingIoU } from "./miou.ts";

Deno.test("parsingIoU: hand-counted IoU per class; absent classes are null and left out of the mean", () => {
  // pred: 0 0 1 1 2 2 ; gt: 0 1 1 1 2 0 ; class 3 in neither.
  const r = parsingIoU(new Uint8Array([0, 0, 1, 1, 2, 2]), new Uint8Array([0, 1, 1, 1, 2, 0]), 4);
  // class 0: TP 1, pred 2, gt 2 -> 1 / 3; class 1: TP 2, pred 2, gt 3 -> 2 / 3; class 2: TP 1, pred 2, gt 1 -> 1 / 2
  assertEquals(r.perClass, [1 / 3, 2 / 3, 1 / 2, null]);
  assertEquals(r.present, [0, 1, 2]);
  assertAlmostEquals(r.miou, (1 / 3 + 2 / 3 + 1 / 2) / 3, 1e-15);
  const same = parsingIoU(new Uint8Array([3, 1]), new Uint8Array([3, 1]), 11);
  assertEquals([same.miou, same.present], [1, [1, 3]]);
});

Deno.test("parsingIoU: set definition |P ∩ G| / |P ∪ G| per class agrees with the confusion matrix", () => {
  const rng = createRng(3);
  const k = 5, n = 500;
  const gt = Uint8Array.from({ length: n }, () => rng.int(k - 1)); // class 4 never in gt
  const pred = Uint8Array.from(gt, (v) => (rng.next() < 0.7 ? v : rng.int(k - 1)));
  const r = parsingIoU(pred, gt, k);
  for (let c = 0; c < k; c++) {
    let inter = 0, union = 0;
    for (let i = 0; i < n; i++) {
      inter += +(pred[i] === c && gt[i] === c);
      union += +(pred[i] === c || gt[i] === c);
    }
    assertEquals(r.perClass[c], union ? inter / union : null);
  }
});

Deno.test("ConfusionMatrix: accumulating frames equals one frame of all pixels (pooled IoU)", () => {
  const rng = createRng(4);
  const frames = Array.from({ length: 3 }, () => {
    const gt = Uint8Array.from({ length: 64 }, () => rng.int(3));
    return { gt, pred: Uint8Array.from(gt, (v) => (rng.next() < 0.5 ? v : rng.int(3))) };
  });
  const cm = new ConfusionMatrix(3);
  for (const f of frames) cm.add(f.pred, f.gt);
  const all = (key: "gt" | "pred") => Uint8Array.from(frames.flatMap((f) => Array.from(f[key])));
  assertEquals(cm.iou(), parsingIoU(all("pred"), all("gt"), 3));
  assertEquals(cm.pixels, 192);
  assertEquals(cm.counts.reduce((s, v) => s + v, 0), 192);
  assertEquals(new ConfusionMatrix(2).iou().miou, NaN);
});

Deno.test("parsingIoU: errors name the input and what was expected", () => {
  assertThrows(
    () => parsingIoU(new Uint8Array([0, 5]), new Uint8Array([0, 1]), 4),
    Error,
    "pred: pixel 1 has class id 5, expected ids 0..3",
  );
  assertThrows(
    () => parsingIoU(new Uint8Array([0]), new Uint8Array([0, 1]), 4),
    Error,
    "pred has 1 pixels but gt has 2",
  );
  assertThrows(
    () => parsingIoU(new Uint8Array([0]), new Uint8Array([0]), 0),
    Error,
    "numClasses must be an integer in 1..256",
  );
});
