import { assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { displayBundle } from "./mime.ts";
import { columnsOf, table } from "./table.ts";

Deno.test("table: html, markdown and plain text; HTML in cells and headers is escaped", () => {
  const b = displayBundle(table([
    { "a<b": "<script>alert(1)</script>", psnr: 30.5, note: "x|y" },
    { "a<b": "ok", psnr: 1e-5 },
  ], { caption: "T & <i>" }));
  assertEquals(Object.keys(b).sort(), ["text/html", "text/markdown", "text/plain"]);
  const html = b["text/html"] as string, md = b["text/markdown"] as string;
  for (const text of [html, md]) {
    assertFalse(text.includes("<script>"), text);
    assertFalse(text.includes("<i>"), text);
    assertFalse(text.includes("a<b"), text);
  }
  assertStringIncludes(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
  assertStringIncludes(html, "<th>a&lt;b</th>");
  assertStringIncludes(html, "<td>1.00e-5</td>");
  assertStringIncludes(md, "| a&lt;b | psnr | note |");
  assertStringIncludes(md, "x\\|y");
  assertStringIncludes(b["text/plain"], "T & <i>\na<b");
});

Deno.test("table: columns from every row in first-seen order, or as given; missing cells are blank", () => {
  const rows: Record<string, number>[] = [{ a: 1 }, { b: 2, a: 3 }];
  assertEquals(columnsOf(rows), ["a", "b"]);
  const b = displayBundle(table(rows, { columns: ["b", "a"] }));
  assertStringIncludes(b["text/markdown"] as string, "| b | a |\n|---|---|\n|  | 1 |\n| 2 | 3 |");
  assertEquals(b["text/plain"], "b  a\n-  -\n   1\n2  3");
});
