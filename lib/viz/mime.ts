/**
 * The Jupyter display protocol as the Deno kernel implements it: an object with a
 * `[Symbol.for("Jupyter.display")]()` method is shown by the kernel as the MIME bundle that method
 * returns (the last expression of a cell, or `Deno.jupyter.display(obj)`). The objects of `lib/viz`
 * only build bundles and never call `Deno.jupyter` (which exists only inside the kernel), so the same
 * code runs under `deno test` and in scripts.
 * @module
 */
import { escapeHtml } from "./html_text.ts";

/** The symbol the Deno kernel looks up on displayed values. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** A JSON value (what a JSON MIME type such as `application/vnd.plotly.v1+json` carries). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A MIME bundle: MIME type -> content. Text types are strings, binary types (`image/png`) base64
 * strings, JSON types (`application/*+json`) JSON objects. Every bundle of `lib/viz` has `text/plain`.
 */
export interface MimeBundle {
  readonly "text/plain": string;
  readonly [mime: string]: string | JsonValue;
}

/** A value the Deno Jupyter kernel displays richly. */
export interface Displayable {
  /** The MIME bundle to show. */
  [JUPYTER_DISPLAY](): MimeBundle;
}

/** Whether a value has a Jupyter display method. */
export function isDisplayable(x: unknown): x is Displayable {
  return typeof x === "object" && x !== null && typeof (x as Displayable)[JUPYTER_DISPLAY] === "function";
}

/**
 * The MIME bundle a value shows in Jupyter (what the kernel would publish).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { displayBundle, JUPYTER_DISPLAY } from "./mime.ts";
 * const x = { [JUPYTER_DISPLAY]: () => ({ "text/plain": "hi" }) };
 * assertEquals(displayBundle(x)["text/plain"], "hi");
 * ```
 */
export function displayBundle(x: Displayable): MimeBundle {
  return x[JUPYTER_DISPLAY]();
}

/**
 * Standard base64 of bytes (chunked, so tens of megabytes do not overflow the call stack).
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { base64ToBytes, bytesToBase64 } from "./mime.ts";
 * assertEquals(bytesToBase64(new Uint8Array([104, 105])), "aGk=");
 * assertEquals(Array.from(base64ToBytes("aGk=")), [104, 105]);
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  const chunk = 3 * 8192; // a multiple of 3: the chunks' base64 texts concatenate without padding between
  for (let i = 0; i < bytes.length; i += chunk) {
    const sub = bytes.subarray(i, Math.min(i + chunk, bytes.length));
    parts.push(btoa(String.fromCharCode.apply(null, sub as unknown as number[])));
  }
  return parts.join("");
}

/** Bytes of a standard base64 string. */
export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * The richest HTML for a bundle, for pages outside Jupyter (reports): `text/html` as is, else
 * `image/svg+xml`, `image/png` / `image/jpeg` as an inline `<img>`, else the plain text in `<pre>`.
 */
export function bundleToHtml(bundle: MimeBundle): string {
  const html = bundle["text/html"];
  if (typeof html === "string") return html;
  const svg = bundle["image/svg+xml"];
  if (typeof svg === "string") return svg;
  for (const mime of ["image/png", "image/jpeg"]) {
    const b64 = bundle[mime];
    if (typeof b64 === "string") {
      return `<img src="data:${mime};base64,${b64}" alt="${escapeHtml(bundle["text/plain"])}">`;
    }
  }
  return `<pre>${escapeHtml(bundle["text/plain"])}</pre>`;
}
