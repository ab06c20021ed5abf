/**
 * Escaping text for HTML, and JSON for inline `<script>` elements.
 * @module
 */

/**
 * Escapes text for HTML element content and quoted attribute values.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { escapeHtml } from "./html_text.ts";
 * assertEquals(escapeHtml(`<b a="1">&`), "&lt;b a=&quot;1&quot;&gt;&amp;");
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * JSON text that is safe inside an inline `<script>`: `<` becomes `\u003c` (so no `</script>` or `<!--`
 * can end or change the element) and U+2028 / U+2029 are escaped; `JSON.parse` reads it unchanged.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scriptJson } from "./html_text.ts";
 * const text = scriptJson({ a: "</script>" });
 * assertEquals(text.includes("</"), false);
 * assertEquals(JSON.parse(text), { a: "</script>" });
 * ```
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );
}
