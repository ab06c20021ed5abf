import { assertAlmostEquals } from "@std/assert";
import { poseToC2w } from "../camera/pose.ts";
import {
  applyPose,
  c2wFromPose,
  rotate,
  rotateInverse,
  rotationAngleBetween,
  rotationFromEuler,
} from "./rigid.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  for (let i = 0; i < a.length; i++) assertAlmostEquals(a[i], b[i], tol, `entry ${i}`);
};

function rx(a: number) {
  return [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
}
function ry(b: number) {
  return [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)];
}
function rz(c: number) {
  return [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1];
}
function mul(A: number[], B: number[]) {
  const C = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) C[3 * i + j] += A[3 * i + k] * B[3 * k + j];
  }
  return C;
}

Deno.test("rotationFromEuler is the product Rx(a) Ry(b) Rz(c)", () => {
  const [a, b, c] = [0.3, -0.2, 0.7];
  close(rotationFromEuler([a, b, c]), mul(mul(rx(a), ry(b)), rz(c)), 1e-12);
});

Deno.test("rotate and rotateInverse undo each other; the angle between R and itself is 0", () => {
  const R = rotationFromEuler([0.1, 0.5, -0.3]);
  close(rotateInverse(R, rotate(R, [1, 2, 3])), [1, 2, 3], 1e-12);
  assertAlmostEquals(rotationAngleBetween(R, R), 0, 1e-6);
  assertAlmostEquals(
    rotationAngleBetween(rotationFromEuler([0, 0, 0]), rotationFromEuler([0, 0, 0.25])),
    0.25,
    1e-9,
  );
});

Deno.test("c2w maps the camera centre to -R^T t and agrees with lib/camera's poseToC2w", () => {
  const pose = {
    euler: [0.2, -0.15, 0.05] as [number, number, number],
    trans: [0.3, 0.6, -12] as [number, number, number],
  };
  const m = c2wFromPose(pose);
  // the world origin (the real camera) seen from the head frame: X with R X + t = 0
  const centre = [m[0][3], m[1][3], m[2][3]];
  close(applyPose(pose, centre), [0, 0, 0], 1e-12);
  close(m.flat(), poseToC2w(pose.euler, pose.trans), 1e-5);
});
