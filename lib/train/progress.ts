/**
 * A terminal progress line for long work: step, named values (loss, PSNR, rays/s...), elapsed time and
 * ETA. On a TTY it redraws one line; elsewhere (CI logs, notebooks) it prints a line every `every`
 * updates so logs stay short.
 * @module
 */

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Label in front of the bar, e.g. "train". */
  readonly label?: string;
  /** Where lines go. @default {writes to stderr} */
  readonly write?: (text: string) => void;
  /** Whether to redraw in place (TTY); default: stderr is a terminal. */
  readonly inPlace?: boolean;
  /** When not in place, print every this many updates (and the last). @default {50} */
  readonly every?: number;
  /** Clock in ms (tests pass a fake one). @default {performance.now} */
  readonly now?: () => number;
}

/** A progress reporter. */
export interface Progress {
  /** Reports that `done` of `total` units are finished, with values to show. */
  update(done: number, values?: Record<string, number | string>): void;
  /** Ends the line (prints the final state). */
  finish(values?: Record<string, number | string>): void;
}

/** Formats seconds as "1h02m", "3m07s" or "12.3s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatValue(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 1 ? 4 : 2);
}

/**
 * Creates a progress reporter for `total` units.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { createProgress } from "./progress.ts";
 * const lines: string[] = [];
 * const p = createProgress(10, { write: (t) => lines.push(t), inPlace: false, every: 5, now: () => 0 });
 * for (let i = 1; i <= 10; i++) p.update(i, { loss: 0.5 });
 * p.finish();
 * assert(lines.length === 2 && lines[1].includes("10/10"));
 * ```
 */
export function createProgress(total: number, options: ProgressOptions = {}): Progress {
  const encoder = new TextEncoder();
  const write = options.write ?? ((t: string) => Deno.stderr.writeSync(encoder.encode(t)));
  const inPlace = options.inPlace ?? Deno.stderr.isTerminal();
  const every = options.every ?? 50;
  const now = options.now ?? (() => performance.now());
  const label = options.label ? `${options.label} ` : "";
  const start = now();
  let updates = 0;
  let lastLine = "";
  let lastDone = 0;
  let lastValues: Record<string, number | string> = {};
  const line = (done: number, values: Record<string, number | string>) => {
    const elapsed = (now() - start) / 1000;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 20;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const vals = Object.entries(values).map(([k, v]) => `${k} ${formatValue(v)}`).join("  ");
    return `${label}[${bar}] ${done}/${total}  ${vals}  elapsed ${formatDuration(elapsed)}  eta ${
      formatDuration(eta)
    }`;
  };
  return {
    update(done, values = {}) {
      updates++;
      lastDone = done;
      lastValues = values;
      lastLine = line(done, values);
      if (inPlace) write(`\r${lastLine}\x1b[K`);
      else if (updates % every === 0) write(`${lastLine}\n`);
    },
    finish(values) {
      const l = line(lastDone, values ?? lastValues);
      if (inPlace) write(`\r${l}\x1b[K\n`);
      else if (l !== lastLine || updates % every !== 0) write(`${l}\n`);
    },
  };
}
