/**
 * A least-recently-used cache bounded by bytes, for decoded frames and maps.
 * @module
 */

/** Counters of a {@linkcode LruCache}. */
export interface CacheStats {
  /** Bytes held (sum of the sizes of the cached values). */
  readonly bytes: number;
  /** Values held. */
  readonly entries: number;
  /** Lookups answered without loading (a value cached, or a load already in flight for the key). */
  readonly hits: number;
  /** Lookups that started a load. */
  readonly misses: number;
  /** Values dropped to stay within the bound. */
  readonly evictions: number;
}

/**
 * Async LRU cache with a byte budget. `get(key, load)` returns the cached value or runs `load` once,
 * even when several callers ask for the same key before it finishes. After each insertion the least
 * recently used values are dropped until the bytes held are within `maxBytes`; a value larger than the
 * whole budget is returned but not kept. A failed load is not cached.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { LruCache } from "./lru.ts";
 * const cache = new LruCache<Uint8Array>(10, (v) => v.byteLength);
 * await cache.get("a", () => Promise.resolve(new Uint8Array(6)));
 * await cache.get("b", () => Promise.resolve(new Uint8Array(6))); // evicts "a": 12 > 10 bytes
 * assert(!cache.has("a") && cache.has("b") && cache.stats().bytes === 6);
 * ```
 */
export class LruCache<V> {
  readonly #values = new Map<string, { value: V; bytes: number }>();
  readonly #inFlight = new Map<string, Promise<V>>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  /**
   * @param maxBytes Byte budget, >= 0 (0 caches nothing but still merges concurrent loads).
   * @param sizeOf Bytes a value holds, e.g. `(a) => a.byteLength`.
   */
  constructor(readonly maxBytes: number, private readonly sizeOf: (value: V) => number) {
    if (!(maxBytes >= 0)) throw new Error(`LruCache: maxBytes must be a number >= 0: got ${maxBytes}`);
  }

  /** Whether `key` is cached (does not count as a use). */
  has(key: string): boolean {
    return this.#values.has(key);
  }

  /**
   * The value of `key`, loaded by `load` on a miss.
   * @param key Cache key.
   * @param load Produces the value; called at most once per miss.
   */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.#values.get(key);
    if (entry) {
      this.#hits++;
      this.#values.delete(key);
      this.#values.set(key, entry);
      return Promise.resolve(entry.value);
    }
    const pending = this.#inFlight.get(key);
    if (pending) {
      this.#hits++;
      return pending;
    }
    this.#misses++;
    const p = load().then(
      (value) => {
        this.#inFlight.delete(key);
        this.#insert(key, value);
        return value;
      },
      (e) => {
        this.#inFlight.delete(key);
        throw e;
      },
    );
    this.#inFlight.set(key, p);
    return p;
  }

  /** Drops every value (counters are kept). */
  clear(): void {
    this.#values.clear();
    this.#bytes = 0;
  }

  /** Current counters. */
  stats(): CacheStats {
    return {
      bytes: this.#bytes,
      entries: this.#values.size,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  #insert(key: string, value: V): void {
    const bytes = this.sizeOf(value);
    if (bytes > this.maxBytes) return;
    const old = this.#values.get(key);
    if (old) {
      this.#values.delete(key);
      this.#bytes -= old.bytes;
    }
    this.#values.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [k, e] of this.#values) {
      if (this.#bytes <= this.maxBytes) break;
      this.#values.delete(k);
      this.#bytes -= e.bytes;
      this.#evictions++;
    }
  }
}
