import { assertEquals } from "@std/assert";
import { connectedComponents, dilate, erode, fillHoles, fillPolygon } from "./raster.ts";

const sum = (m: Uint8Array) => m.reduce((a, b) => a + b, 0);

Deno.test("fillPolygon: a triangle covers the pixel centres inside it", () => {
  const m = new Uint8Array(100);
  fillPolygon(m, { width: 10, height: 10 }, [0, 0, 10, 0, 0, 10]);
  // Centres (i + 0.5, j + 0.5) with i + j + 1 < 10: 45 of them.
  assertEquals(sum(m), 45);
});

Deno.test("erode undoes dilate on a square; the border counts as outside", () => {
  const size = { width: 9, height: 9 };
  const m = new Uint8Array(81);
  for (let y = 3; y < 6; y++) for (let x = 3; x < 6; x++) m[y * 9 + x] = 1;
  assertEquals(sum(dilate(m, size, 1)), 25);
  assertEquals(erode(dilate(m, size, 1), size, 1), m);
  assertEquals(sum(erode(new Uint8Array(81).fill(1), size, 1)), 49);
});

Deno.test("connectedComponents and fillHoles", () => {
  const size = { width: 5, height: 5 };
  const m = new Uint8Array(25);
  m[0] = 1, m[1] = 1, m[24] = 1;
  const { sizes } = connectedComponents(m, size);
  assertEquals(sizes.slice(1).sort(), [1, 2]);
  const ring = new Uint8Array(25);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) ring[y * 5 + x] = x === 2 && y === 2 ? 0 : 1;
  assertEquals(fillHoles(ring, size)[12], 1);
  assertEquals(fillHoles(ring, size)[0], 0);
});
