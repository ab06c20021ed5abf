/**
 * A video in a notebook: an inline `<video controls>` whose source is a base64 data URL.
 *
 * Size: the whole file is stored in the notebook, base64 (4/3 of its size), and sent to the browser
 * at every display; a few MB is comfortable, tens of MB make notebooks slow to open and save. Hence
 * `maxBytes` (default 20 MiB): larger files throw; encode smaller (lower resolution or bitrate, fewer
 * frames) or link the file instead.
 * @module
 */
import { escapeHtml } from "./html_text.ts";
import { bytesToBase64, JUPYTER_DISPLAY, type MimeBundle } from "./mime.ts";

/** Options of {@linkcode video}. */
export interface VideoOptions {
  /** Displayed width in CSS pixels. @default {the video's own width} */
  readonly width?: number;
  /** Largest accepted file. @default {20 * 1024 * 1024} */
  readonly maxBytes?: number;
  /** @default {false} */
  readonly loop?: boolean;
  /** Start playing when shown (browsers allow it muted only). @default {false} */
  readonly autoplay?: boolean;
  /** MIME type of the file. @default {from the bytes: "video/webm" for WebM/Matroska, else "video/mp4"} */
  readonly mimeType?: string;
  /** A caption under the player. */
  readonly title?: string;
}

/** The MIME type a video file's first bytes announce (EBML: WebM; otherwise MP4). */
export function videoMimeType(bytes: Uint8Array): string {
  const ebml = bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3;
  return ebml ? "video/webm" : "video/mp4";
}

/** A video player. Made by {@linkcode video}. */
export class VideoView {
  readonly bytes: Uint8Array;
  readonly mimeType: string;
  readonly source: string;
  constructor(source: string | Uint8Array, readonly options: VideoOptions = {}) {
    this.bytes = typeof source === "string" ? Deno.readFileSync(source) : source;
    this.source = typeof source === "string" ? source : "bytes";
    const max = options.maxBytes ?? 20 * 1024 * 1024;
    if (this.bytes.length > max) {
      throw new Error(
        `video ${this.source} is ${(this.bytes.length / 2 ** 20).toFixed(1)} MiB, over maxBytes ` +
          `${
            (max / 2 ** 20).toFixed(1)
          } MiB: the notebook would store it all (base64); encode it smaller or raise maxBytes`,
      );
    }
    if (this.bytes.length === 0) throw new Error(`video ${this.source} is empty`);
    this.mimeType = options.mimeType ?? videoMimeType(this.bytes);
  }
  /** The player as an HTML fragment. */
  html(): string {
    const o = this.options;
    const attrs = [
      "controls",
      o.loop ? "loop" : "",
      o.autoplay ? "autoplay muted" : "",
      o.width ? `width="${o.width}"` : "",
    ]
      .filter(Boolean).join(" ");
    const player = `<video ${attrs} src="data:${this.mimeType};base64,${bytesToBase64(this.bytes)}"></video>`;
    return o.title
      ? `<figure style="margin:0">${player}<figcaption>${escapeHtml(o.title)}</figcaption></figure>`
      : player;
  }
  [JUPYTER_DISPLAY](): MimeBundle {
    return {
      "text/html": this.html(),
      "text/plain": `video ${this.source} (${this.mimeType}, ${(this.bytes.length / 1024).toFixed(1)} KiB)`,
    };
  }
}

/**
 * Shows a video file (a path, or its bytes) with player controls, embedded in the output as a base64
 * data URL. Mind the size: see the module doc (default limit 20 MiB).
 * @example
 * ```ts
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { base64ToBytes, displayBundle } from "./mime.ts";
 * import { video } from "./video.ts";
 * const bytes = new Uint8Array([0, 0, 0, 24, 0x66, 0x74, 0x79, 0x70]); // the start of an mp4 ("ftyp")
 * const html = displayBundle(video(bytes))["text/html"] as string;
 * assertStringIncludes(html, "<video controls");
 * const b64 = html.match(/base64,([^"]+)"/)![1];
 * assertEquals(base64ToBytes(b64), bytes);
 * ```
 */
export function video(source: string | Uint8Array, options: VideoOptions = {}): VideoView {
  return new VideoView(source, options);
}
