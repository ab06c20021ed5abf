import { assertAlmostEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { eulerToMatrix, matrixToEuler } from "./euler.ts";

function mul3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  }
  return out;
}
const rx = (a: number) => [1, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a)];
const ry = (b: number) => [Math.cos(b), 0, Math.sin(b), 0, 1, 0, -Math.sin(b), 0, Math.cos(b)];
const rz = (c: number) => [Math.cos(c), -Math.sin(c), 0, Math.sin(c), Math.cos(c), 0, 0, 0, 1];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, msg = "") {
  for (let i = 0; i < expected.length; i++) assertAlmostEquals(actual[i], expected[i], tol, `${msg} [${i}]`);
}

Deno.test("single-axis rotations turn the axes by hand", () => {
  // Rx(90 deg) maps y to z: its middle column is (0, 0, 1).
  const X = eulerToMatrix([Math.PI / 2, 0, 0]);
  assertClose([X[1], X[4], X[7]], [0, 0, 1], 1e-7, "Rx");
  // Ry(90 deg) maps z to x: last column (1, 0, 0).
  const Y = eulerToMatrix([0, Math.PI / 2, 0]);
  assertClose([Y[2], Y[5], Y[8]], [1, 0, 0], 1e-7, "Ry");
  // Rz(90 deg) maps x to y: first column (0, 1, 0).
  const Z = eulerToMatrix([0, 0, Math.PI / 2]);
  assertClose([Z[0], Z[3], Z[6]], [0, 1, 0], 1e-7, "Rz");
});

Deno.test("eulerToMatrix equals the product Rx(a) Ry(b) Rz(c) and is a rotation", () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 20; trial++) {
    const e = [rng.next() * 6 - 3, rng.next() * 3 - 1.5, rng.next() * 6 - 3] as const;
    const R = eulerToMatrix(e);
    assertClose(R, mul3(rx(e[0]), mul3(ry(e[1]), rz(e[2]))), 1e-6, `euler ${e}`);
    const RRt = mul3(R, [R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8]]);
    assertClose(RRt, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-6, "R R^T");
  }
});

Deno.test("matrixToEuler inverts eulerToMatrix for |b| < 90 deg", () => {
  const rng = createRng(12);
  for (let trial = 0; trial < 50; trial++) {
    const e = [rng.next() * 6 - 3, rng.next() * 3 - 1.5, rng.next() * 6 - 3] as const;
    assertClose(matrixToEuler(eulerToMatrix(e)), e, 2e-5, `euler ${e}`);
  }
});

Deno.test("matrixToEuler at gimbal lock returns angles that rebuild the matrix", () => {
  for (const b of [Math.PI / 2, -Math.PI / 2]) {
    const R = eulerToMatrix([0.3, b, -0.4]);
    const e = matrixToEuler(R);
    assertAlmostEquals(e[2], 0);
    assertClose(eulerToMatrix(e), R, 1e-6, `b = ${b}`);
  }
});

Deno.test("euler functions reject malformed input", () => {
  assertThrows(() => eulerToMatrix([0, NaN, 0]), Error, "euler must be 3 finite");
  assertThrows(() => matrixToEuler(new Float32Array(16)), Error, "got length 16");
});
