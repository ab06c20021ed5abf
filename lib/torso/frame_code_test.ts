import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { createPoseEncoder } from "./create.ts";
import { FRAME_CODE_INIT_STD, FrameCodeEncoder } from "./frame_code.ts";
import { EulerPoseEncoder, poseEncoderConfigProblems } from "./pose_encoder.ts";

await initBackend({ log: null });

/** A camera 2 units along z, turned 0.3 rad about y: a pose code with non-zero entries. */
const C2W = (() => {
  const c = Math.cos(0.3), s = Math.sin(0.3);
  return Float32Array.of(c, 0, s, 0.5, 0, 1, 0, 0.1, -s, 0, c, 2, 0, 0, 0, 1);
})();

Deno.test("frame code: a training frame reads its own row, any other frame the mean, after the base code", () => {
  const base = new EulerPoseEncoder({ transScale: 4 });
  const enc = new FrameCodeEncoder(base, [7, 3, 11], 2);
  enc.codes.assign(tf.tensor2d([[1, -2], [4, 0.5], [-2, 5]]));
  const baseCode = base.encode(C2W);
  const expectedBase = Array.from(baseCode.dataSync());
  const rows = [
    [3, [4, 0.5]],
    [7, [1, -2]],
    [11, [-2, 5]],
    [99, [1, 3.5 / 3]], // not a training frame: the mean of the three rows (hand: (1+4-2)/3, (-2+0.5+5)/3)
    [undefined, [1, 3.5 / 3]],
  ] as const;
  for (const [id, want] of rows) {
    const code = enc.encode(C2W, id);
    assertEquals(code.shape, [1, 8]);
    const v = Array.from(code.dataSync());
    assertEquals(v.slice(0, 6), expectedBase, `base part, id ${id}`);
    assertAlmostEquals(v[6], want[0], 1e-6, `id ${id}`);
    assertAlmostEquals(v[7], want[1], 1e-6, `id ${id}`);
    code.dispose();
  }
  assertEquals(enc.dim, 8);
  assertEquals(enc.kind, "euler");
  assertEquals(enc.rowOf(11), 2);
  assertEquals(enc.rowOf(12), undefined);
  baseCode.dispose();
  enc.module.dispose();
});

Deno.test("frame code: the gradient reaches the frame's row only; the mean code's reaches every row by 1/N", () => {
  const enc = new FrameCodeEncoder(new EulerPoseEncoder(), [5, 6, 7, 8], 3);
  const weights = tf.tensor2d([[0, 0, 0, 0, 0, 0, 1, 2, 3]]);
  const gradFor = (id: number | undefined) => {
    const { grads, value } = tf.variableGrads(() =>
      tf.sum(tf.mul(enc.encode(C2W, id), weights)) as tf.Scalar
    );
    const g = Array.from(grads["pose.frameCodes"].dataSync());
    tf.dispose([value, ...Object.values(grads)]);
    return g;
  };
  // d/dcodes of sum(w * code): w in the frame's row (row 2 for img_id 7), zero elsewhere.
  assertEquals(gradFor(7), [0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0]);
  const mean = gradFor(undefined);
  for (let i = 0; i < 12; i++) assertAlmostEquals(mean[i], [1, 2, 3][i % 3] / 4, 1e-7);
  tf.dispose(weights);
  enc.module.dispose();
});

Deno.test("frame code: seeded small random start, same seed same codes; dispose frees every tensor", () => {
  const before = tf.memory().numTensors;
  const ids = Array.from({ length: 200 }, (_, i) => 1000 + i);
  const a = new FrameCodeEncoder(new EulerPoseEncoder(), ids, 4, { seed: 3 });
  const b = new FrameCodeEncoder(new EulerPoseEncoder(), ids, 4, { seed: 3 });
  const c = new FrameCodeEncoder(new EulerPoseEncoder(), ids, 4, { seed: 4 });
  const va = Array.from(a.codes.dataSync());
  assertEquals(va, Array.from(b.codes.dataSync()));
  assertEquals(va.some((x, i) => x !== c.codes.dataSync()[i]), true);
  // 800 normal draws with standard deviation 0.1: their sample standard deviation within 10 % of it.
  const mean = va.reduce((s, x) => s + x, 0) / va.length;
  const std = Math.sqrt(va.reduce((s, x) => s + (x - mean) ** 2, 0) / (va.length - 1));
  assertAlmostEquals(std, FRAME_CODE_INIT_STD, 0.1 * FRAME_CODE_INIT_STD);
  assertEquals([...a.module.params.keys()], ["pose.frameCodes"]);
  for (const e of [a, b, c]) e.module.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("frame code: bad sizes and ids are refused with the field named", () => {
  const base = new EulerPoseEncoder();
  assertThrows(
    () => new FrameCodeEncoder(base, [1, 2], 0),
    Error,
    "pose.frameCode must be a positive integer",
  );
  assertThrows(
    () => new FrameCodeEncoder(base, [1, 2], 1.5),
    Error,
    "pose.frameCode must be a positive integer",
  );
  assertThrows(() => new FrameCodeEncoder(base, [], 2), Error, "needs the training frames' ids");
  assertThrows(() => new FrameCodeEncoder(base, [4, 9, 4], 2), Error, "img_id 4 is listed twice");
  assertEquals(poseEncoderConfigProblems({ kind: "euler", frameCode: 8 }), []);
  assertEquals(poseEncoderConfigProblems({ kind: "euler", frameCode: 0 }), []);
  assertEquals(poseEncoderConfigProblems({ kind: "keypoints", count: 0, frameCode: -1 }), [
    "pose.count must be a positive integer: got 0",
    "pose.frameCode must be an integer >= 0 (absent or 0: no per-frame code): got -1",
  ]);
});

Deno.test("frame code: createPoseEncoder wraps the configured encoder only when frameCode > 0", () => {
  const context = { trainImgIds: [0, 1, 2] };
  const plain = createPoseEncoder({ kind: "euler", frameCode: 0 }, context);
  assertEquals([plain instanceof FrameCodeEncoder, plain.dim, plain.module], [false, 6, null]);
  const coded = createPoseEncoder({ kind: "euler", frameCode: 5 }, context);
  assertEquals([coded instanceof FrameCodeEncoder, coded.dim], [true, 11]);
  coded.module!.dispose();
  // Keypoints keep their own parameter beside the codes.
  const intrinsics = { width: 16, height: 16, focal: 20, cx: 8, cy: 8 };
  const kp = createPoseEncoder({ kind: "keypoints", count: 2, frameCode: 3 }, {
    ...context,
    intrinsics,
    sceneRadius: 1,
  });
  assertEquals([kp.kind, kp.dim, [...kp.module!.params.keys()]], ["keypoints", 7, [
    "pose.keypoints",
    "pose.frameCodes",
  ]]);
  kp.module!.dispose();
  assertThrows(() => createPoseEncoder({ kind: "euler", frameCode: 2 }, {}), Error, "training frames' ids");
});
