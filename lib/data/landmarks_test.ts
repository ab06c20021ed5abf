import { assertEquals, assertThrows } from "@std/assert";
import { parseLandmarks } from "./landmarks.ts";

const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i}.5 ${100 - i}`);

Deno.test("parseLandmarks reads 68 x y lines (np.savetxt format, CRLF, trailing newline)", () => {
  const lms = parseLandmarks(lines(68).join("\r\n") + "\r\n", "0.lms");
  assertEquals(lms.length, 136);
  assertEquals([lms[0], lms[1], lms[134], lms[135]], [0.5, 100, 67.5, 33]);
  const sci = parseLandmarks(lines(68).map(() => "1.250000000000000000e+02\t3.0e+01").join("\n"), "1.lms");
  assertEquals([sci[0], sci[1]], [125, 30]);
});

Deno.test("parseLandmarks names the file and the bad line", () => {
  assertThrows(
    () => parseLandmarks(lines(67).join("\n"), "lms/3.lms"),
    Error,
    'lms/3.lms: expected 68 lines of "x y": got 67',
  );
  const bad = lines(68);
  bad[4] = "12 abc";
  assertThrows(
    () => parseLandmarks(bad.join("\n"), "lms/3.lms"),
    Error,
    'lms/3.lms: line 5 must be two numbers "x y": got "12 abc"',
  );
  bad[4] = "1 2 3";
  assertThrows(() => parseLandmarks(bad.join("\n"), "x.lms"), Error, "line 5");
});
