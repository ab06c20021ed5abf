import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import {
  base64ToBytes,
  bundleToHtml,
  bytesToBase64,
  displayBundle,
  isDisplayable,
  JUPYTER_DISPLAY,
} from "./mime.ts";

Deno.test("JUPYTER_DISPLAY is the symbol the Deno kernel looks up", () => {
  assertEquals(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  assert(isDisplayable({ [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "" }) }));
  assertFalse(isDisplayable({}));
  assertFalse(isDisplayable(null));
});

Deno.test("base64 round-trips every byte value and sizes across chunk boundaries", () => {
  for (const n of [0, 1, 2, 3, 24575, 24576, 24577, 100_000]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 255);
    const b64 = bytesToBase64(bytes);
    assertEquals(b64.length, Math.ceil(n / 3) * 4);
    assertEquals(base64ToBytes(b64), bytes);
  }
});

Deno.test("bundleToHtml prefers html, then images, then escaped text", () => {
  assertEquals(bundleToHtml({ "text/plain": "x", "text/html": "<b>h</b>" }), "<b>h</b>");
  assertStringIncludes(
    bundleToHtml({ "text/plain": "x", "image/png": "AAAA" }),
    'src="data:image/png;base64,AAAA"',
  );
  assertEquals(bundleToHtml({ "text/plain": "<x>" }), "<pre>&lt;x&gt;</pre>");
  const obj = { [JUPYTER_DISPLAY]: () => ({ "text/plain": "p" }) };
  assertEquals(displayBundle(obj), { "text/plain": "p" });
});
