import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { base64ToBytes, displayBundle } from "./mime.ts";
import { video, videoMimeType } from "./video.ts";

Deno.test("video: a file path is read and inlined as a data URL that decodes to the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssp-viz-video-" });
  try {
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) & 255);
    bytes.set([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70]);
    await Deno.writeFile(`${dir}/a.mp4`, bytes);
    const b = displayBundle(video(`${dir}/a.mp4`, { width: 320, loop: true, title: "talk" }));
    const html = b["text/html"] as string;
    assertStringIncludes(html, '<video controls loop width="320" src="data:video/mp4;base64,');
    assertEquals(base64ToBytes(html.match(/base64,([^"]+)"/)![1]), bytes);
    assertStringIncludes(html, "<figcaption>talk</figcaption>");
    assertStringIncludes(b["text/plain"], "4.9 KiB");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("video: WebM is recognised, size limit and empty input throw", () => {
  assertEquals(videoMimeType(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3])), "video/webm");
  assertThrows(() => video(new Uint8Array(2048), { maxBytes: 1024 }), Error, "over maxBytes");
  assertThrows(() => video(new Uint8Array(0)), Error, "empty");
});
