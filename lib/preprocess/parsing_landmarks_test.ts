import { assert, assertEquals, assertGreater } from "@std/assert";
import { CLASS_ID, faceFrame, parsingFromLandmarks } from "./parsing_landmarks.ts";
import { projectModel } from "./pose_fit.ts";
import { MEAN_FACE_68 } from "./template.ts";
import { expSO3 } from "./rotation.ts";

const size = { width: 128, height: 128 };
const lmsOf = (roll = 0) =>
  projectModel(MEAN_FACE_68, { rotation: expSO3([0, 0, roll]), trans: [0, 0.2, -6] }, {
    focal: 150,
    cx: 64,
    cy: 64,
  });
const at = (ids: Uint8Array, x: number, y: number) => ids[Math.floor(y) * 128 + Math.floor(x)];

Deno.test("parsingFromLandmarks: parts inside their polygons; hair above, neck and torso below the face", () => {
  const lms = lmsOf();
  // A person mask: the whole lower half and a head-sized disc.
  const person = new Uint8Array(128 * 128);
  for (let y = 0; y < 128; y++) {
    for (let x = 0; x < 128; x++) {
      if (y > 80 || Math.hypot(x - 64, y - 50) < 34) person[y * 128 + x] = 1;
    }
  }
  const ids = parsingFromLandmarks(lms, person, size);
  const mid = (
    a: number,
    b: number,
  ) => [(lms[2 * a] + lms[2 * b]) / 2, (lms[2 * a + 1] + lms[2 * b + 1]) / 2];
  assertEquals(at(ids, ...(mid(36, 39) as [number, number])), CLASS_ID.eyes);
  assertEquals(at(ids, lms[60], lms[61]), CLASS_ID.nose);
  assertEquals(at(ids, ...(mid(51, 62) as [number, number])), CLASS_ID.lips); // inside the upper lip
  assertEquals(at(ids, 64, 127), CLASS_ID.torso);
  assertEquals(at(ids, 64, lms[17] + 4), CLASS_ID.neck); // just under the chin
  assertEquals(at(ids, 64, 18), CLASS_ID.hair);
  assertEquals(at(ids, 2, 2), CLASS_ID.background);
  const count = (c: number) => ids.filter((v) => v === c).length;
  for (const c of Object.values(CLASS_ID)) if (c !== CLASS_ID.mouth) assertGreater(count(c), 0, `class ${c}`);
});

Deno.test("parsingFromLandmarks follows an in-plane turn of the face", () => {
  const f = faceFrame(lmsOf(0.3));
  assert(Math.abs(Math.atan2(f.up[0], -f.up[1]) + 0.3) < 0.05, `up ${f.up}`);
  const ids = parsingFromLandmarks(lmsOf(0.3), undefined, size);
  assertGreater(ids.filter((v) => v === CLASS_ID.skin).length, 500);
});
