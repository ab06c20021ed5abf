/**
 * `show`: the one way notebooks display something, as an awaited `Deno.jupyter.display`.
 *
 * Why not end a cell with the object (its `execute_result`): the Deno 2.9.6 kernel sometimes publishes a
 * cell's `execute_result` after it has reported the cell `idle`, and standard headless clients (Jupyter's
 * `nbconvert --execute`, papermill, both built on nbclient) stop reading a cell's messages at `idle`, so
 * such an output is silently lost from the executed notebook (measured here: a 20-cell notebook kept 6 to
 * 10 of its 20 bare-expression outputs per nbconvert run, exit code 0). A `display_data` sent by an
 * awaited display goes out while the cell is still running, so it is kept.
 *
 * Almost always: the kernel's awaited display returns once the message is handed to its socket layer, and
 * a large message (a figure with plotly.js inlined, megabytes) can still reach the wire after the cell's
 * `idle`. Measured here under load, 20 cells alternating 3 MB and 3 kB displays: 5 and 4 displays arrived
 * after `idle` in two runs; with the cell waiting 50 ms after the display, none in two runs. In notebook 01,
 * a 5 MB figure (the first plot of a session carries plotly.js) still came late after a 100 ms wait. So
 * `show` waits after the display before it resolves, longer for a larger bundle: `settleMs` plus 1 ms per
 * 10 kB (a 5 MB bundle: 0.6 s; a table: 0.1 s), only inside the kernel. Through nbconvert, the same 20
 * cells kept 18 of 20 displays without the wait and 20 of 20 with it, three runs each. A wait lowers the
 * odds, it cannot prove delivery: the notebook tests check every expected output. `console.log` output
 * goes through yet another path in the kernel and can also arrive after `idle` when a cell ends with it
 * (seen once in a notebook test run): a cell's closing line of text goes through `show` too.
 * @module
 */
import { displayBundle, isDisplayable, type MimeBundle } from "./mime.ts";

/** Sends a MIME bundle to the notebook, resolving once it is sent (`Deno.jupyter.display`'s shape). */
export type DisplayFunction = (bundle: MimeBundle, options: { readonly raw: true }) => Promise<void>;

/** Options of {@linkcode show}. */
export interface ShowOptions {
  /**
   * Where bundles go: `null` shows nothing. @default {the kernel's `Deno.jupyter.display` inside the
   * Deno Jupyter kernel, `null` elsewhere (tests, scripts)}
   */
  readonly display?: DisplayFunction | null;
  /** Milliseconds to wait after the display was sent, so it leaves the kernel before the cell ends (see
   * the module doc); 1 ms per 10 kB of the bundle is added to a positive value. @default {100} */
  readonly settleMs?: number;
}

/**
 * The Deno kernel's display function, or null outside the kernel (where reading `Deno.jupyter` throws:
 * "only available in `deno jupyter` subcommand").
 */
export function kernelDisplay(): DisplayFunction | null {
  try {
    const jupyter = (Deno as unknown as { jupyter?: { display?: unknown } }).jupyter;
    const display = jupyter?.display;
    return typeof display === "function" ? (display.bind(jupyter) as DisplayFunction) : null;
  } catch {
    return null;
  }
}

/**
 * Shows a display object (anything of `lib/viz` or a metric table) or a text in the notebook, and resolves
 * once the kernel has sent it: write `await ssp.viz.show(x);` in a cell, never a bare `x` at its end (see
 * the module doc: a bare last expression can be lost by headless runs). Outside the Deno kernel it does
 * nothing, so notebook code also runs under `deno test` and in scripts.
 * @param value An object with a `[Symbol.for("Jupyter.display")]()` method, or a string (shown as plain text).
 * @param options Where the bundle goes (tests pass their own `display`), how long to let it settle.
 * @returns A promise that settles `settleMs` after the display message was sent.
 * @throws TypeError for any other value (a number, a plain object, undefined): pass a viz object.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { show, table } from "./mod.ts";
 * const sent: string[] = [];
 * await show(table([{ psnr: 30 }]), {
 *   display: async (b) => void sent.push(b["text/markdown"] as string),
 *   settleMs: 0,
 * });
 * assertEquals(sent, ["| psnr |\n|---|\n| 30 |\n"]);
 * await show(table([{ psnr: 30 }])); // outside the kernel: nothing is shown, nothing fails
 * ```
 */
export async function show(value: unknown, options: ShowOptions = {}): Promise<void> {
  let bundle: MimeBundle;
  if (typeof value === "string") bundle = { "text/plain": value };
  else if (isDisplayable(value)) bundle = displayBundle(value);
  else {
    const what = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new TypeError(
      `show: expected a display object (with a [Symbol.for("Jupyter.display")]() method, e.g. from ssp.viz) ` +
        `or a string: got ${what}`,
    );
  }
  const display = options.display === undefined ? kernelDisplay() : options.display;
  if (!display) return;
  await display(bundle, { raw: true });
  const settle = options.settleMs ?? 100;
  if (settle > 0) {
    await new Promise((resolve) => setTimeout(resolve, settle + Math.ceil(bundleChars(bundle) / 10_000)));
  }
}

/** Characters of a bundle's contents (JSON types by their JSON text): about its size on the wire. */
function bundleChars(bundle: MimeBundle): number {
  let n = 0;
  for (const v of Object.values(bundle)) n += typeof v === "string" ? v.length : JSON.stringify(v).length;
  return n;
}
