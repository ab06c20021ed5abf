/**
 * The audio track of a media file through ffmpeg: decoded, mixed to mono and resampled here.
 * Tested with the other ffmpeg readers and writers in ffmpeg_test.ts (round trips through real files).
 * @module
 */
import { decodeWav, resample, toMono } from "./wav.ts";
import { fileArg, lastLines, runFfmpeg } from "./ffmpeg.ts";
import { packetTimes, summarize } from "./video_probe.ts";

/** Options of {@linkcode extractAudio}. */
export interface ExtractAudioOptions {
  /** Output rate in Hz. @default {16000} */
  readonly sampleRate?: number;
}

/**
 * The first audio stream of a media file, mixed to mono (channel mean) and resampled to `sampleRate` with
 * this library's band-limited {@linkcode resample} (ffmpeg only decodes, to float WAV at the native rate,
 * so the result matches {@linkcode readMono16k} on the same audio).
 * @param path Media file (video or audio).
 * @param options Output rate.
 * @returns Mono samples in [-1, 1].
 */
export async function extractAudio(path: string, options: ExtractAudioOptions = {}): Promise<Float32Array> {
  const rate = options.sampleRate ?? 16000;
  if (!(rate > 0)) throw new Error(`ffmpeg.ts: options.sampleRate must be > 0, got ${rate}`);
  const sum = await summarize(path);
  if (!sum.audio) throw new Error(`ffmpeg.ts: ${path}: has no audio stream`);
  const { code, stdout, stderr } = await runFfmpeg([
    "-nostdin",
    "-v",
    "error",
    "-i",
    fileArg(path),
    "-map",
    "0:a:0",
    "-vn",
    "-c:a",
    "pcm_f32le",
    "-f",
    "wav",
    "-",
  ]);
  if (code !== 0) throw new Error(`ffmpeg.ts: ${path}: audio decoding failed: ${lastLines(stderr)}`);
  let wav = decodeWav(stdout, `${path} (audio decoded by ffmpeg)`);
  // Decoders return whole codec frames (AAC: 1024 samples), so the last one carries padding past the end
  // the container records; cut it there (exact for MP4, whose packets carry the true last duration).
  const packets = await packetTimes(path, "0:a:0");
  if (packets && packets.pts.length > 0) {
    const seconds = (packets.end - Math.max(0, packets.pts[0])) * packets.tick;
    const keep = Math.round(seconds * wav.sampleRate);
    const have = wav.channels[0].length;
    if (keep > 0 && keep < have) {
      wav = { sampleRate: wav.sampleRate, channels: wav.channels.map((c) => c.subarray(0, keep)) };
    }
  }
  return resample(toMono(wav), wav.sampleRate, rate);
}

// ---------------------------------------------------------------------------------------------------------
// Writing
