import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { createRng } from "../nn/rng.ts";
import { RealFft } from "./fft.ts";

function naiveDft(x: ArrayLike<number>, n: number): { re: number[]; im: number[] } {
  const re: number[] = [], im: number[] = [];
  for (let k = 0; k <= n / 2; k++) {
    let r = 0, i = 0;
    for (let t = 0; t < x.length; t++) {
      r += x[t] * Math.cos((2 * Math.PI * k * t) / n);
      i -= x[t] * Math.sin((2 * Math.PI * k * t) / n);
    }
    re.push(r);
    im.push(i);
  }
  return { re, im };
}

Deno.test("RealFft(512) equals a naive DFT on random input", () => {
  const rng = createRng(3);
  const x = Float64Array.from({ length: 512 }, () => rng.normal());
  const { re, im } = new RealFft(512).transform(x);
  const ref = naiveDft(x, 512);
  assertEquals(re.length, 257);
  for (let k = 0; k <= 256; k++) {
    assertAlmostEquals(re[k], ref.re[k], 1e-9);
    assertAlmostEquals(im[k], ref.im[k], 1e-9);
  }
});

Deno.test("RealFft zero-pads short input (400 samples into 512) and gives |X|^2", () => {
  const rng = createRng(4);
  const x = Float64Array.from({ length: 400 }, () => rng.next() - 0.5);
  const p = new RealFft(512).powerSpectrum(x, new Float64Array(257));
  const ref = naiveDft(x, 512);
  for (let k = 0; k <= 256; k++) assertAlmostEquals(p[k], ref.re[k] ** 2 + ref.im[k] ** 2, 1e-9);
});

Deno.test("RealFft: hand-derived small cases and a cosine on one bin", () => {
  assertEquals(Array.from(new RealFft(1).transform([5]).re), [5]);
  const two = new RealFft(2).transform([3, 1]);
  assertEquals(Array.from(two.re), [4, 2]);
  // cos(2 pi 3 t / 16) puts n/2 = 8 on bins 3 (and 13, not returned).
  const c = Float64Array.from({ length: 16 }, (_, t) => Math.cos((2 * Math.PI * 3 * t) / 16));
  const { re, im } = new RealFft(16).transform(c);
  for (let k = 0; k <= 8; k++) {
    assertAlmostEquals(re[k], k === 3 ? 8 : 0, 1e-12);
    assertAlmostEquals(im[k], 0, 1e-12);
  }
});

Deno.test("RealFft rejects sizes that are not powers of two and over-long input", () => {
  assertThrows(() => new RealFft(400), Error, "power of two");
  assertThrows(() => new RealFft(4).transform([1, 2, 3, 4, 5]), Error, "longer");
});
