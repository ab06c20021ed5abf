import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { collectTransforms, parseTransforms, rigidityProblem } from "./transforms.ts";
import { DatasetError } from "./problems.ts";

const EYE = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

/** A proper rotation about y by `a` radians with a translation. */
function pose(a: number, t = [0.1, -0.2, 3]): number[][] {
  const c = Math.cos(a), s = Math.sin(a);
  return [[c, 0, s, t[0]], [0, 1, 0, t[1]], [-s, 0, c, t[2]], [0, 0, 0, 1]];
}

function problemsOf(json: unknown): string[] {
  const e = assertThrows(() => parseTransforms(json, "transforms_train.json"), DatasetError);
  return [...(e as DatasetError).problems];
}

Deno.test("parseTransforms reads the canonical AD-NeRF form", () => {
  const t = parseTransforms({
    focal_len: 1200,
    cx: 225,
    cy: 230,
    id_para: [0.5, -0.25],
    frames: [
      { img_id: 0, aud_id: 3, transform_matrix: pose(0.3), face_rect: [10, 20, 30, 40] },
      {
        img_id: 1,
        aud_id: 4,
        transform_matrix: EYE,
        euler: [0.1, 0.2, 0.3],
        trans: [1, 2, 3],
        exp_para: [1, 2, 3, 4],
      },
    ],
  }, "transforms_train.json");
  assertEquals(t.focal, 1200);
  assertEquals([t.cx, t.cy], [225, 230]);
  assertEquals(Array.from(t.idParams!), [0.5, -0.25]);
  assertEquals(t.frames.map((f) => [f.imgId, f.audId]), [[0, 3], [1, 4]]);
  assertEquals(t.frames[0].faceRect, [10, 20, 30, 40]);
  assertAlmostEquals(t.frames[0].c2w[2], Math.sin(0.3), 1e-6); // row-major: row 0, column 2
  assertAlmostEquals(t.frames[0].c2w[11], 3, 1e-6);
  assertEquals(t.frames[0].euler, undefined);
  assertEquals(t.frames[1].euler, [0.1, 0.2, 0.3]);
  assertEquals(t.frames[1].trans, [1, 2, 3]);
  assertEquals(Array.from(t.frames[1].exp!), [1, 2, 3, 4]);
});

Deno.test("parseTransforms accepts focal_length and frame_id, defaults aud_id to the image id", () => {
  const t = parseTransforms({
    focal_length: 900,
    frames: [
      { frame_id: 5, transform_matrix: EYE },
      { img_id: 6, transform_matrix: EYE },
      { frame_id: 7, aud_id: 2, transform_matrix: EYE },
    ],
  }, "t.json");
  assertEquals(t.focal, 900);
  assertEquals(t.cx, undefined);
  assertEquals(t.frames.map((f) => [f.imgId, f.audId]), [[5, 5], [6, 6], [7, 2]]);
});

Deno.test("parseTransforms reports every problem, each naming file and field", () => {
  const problems = problemsOf({
    frames: [
      { img_id: 0, transform_matrix: EYE.slice(0, 3) },
      { img_id: 1, transform_matrix: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]] },
      { img_id: 2, transform_matrix: [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] },
      { img_id: 1, transform_matrix: EYE },
      { transform_matrix: EYE },
      { img_id: 3, transform_matrix: [[1, 0, 0, 0], [0, 1, "x", 0], [0, 0, 1, 0], [0, 0, 0, 1]] },
      { img_id: 4, transform_matrix: EYE, face_rect: [1, 2, 3] },
      { img_id: 5, transform_matrix: EYE, euler: [0, 0] },
      { img_id: -1, transform_matrix: EYE },
      { img_id: 6 },
      "frame",
    ],
  });
  const expected = [
    "transforms_train.json: focal_len (or focal_length) is missing",
    "transforms_train.json: frames[0].transform_matrix must be 4x4 numbers: got 3 rows",
    "transforms_train.json: frames[1].transform_matrix is not a rigid transform: last row must be [0, 0, 0, 1]",
    "transforms_train.json: frames[2].transform_matrix is not a rigid transform: rotation must satisfy R^T R = I",
    "transforms_train.json: frames[3].img_id 1 duplicates frames[1]",
    "transforms_train.json: frames[4].img_id (or frame_id) is missing",
    'transforms_train.json: frames[5].transform_matrix must be 4x4 numbers: [1][2] is the string "x"',
    "transforms_train.json: frames[6].face_rect must be 4 numbers: got 3",
    "transforms_train.json: frames[7].euler must be 3 numbers: got 2",
    "transforms_train.json: frames[8].img_id must be an integer >= 0: got number -1",
    "transforms_train.json: frames[9].transform_matrix is missing",
    "transforms_train.json: frames[10] must be an object",
  ];
  assertEquals(problems.length, expected.length, problems.join("\n"));
  expected.forEach((e, i) => assertStringIncludes(problems[i], e));
});

Deno.test("parseTransforms rejects a reflection, non-numbers and bad top-level fields", () => {
  const mirror = [[-1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  const problems = problemsOf({
    focal_len: -3,
    cx: "225",
    id_para: [1, null],
    frames: [{ img_id: 0, transform_matrix: mirror, exp_para: [1, 2] }, {
      img_id: 1,
      transform_matrix: EYE,
      exp_para: [1, 2, 3],
    }],
  });
  assertStringIncludes(
    problems.join("\n"),
    "transforms_train.json: focal_len must be a positive number: got number -3",
  );
  assertStringIncludes(
    problems.join("\n"),
    'transforms_train.json: cx must be a number: got the string "225"',
  );
  assertStringIncludes(
    problems.join("\n"),
    "transforms_train.json: id_para must be an array of numbers: element 1 is null",
  );
  assertStringIncludes(
    problems.join("\n"),
    "frames[0].transform_matrix is not a rigid transform: rotation must have det +1",
  );
  assertStringIncludes(problems.join("\n"), "frames[1].exp_para must be 2 numbers: got 3");
  assertEquals(problemsOf([1, 2]), [
    "transforms_train.json: expected a JSON object at the top level: got an array of 2",
  ]);
  assertStringIncludes(
    problemsOf({ focal_len: 1, frames: {} })[0],
    "frames must be an array of frame objects",
  );
});

Deno.test("parseTransforms: the DatasetError message lists the problems", () => {
  const e = assertThrows(() =>
    parseTransforms({ focal_len: 1, frames: [{ img_id: 0 }] }, "transforms_val.json")
  );
  assertInstanceOf(e, DatasetError);
  assertStringIncludes(
    e.message,
    "dataset transforms_val.json: 1 problem:\n  - transforms_val.json: frames[0]",
  );
});

Deno.test("collectTransforms keeps good frames, drops bad ones and records their JSON index", () => {
  const problems: string[] = [];
  const index: number[] = [];
  const t = collectTransforms(
    { focal_len: 1, frames: [{ img_id: 0, transform_matrix: [[1]] }, { img_id: 1, transform_matrix: EYE }] },
    "t.json",
    problems,
    index,
  );
  assertEquals(t?.frames.map((f) => f.imgId), [1]);
  assertEquals(index, [1]);
  assertEquals(problems.length, 1);
});

Deno.test("rigidityProblem accepts rotations within 1e-3 and rejects scale and shear", () => {
  assertEquals(rigidityProblem(pose(1.2).flat()), undefined);
  const nearly = pose(0.4).flat();
  nearly[0] += 4e-4;
  assertEquals(rigidityProblem(nearly), undefined);
  const scaled = pose(0.4).flat().map((v, i) => i < 12 && i % 4 !== 3 ? 1.01 * v : v);
  assertStringIncludes(rigidityProblem(scaled)!, "R^T R = I");
  const shear = EYE.flat();
  shear[1] = 0.1;
  assert(rigidityProblem(shear));
});
