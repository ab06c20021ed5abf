/**
 * JSON text with syntax errors located by line and column, for messages a person can act on.
 * @module
 */

/**
 * The offset of the first syntax error of JSON text, or -1 when it is valid. V8 gives no position
 * for some errors (e.g. `Unexpected token ']'`), so the position is found by this small scanner.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) {
      i++;
    }
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail();
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail();
      } else if (c < " ") fail();
      else i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return -1;
  } catch (at) {
    if (typeof at === "number") return at;
    throw at;
  }
}

/**
 * Parses JSON text, turning a syntax error into one that names the file, line and column.
 * @param text The file's content.
 * @param source Names the file in the error.
 * @returns The parsed value.
 * @throws Error `<source>: malformed JSON at line L, column C (offset O): <parser message>`.
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { parseJsonText } from "./json_text.ts";
 * assertThrows(() => parseJsonText('{\n  "a": [1,]\n}', "t.json"), Error, "t.json: malformed JSON at line 2, column 11");
 * ```
 */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/, ".*" is not valid JSON$/s, "");
    let offset = jsonErrorOffset(text);
    if (offset < 0) offset = Number(/position (\d+)/.exec(msg)?.[1] ?? text.length);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    throw new Error(`${source}: malformed JSON at line ${line}, column ${column} (offset ${offset}): ${msg}`);
  }
}
