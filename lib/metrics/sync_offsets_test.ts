import { assertEquals, assertThrows } from "@std/assert";
import {
  LA_SYNC_NAME,
  offsetRange,
  offsetSearch,
  SS_SYNC_NAME,
  syncMetrics,
  type SyncScore,
} from "./sync_offsets.ts";

Deno.test("offsetSearch: argmin, torch's lower median, NaN left out, first of ties", () => {
  const offsets = offsetRange(2);
  assertEquals(offsets, [-2, -1, 0, 1, 2]);
  const r = offsetSearch([5, 4, 1, 4, 5], offsets);
  assertEquals(r, { offset: 0, confidence: 3, minDistance: 1 });
  // even count after dropping NaN: [1, 2, 3, 9] -> lower median 2
  assertEquals(offsetSearch([9, NaN, 1, 2, 3], offsets).confidence, 1);
  assertEquals(offsetSearch([2, 1, 1, 2, 2], offsets).offset, -1);
  assertThrows(() => offsetSearch([NaN, NaN], [0, 1]), Error, "no offset has a finite distance");
  assertThrows(() => offsetSearch([1], [0, 1]), Error, "1 distances for 2 offsets");
  assertThrows(() => offsetRange(0), Error, "maxOffset");
});

Deno.test("offsetSearch matches syncnet_python's sign on a shifted distance curve", () => {
  // syncnet_python: dists[i][j] = |v_i - a_(i + j - vshift)|, offset = vshift - argmin_j. Audio that is
  // 5 frames late (a_(i+5) matches v_i) has its minimum at j = vshift + 5, so offset = -5.
  const vshift = 15;
  const byJ = Array.from({ length: 2 * vshift + 1 }, (_, j) => Math.abs(j - (vshift + 5)) + 1);
  const syncnetOffset = vshift - byJ.indexOf(Math.min(...byJ));
  // Ours lists offsets ascending; offset o pairs video i with audio i - o, i.e. j = vshift - o.
  const offsets = offsetRange(vshift);
  const ours = offsetSearch(offsets.map((o) => byJ[vshift - o]), offsets);
  assertEquals([syncnetOffset, ours.offset], [-5, -5]);
});

Deno.test("syncMetrics: columns under the substitute's own name, never SyncNet's", () => {
  const score: SyncScore = {
    name: SS_SYNC_NAME,
    offset: 1,
    confidence: 0.4,
    minDistance: 0.9,
    offsets: [0, 1],
    distances: [1.3, 0.9],
    pairs: [10, 10],
    frames: 12,
    framesWithoutFace: 2,
  };
  const m = syncMetrics(score, { note: "trained on the gt" });
  assertEquals(m.map((x) => x.name), ["SS-Sync offset", "SS-Sync confidence", "SS-Sync min dist"]);
  assertEquals(m.map((x) => x.value), [1, 0.4, 0.9]);
  assertEquals(m[1].note, `${SS_SYNC_NAME}; 2 of 12 frames without a face; trained on the gt`);
  for (const x of [...m, ...syncMetrics(null, { name: LA_SYNC_NAME })]) {
    assertEquals(/SyncNet\b|LSE/.test(x.name), false);
  }
  assertThrows(() => syncMetrics(null), Error, "options.name");
});
