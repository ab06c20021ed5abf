/**
 * Deterministic weight initialisers, drawn on the JS side from the seeded RNG so a seed fixes the weights
 * on every backend.
 * @module
 */
import { createRng } from "./rng.ts";

/**
 * Initialiser names:
 * - "he": normal, std sqrt(2 / fanIn) (He et al. 2015; for ReLU layers);
 * - "glorot": uniform in +-sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio 2010);
 * - "torch": uniform in +-1/sqrt(fanIn) (PyTorch's default for nn.Linear / nn.Conv1d, kaiming_uniform with
 *   a = sqrt(5)), biases too: what AD-NeRF's networks start from;
 * - "small": normal, std 1e-3 (near-zero outputs, e.g. a deformation head that starts as the identity);
 * - "zeros".
 */
export type InitKind = "he" | "glorot" | "torch" | "small" | "zeros";

/**
 * Seed derived from a string (32-bit FNV-1a), so layers named differently get different weights by default.
 * @param text Any string, e.g. a layer name.
 * @returns A 32-bit unsigned seed.
 */
export function seedFromName(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Draws `size` initial weights.
 * @param size Number of values.
 * @param kind Initialiser.
 * @param fan Fan-in and fan-out of the layer (for a conv: kernel x channels).
 * @param seed RNG seed.
 * @returns Values as float32.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { initValues } from "./init.ts";
 * assertEquals(initValues(4, "he", { fanIn: 2, fanOut: 2 }, 1), initValues(4, "he", { fanIn: 2, fanOut: 2 }, 1));
 * ```
 */
export function initValues(
  size: number,
  kind: InitKind,
  fan: { fanIn: number; fanOut: number },
  seed: number,
): Float32Array {
  const out = new Float32Array(size);
  const rng = createRng(seed);
  switch (kind) {
    case "zeros":
      return out;
    case "he": {
      const std = Math.sqrt(2 / fan.fanIn);
      for (let i = 0; i < size; i++) out[i] = std * rng.normal();
      return out;
    }
    case "small":
      for (let i = 0; i < size; i++) out[i] = 1e-3 * rng.normal();
      return out;
    case "glorot": {
      const lim = Math.sqrt(6 / (fan.fanIn + fan.fanOut));
      for (let i = 0; i < size; i++) out[i] = lim * (2 * rng.next() - 1);
      return out;
    }
    case "torch": {
      const lim = 1 / Math.sqrt(fan.fanIn);
      for (let i = 0; i < size; i++) out[i] = lim * (2 * rng.next() - 1);
      return out;
    }
    default:
      throw new Error(`init.ts: unknown initialiser ${JSON.stringify(kind satisfies never)}`);
  }
}
