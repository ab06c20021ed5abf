/**
 * Layout rules of `lib/` (issue 12, one concept per file): no non-test module over {@linkcode MAX_LINES}
 * lines, and no import cycle between modules. Cycles are found by a static scan of the relative
 * specifiers of top-level `import ... from`, `export ... from` and `import "..."` statements, type-only
 * imports included (a type import still ties two files into one unit to read and to change).
 *
 * Usage: `deno run -A tools/layout.ts [folder]` (default `lib`) prints the offenders and exits 1 if any.
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";

/** Most lines a non-test `.ts` file of `lib/` may have. */
export const MAX_LINES = 450;

/**
 * Files left out of both checks for now (over {@linkcode MAX_LINES} allowed, and the cycle scan skips
 * their imports), relative to the scanned folder, each with the reason. Keep this list empty except while
 * a split is under way.
 */
export const LAYOUT_EXEMPT: Readonly<Record<string, string>> = {};

/** A file over the line limit. */
export interface LongFile {
  /** Path relative to the scanned folder. */
  readonly file: string;
  readonly lines: number;
}

/** What {@linkcode scanLayout} found. */
export interface LayoutReport {
  /** Non-test files over the limit (exempt files left out), longest first. */
  readonly longFiles: readonly LongFile[];
  /** Each import cycle as the files along it, the first repeated at the end (`a -> b -> a`). */
  readonly cycles: readonly (readonly string[])[];
  /** Files scanned. */
  readonly files: number;
}

/** Lines of a text as `wc -l` counts them, plus a last line without a newline. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.split("\n").length - 1;
  return text.endsWith("\n") ? newlines : newlines + 1;
}

/**
 * Module specifiers of the top-level import and re-export statements of a TypeScript source. Only
 * statements starting a line count (deno fmt puts them at column 0), so doc-comment examples
 * (` * import ...`) and strings are not read as imports.
 * @param text The source.
 * @returns The specifiers in order of appearance.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importSpecifiers } from "./layout.ts";
 * const src = 'import type { A } from "./a.ts";\nexport {\n  b,\n} from "../b.ts";\n/**\n * import { c } from "./c.ts";\n *' + '/\n';
 * assertEquals(importSpecifiers(src), ["./a.ts", "../b.ts"]);
 * ```
 */
export function importSpecifiers(text: string): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  // `import {`, `import * as`, `import x from`, `import type ...`, `import "x"`, `export {`, `export *`,
  // `export type {`; not `export const`, `export function`, `export type X =`.
  const start = /^(import|export)\s+(type\s+)?(\{|\*|["']|[\w$]+\s*(,|from\b))/;
  for (let i = 0; i < lines.length; i++) {
    if (!start.test(lines[i])) continue;
    let stmt = lines[i];
    while (!/;\s*$/.test(stmt) && !/\bfrom\s*["'][^"']*["']/.test(stmt) && i + 1 < lines.length) {
      stmt += "\n" + lines[++i];
    }
    const m = /\bfrom\s*["']([^"']+)["']/.exec(stmt) ?? /^import\s*["']([^"']+)["']/.exec(stmt);
    if (m) out.push(m[1]);
  }
  return out;
}

/**
 * Import cycles of a module graph: one cycle per strongly connected component of more than one file
 * (or a file importing itself), found by Tarjan's algorithm and then walked from its first file.
 * @param graph Imports of each file (files outside the graph are ignored).
 * @returns Each cycle as its files, the first repeated at the end.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { findCycles } from "./layout.ts";
 * const g = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
 * assertEquals(findCycles(g), [["a", "b", "c", "a"]]);
 * ```
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const edges = (v: string) => (graph.get(v) ?? []).filter((w) => graph.has(w));
  const connect = (v: string) => {
    index.set(v, next), low.set(v, next), next++;
    stack.push(v), onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      components.push(c);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  const cycles: string[][] = [];
  for (const c of components) {
    const members = new Set(c);
    const first = [...c].sort()[0];
    if (c.length === 1 && !edges(first).includes(first)) continue;
    // Breadth-first from `first` inside the component back to `first`: the shortest cycle through it.
    const prev = new Map<string, string>();
    const queue = [first];
    let end: string | undefined;
    while (queue.length && end === undefined) {
      const v = queue.shift()!;
      for (const w of edges(v).filter((x) => members.has(x)).sort()) {
        if (w === first) {
          end = v;
          break;
        }
        if (!prev.has(w)) prev.set(w, v), queue.push(w);
      }
    }
    const path = [first];
    for (let v = end!; v !== first; v = prev.get(v)!) path.splice(1, 0, v);
    cycles.push([...path, first]);
  }
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  const entries = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(path);
    else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) yield path;
  }
}

/**
 * Checks a source folder: line counts of its non-test `.ts` files and the cycles of their relative
 * imports.
 * @param dir The folder (e.g. `lib`).
 * @param options `maxLines` (default {@linkcode MAX_LINES}) and `exempt`: files relative to `dir` left
 *   out of both checks (default {@linkcode LAYOUT_EXEMPT}).
 * @returns The offenders.
 */
export async function scanLayout(
  dir: string,
  options: { readonly maxLines?: number; readonly exempt?: Readonly<Record<string, string>> } = {},
): Promise<LayoutReport> {
  const maxLines = options.maxLines ?? MAX_LINES;
  const exempt = options.exempt ?? LAYOUT_EXEMPT;
  const graph = new Map<string, string[]>();
  const longFiles: LongFile[] = [];
  for await (const path of tsFiles(dir)) {
    const file = relative(dir, path);
    const text = await Deno.readTextFile(path);
    const lines = countLines(text);
    if (file in exempt) continue;
    if (lines > maxLines) longFiles.push({ file, lines });
    graph.set(
      file,
      importSpecifiers(text)
        .filter((s) => s.startsWith("./") || s.startsWith("../"))
        .map((s) => relative(dir, normalize(join(dirname(path), s)))),
    );
  }
  longFiles.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
  return { longFiles, cycles: findCycles(graph), files: graph.size };
}

/** The report as lines of text, one offender per line; empty when there is none. */
export function formatLayoutReport(report: LayoutReport, maxLines = MAX_LINES): string[] {
  return [
    ...report.longFiles.map((f) => `over ${maxLines} lines: ${f.file} (${f.lines})`),
    ...report.cycles.map((c) => `import cycle: ${c.join(" -> ")}`),
  ];
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "lib";
  const report = await scanLayout(dir);
  const problems = formatLayoutReport(report);
  for (const p of problems) console.log(p);
  console.log(`${report.files} files in ${dir}/: ${problems.length} problem(s)`);
  if (problems.length) Deno.exit(1);
}
