import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { ENERGY_FLOOR, frameLayout, logEnergy, logMel, mfcc } from "./features.ts";

const SR = 16000;

function sine(hz: number, seconds: number, amp = 0.5): Float32Array {
  return Float32Array.from(
    { length: Math.round(seconds * SR) },
    (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / SR),
  );
}

/** Everything python_speech_features does to one frame, from the definitions, with a naive DFT. */
function referenceFrame(x: Float32Array, t: number): { logE: number; logFb: number[]; mfcc: number[] } {
  const nfft = 512, frameLen = 400, step = 160, nf = 26;
  const frame: number[] = [];
  for (let n = 0; n < frameLen; n++) {
    const i = t * step + n;
    frame.push(i >= x.length ? 0 : i === 0 ? x[0] : x[i] - 0.97 * x[i - 1]);
  }
  const pspec: number[] = [];
  for (let k = 0; k <= nfft / 2; k++) {
    let re = 0, im = 0;
    frame.forEach((v, n) => {
      re += v * Math.cos((2 * Math.PI * k * n) / nfft);
      im -= v * Math.sin((2 * Math.PI * k * n) / nfft);
    });
    pspec.push((re * re + im * im) / nfft);
  }
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (10 ** (m / 2595) - 1);
  const edge = (m: number) => Math.floor(((nfft + 1) * hz((m * mel(SR / 2)) / (nf + 1))) / SR);
  const tri = (j: number, k: number) => {
    const a = edge(j), b = edge(j + 1), c = edge(j + 2);
    return k >= a && k < b ? (k - a) / (b - a) : k >= b && k < c ? (c - k) / (c - b) : 0;
  };
  const logFb = Array.from({ length: nf }, (_, j) => {
    const e = pspec.reduce((s, p, k) => s + p * tri(j, k), 0);
    return Math.log(e === 0 ? ENERGY_FLOOR : e);
  });
  const energy = pspec.reduce((s, p) => s + p, 0);
  const cep = Array.from({ length: 13 }, (_, k) => {
    let c = 0;
    for (let n = 0; n < nf; n++) c += logFb[n] * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * nf));
    c *= k === 0 ? Math.sqrt(1 / nf) : Math.sqrt(2 / nf);
    return c * (1 + 11 * Math.sin((Math.PI * k) / 22));
  });
  cep[0] = Math.log(energy);
  return { logE: Math.log(energy), logFb, mfcc: cep };
}

Deno.test("frame count follows 1 + ceil((len - 400) / 160) at 16 kHz, padding the last partial frame", () => {
  const counts = [1, 399, 400, 401, 560, 561, 16000].map((n) => frameLayout(n, SR).numFrames);
  assertEquals(counts, [1, 1, 1, 2, 2, 3, 99]);
  assertEquals(mfcc(new Float32Array(561), SR).numSteps, 3);
  // round_half_up: 0.025 * 22050 = 551.25 -> 551; 0.01 * 22050 = 220.5 -> 221.
  const l = frameLayout(22050, 22050);
  assertEquals([l.frameLen, l.frameStep], [551, 221]);
});

Deno.test("mfcc and logMel of a 1 kHz sine equal the per-frame definitions (naive DFT)", () => {
  const x = sine(1000, 0.1);
  const m = mfcc(x, SR), lm = logMel(x, SR), le = logEnergy(x, SR);
  assertEquals([m.numSteps, m.dim, lm.dim], [9, 13, 26]); // 1 + ceil((1600 - 400) / 160)
  for (const t of [0, 3, 8]) { // first (pre-emphasis x_0), interior, last (zero-padded)
    const ref = referenceFrame(x, t);
    for (let k = 0; k < 13; k++) {
      assertAlmostEquals(m.data[t * 13 + k], ref.mfcc[k], 2e-4 * (1 + Math.abs(ref.mfcc[k])));
    }
    for (let j = 0; j < 26; j++) {
      assertAlmostEquals(lm.data[t * 26 + j], ref.logFb[j], 1e-4 * (1 + Math.abs(ref.logFb[j])));
    }
    assertAlmostEquals(le[t], ref.logE, 1e-5);
    assertAlmostEquals(m.data[t * 13], le[t], 1e-6);
  }
});

Deno.test("a 1 kHz tone puts its energy in the two filters around bin 32", () => {
  // 1000 Hz sits on FFT bin 1000 * 512 / 16000 = 32. The filter edges near it are bins 29 and 34
  // (edge m = floor(513 melToHz(m * 2840.02 / 27) / 16000): m = 9 -> 29, m = 10 -> 34), so bin 32 is
  // covered by filter 8 (falling, weight (34 - 32) / 5 = 0.4) and filter 9 (rising, weight 3 / 5 = 0.6).
  const lm = logMel(sine(1000, 0.1), SR);
  const row = Array.from(lm.data.subarray(3 * 26, 4 * 26));
  const order = row.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0]).map(([, j]) => j);
  assertEquals(order.slice(0, 2), [9, 8]);
  // Leakage of the rectangular window spreads the rest, but the ratio of the two peaks stays near 0.6 / 0.4
  // (the main lobe is much wider than one bin, so only loosely): log(0.6 / 0.4) = 0.41.
  assert(row[9] - row[8] > 0.1 && row[9] - row[8] < 1, `log ratio ${row[9] - row[8]}`);
});

Deno.test("silence hits the energy floor log(2.22e-16) in every feature", () => {
  const zero = new Float32Array(1600);
  const lm = logMel(zero, SR), m = mfcc(zero, SR), e = logEnergy(zero, SR);
  const floor = Math.log(ENERGY_FLOOR);
  for (const v of lm.data) assertAlmostEquals(v, floor, 1e-5);
  for (const v of e) assertAlmostEquals(v, floor, 1e-5);
  for (let t = 0; t < m.numSteps; t++) {
    assertAlmostEquals(m.data[t * 13], floor, 1e-5);
    // DCT of a constant vector: only c0 is non-zero.
    for (let k = 1; k < 13; k++) assertAlmostEquals(m.data[t * 13 + k], 0, 1e-4);
  }
});

Deno.test("options: numFilters, numCep, no lifter, hamming window, and errors", () => {
  const x = sine(440, 0.05);
  assertEquals(logMel(x, SR, { numFilters: 40 }).dim, 40);
  const plain = mfcc(x, SR, { cepLifter: 0, appendEnergy: false });
  const lifted = mfcc(x, SR, { appendEnergy: false });
  // Liftering scales c_k by 1 + 11 sin(pi k / 22): c_11 by 12.
  assertAlmostEquals(lifted.data[11] / plain.data[11], 12, 1e-4);
  assertAlmostEquals(lifted.data[0], plain.data[0], 1e-6);
  const ham = mfcc(x, SR, { window: "hamming" });
  assert(Math.abs(ham.data[1] - lifted.data[1]) > 1e-3, "a hamming window changes the cepstrum");
  assertThrows(() => mfcc(x, SR, { nfft: 256 }), Error, "nfft (256) is shorter than the frame (400 samples)");
  assertThrows(() => mfcc(new Float32Array(0), SR), Error, "empty");
  assertThrows(() => mfcc(x, SR, { numCep: 30 }), Error, "numCep");
});
