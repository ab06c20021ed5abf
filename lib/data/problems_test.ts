import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { DatasetError, throwIfProblems } from "./problems.ts";

Deno.test("DatasetError lists up to 20 problems, then counts the rest", () => {
  const problems = Array.from({ length: 23 }, (_, i) => `ori_imgs/${i}.jpg: missing`);
  const e = new DatasetError("data/may", problems);
  const lines = e.message.split("\n");
  assertEquals(lines[0], "dataset data/may: 23 problems:");
  assertEquals(lines.length, 22);
  assertEquals(lines[20], "  - ori_imgs/19.jpg: missing");
  assertEquals(lines[21], "  ... and 3 more");
  assertEquals(e.problems.length, 23);
  throwIfProblems("x", []);
  assertStringIncludes(
    assertThrows(() => throwIfProblems("x", ["bc.jpg: bad"]), DatasetError).message,
    "1 problem:",
  );
});
