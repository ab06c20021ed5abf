import { assertEquals, assertThrows } from "@std/assert";
import { frameSplit } from "./split.ts";

Deno.test("frameSplit follows AD-NeRF's int(n * 10 / 11)", () => {
  for (let n = 0; n <= 500; n++) {
    const { train, val } = frameSplit(n);
    assertEquals(train.length, Math.trunc((n * 10) / 11), `n = ${n}`);
    assertEquals([...train, ...val], Array.from({ length: n }, (_, i) => i));
  }
  assertEquals(frameSplit(11), { train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], val: [10] });
  assertEquals(frameSplit(3), { train: [0, 1], val: [2] });
  assertEquals(frameSplit(1), { train: [], val: [0] });
  assertEquals(frameSplit(7000).train.length, 6363);
});

Deno.test("frameSplit rejects negative and fractional counts", () => {
  assertThrows(() => frameSplit(-1), Error, "numFrames must be an integer >= 0: got -1");
  assertThrows(() => frameSplit(2.5), Error, "got 2.5");
});
