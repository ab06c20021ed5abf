import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { jsonErrorOffset, parseJsonText } from "./json_text.ts";

Deno.test("parseJsonText names the file, line and column of a syntax error", () => {
  const text = '{\n  "focal_len": 1200,\n  "frames": [1, 2,]\n}';
  const e = assertThrows(() => parseJsonText(text, "transforms_train.json"));
  assertStringIncludes(e.message, "transforms_train.json: malformed JSON at line 3, column 19");
  assertEquals(parseJsonText('{"a": [1]}', "x.json"), { a: [1] });
  assertStringIncludes(assertThrows(() => parseJsonText("", "e.json")).message, "e.json: malformed JSON");
});

Deno.test("jsonErrorOffset agrees with JSON.parse on valid and invalid text", () => {
  const valid = ['{"a": [1, -2.5e3, true, false, null, "x\\"\\u00e9"]}', " [ ] ", "0", '{"k": {}}'];
  for (const t of valid) assertEquals(jsonErrorOffset(t), -1, t);
  const invalid: [string, number][] = [
    ['{"a": [1, 2,]}', 12],
    ['{"a": 1,}', 8],
    ['{"a" 1}', 5],
    ['{"a": 1', 7],
    ['"ab', 3],
    ["[01]", 2],
    ['{"a": x}', 6],
    ['{"a":1} x', 8],
    ["", 0],
    ['["\\q"]', 2],
  ];
  for (const [t, at] of invalid) {
    assertThrows(() => JSON.parse(t));
    assertEquals(jsonErrorOffset(t), at, t);
  }
});
