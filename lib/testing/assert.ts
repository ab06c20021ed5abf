/**
 * A thin stand-in for `jsr:@std/assert`, built on `node:assert`.
 *
 * JSR is not reachable from this project's machines, so `deno.json` maps `@std/assert` here.
 * When JSR is available, change that one line to `"jsr:@std/assert@1"`: the names and
 * signatures below follow the std module, so no test needs to change.
 * @module
 */
import nodeAssert from "node:assert";

/** Error thrown by every assertion here (mirrors `AssertionError` of `@std/assert`). */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function rethrow(fn: () => void, msg?: string): void {
  try {
    fn();
  } catch (e) {
    const base = e instanceof Error ? e.message : String(e);
    throw new AssertionError(msg ? `${msg}: ${base}` : base);
  }
}

/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg = "expected a truthy value"): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

/** Asserts that `expr` is falsy. */
export function assertFalse(expr: unknown, msg = "expected a falsy value"): void {
  if (expr) throw new AssertionError(msg);
}

/** Deep, strict equality (typed arrays compared element by element). */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  rethrow(() => nodeAssert.deepStrictEqual(actual, expected), msg);
}

/** Deep, strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  rethrow(() => nodeAssert.notDeepStrictEqual(actual, expected), msg);
}

/** `Object.is` identity. */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  rethrow(() => nodeAssert.strictEqual(actual, expected), msg);
}

/**
 * Asserts |actual - expected| <= tolerance. The default tolerance is 1e-7, as in `@std/assert`.
 * Infinities must match exactly; NaN never passes.
 */
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (!(delta <= tolerance)) {
    const m = `expected ${actual} to be close to ${expected}: delta ${delta} > tolerance ${tolerance}`;
    throw new AssertionError(msg ? `${msg}: ${m}` : m);
  }
}

/** Asserts that the value is neither null nor undefined. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new AssertionError(msg ?? `expected a value, got ${actual}`);
  }
}

/** Asserts `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError(msg ?? `expected ${actual} > ${expected}`);
}

/** Asserts `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new AssertionError(msg ?? `expected ${actual} >= ${expected}`);
}

/** Asserts `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError(msg ?? `expected ${actual} < ${expected}`);
}

/** Asserts `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) throw new AssertionError(msg ?? `expected ${actual} <= ${expected}`);
}

/** Asserts that `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    );
  }
}

/** Asserts that `actual` matches the regular expression. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) {
    throw new AssertionError(msg ?? `expected ${JSON.stringify(actual)} to match ${expected}`);
  }
}

/** Asserts that every expected element is in `actual` (deep equality). */
export function assertArrayIncludes<T>(actual: ArrayLike<T>, expected: ArrayLike<T>, msg?: string): void {
  const arr = Array.from(actual);
  for (const e of Array.from(expected)) {
    if (!arr.some((a) => isDeepEqual(a, e))) {
      throw new AssertionError(msg ?? `expected array to include ${JSON.stringify(e)}`);
    }
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    nodeAssert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Asserts `actual instanceof expectedType`. */
export function assertInstanceOf<T extends abstract new (...args: never[]) => unknown>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  if (!(actual instanceof expectedType)) {
    throw new AssertionError(msg ?? `expected an instance of ${expectedType.name}`);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

function checkError(e: unknown, ErrorClass?: ErrorClass, msgIncludes?: string): Error {
  if (ErrorClass && !(e instanceof ErrorClass)) {
    throw new AssertionError(`expected error of type ${ErrorClass.name}, got ${String(e)}`);
  }
  if (msgIncludes !== undefined) {
    const m = e instanceof Error ? e.message : String(e);
    if (!m.includes(msgIncludes)) {
      throw new AssertionError(
        `expected error message to include ${JSON.stringify(msgIncludes)}, got ${JSON.stringify(m)}`,
      );
    }
  }
  return e as Error;
}

/** Asserts that `fn` throws; optionally of a class and with a message containing `msgIncludes`. */
export function assertThrows(
  fn: () => unknown,
  ErrorClass?: ErrorClass,
  msgIncludes?: string,
  msg?: string,
): Error {
  try {
    fn();
  } catch (e) {
    return checkError(e, ErrorClass, msgIncludes);
  }
  throw new AssertionError(msg ?? "expected the function to throw");
}

/** Asserts that the promise returned by `fn` rejects; optionally of a class and message. */
export async function assertRejects(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: ErrorClass,
  msgIncludes?: string,
  msg?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, ErrorClass, msgIncludes);
  }
  throw new AssertionError(msg ?? "expected the promise to reject");
}

/** Fails unconditionally. */
export function fail(msg = "failed"): never {
  throw new AssertionError(msg);
}
