/**
 * A radix-2 fast Fourier transform for real signals: the spectrum step of the MFCC front end.
 * @module
 */

/**
 * A precomputed plan for real-input FFTs of one power-of-two size `n` (iterative Cooley-Tukey,
 * decimation in time, with bit-reversal permutation and a twiddle table built once).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { RealFft } from "./fft.ts";
 * const fft = new RealFft(4);
 * const { re, im } = fft.transform(new Float64Array([1, 2, 3, 4]));
 * // X_k = sum_t x_t e^{-2 pi i k t / 4}: X_0 = 10, X_1 = -2 + 2i, X_2 = -2.
 * assert(re[0] === 10 && re[1] === -2 && im[1] === 2 && re[2] === -2 && im[2] === 0);
 * ```
 */
export class RealFft {
  /** Transform size (a power of two). */
  readonly n: number;
  readonly #rev: Uint32Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #re: Float64Array;
  readonly #im: Float64Array;

  /** @param n Transform size: a power of two, at least 1. */
  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) {
      throw new Error(`fft.ts: size must be a power of two: got ${n}`);
    }
    this.n = n;
    const bits = Math.round(Math.log2(n));
    this.#rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      this.#rev[i] = r;
    }
    this.#cos = new Float64Array(n / 2);
    this.#sin = new Float64Array(n / 2);
    for (let k = 0; k < n / 2; k++) {
      this.#cos[k] = Math.cos((2 * Math.PI * k) / n);
      this.#sin[k] = -Math.sin((2 * Math.PI * k) / n);
    }
    this.#re = new Float64Array(n);
    this.#im = new Float64Array(n);
  }

  /**
   * The non-negative-frequency half of the DFT, X_k = sum_t x_t exp(-2 pi i k t / n) for k = 0..n/2.
   * Like numpy.fft.rfft(x, n): shorter input is zero-padded; longer input is an error.
   * @param input Real samples, length <= n.
   * @returns Real and imaginary parts, each of length n/2 + 1 (fresh arrays).
   */
  transform(input: ArrayLike<number>): { re: Float64Array; im: Float64Array } {
    this.#run(input);
    const h = (this.n >> 1) + 1;
    return { re: this.#re.slice(0, h), im: this.#im.slice(0, h) };
  }

  /**
   * |X_k|^2 for k = 0..n/2, written into `out` (no allocation: the hot loop of the feature extractors).
   * @param input Real samples, length <= n (zero-padded to n).
   * @param out Receives n/2 + 1 values.
   * @returns `out`.
   */
  powerSpectrum(input: ArrayLike<number>, out: Float64Array): Float64Array {
    const h = (this.n >> 1) + 1;
    if (out.length < h) throw new Error(`fft.ts: output needs ${h} entries: got ${out.length}`);
    this.#run(input);
    for (let k = 0; k < h; k++) out[k] = this.#re[k] * this.#re[k] + this.#im[k] * this.#im[k];
    return out;
  }

  #run(input: ArrayLike<number>): void {
    const n = this.n;
    if (input.length > n) throw new Error(`fft.ts: input longer than the transform: ${input.length} > ${n}`);
    const re = this.#re, im = this.#im, rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      re[i] = j < input.length ? input[j] : 0;
      im[i] = 0;
    }
    for (let size = 2; size <= n; size <<= 1) {
      const half = size >> 1;
      const stride = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const wr = this.#cos[k * stride], wi = this.#sin[k * stride];
          const a = start + k, b = a + half;
          const tr = wr * re[b] - wi * im[b];
          const ti = wr * im[b] + wi * re[b];
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
  }
}
