/**
 * A small seeded pseudo-random generator (mulberry32) for everything random on the JS side:
 * pixel and ray sampling, stratified jitter, weight initialisation. One seed in the config makes a
 * run repeatable.
 * @module
 */

/** A seeded random source. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer uniform in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** The current internal state; `createRng(state)` continues the same sequence. */
  state(): number;
}

/**
 * Creates a mulberry32 generator. Period 2^32; good enough for sampling, not for cryptography.
 * @param seed Any 32-bit integer.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { createRng } from "./rng.ts";
 * const a = createRng(7), b = createRng(7);
 * assert(a.next() === b.next());
 * ```
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next(); // (0, 1]
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => s,
  };
}
