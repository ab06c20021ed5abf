/**
 * WAV (RIFF/WAVE) decoding and encoding, channel mixing, and band-limited resampling.
 *
 * Reads PCM integer samples of 8 (unsigned), 16, 24 and 32 bits, IEEE float of 32 and 64 bits, in plain
 * (`fmt ` tag 1 or 3) or WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE, sub-format GUID) headers, any number of
 * channels and any rate. Unknown chunks (LIST, fact, cue, ...) are skipped. A `data` size that runs past
 * the end of the file (e.g. 0xFFFFFFFF, which ffmpeg writes when streaming to a pipe) is read up to the
 * last whole frame in the file.
 * @module
 */
import type { Wav, WavFormat } from "./types.ts";
import { writeFileAtomic } from "./atomic.ts";

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

interface FmtChunk {
  format: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bits: number;
}

function parseFmt(view: DataView, at: number, size: number, src: string): FmtChunk {
  if (size < 16) throw new Error(`wav.ts: ${src}: fmt chunk is ${size} bytes, expected at least 16`);
  let format = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bits = view.getUint16(at + 14, true);
  if (format === FORMAT_EXTENSIBLE) {
    if (size < 40) {
      throw new Error(`wav.ts: ${src}: WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, expected 40`);
    }
    // The first two bytes of the sub-format GUID are the plain format tag (KSDATAFORMAT_SUBTYPE_*).
    format = view.getUint16(at + 24, true);
  }
  if (format !== FORMAT_PCM && format !== FORMAT_FLOAT) {
    throw new Error(
      `wav.ts: ${src}: fmt format tag ${format} is not supported, expected 1 (PCM) or 3 (IEEE float)`,
    );
  }
  const ok = format === FORMAT_PCM ? [8, 16, 24, 32].includes(bits) : [32, 64].includes(bits);
  if (!ok) {
    throw new Error(
      `wav.ts: ${src}: fmt bitsPerSample ${bits} is not supported for ${format === 1 ? "PCM" : "float"}` +
        `, expected ${format === 1 ? "8, 16, 24 or 32" : "32 or 64"}`,
    );
  }
  if (channels < 1) throw new Error(`wav.ts: ${src}: fmt channels is 0, expected at least 1`);
  if (sampleRate < 1) throw new Error(`wav.ts: ${src}: fmt sampleRate is 0, expected a positive rate`);
  if (blockAlign !== channels * (bits / 8)) {
    throw new Error(
      `wav.ts: ${src}: fmt blockAlign ${blockAlign} does not match channels ${channels} x ${bits / 8} bytes`,
    );
  }
  return { format, channels, sampleRate, blockAlign, bits };
}

/**
 * Decodes a WAV file's bytes.
 * @param bytes The whole file.
 * @param source Names the file in error messages.
 * @returns Sample rate (Hz) and one Float32Array per channel, integers scaled by 1/2^(bits-1) so that
 *   full scale is [-1, 1); float samples are returned as stored.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { decodeWav, encodeWav } from "./wav.ts";
 * const wav = { sampleRate: 8000, channels: [new Float32Array([0, 0.5, -1])] };
 * const back = decodeWav(encodeWav(wav, "pcm16"));
 * assert(back.sampleRate === 8000 && back.channels[0][1] === 0.5);
 * ```
 */
export function decodeWav(bytes: Uint8Array, source = "wav bytes"): Wav {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12 || fourcc(bytes, 0) !== "RIFF" || fourcc(bytes, 8) !== "WAVE") {
    const head = bytes.length >= 4 ? JSON.stringify(fourcc(bytes, 0)) : `${bytes.length} bytes`;
    throw new Error(`wav.ts: ${source}: not a RIFF/WAVE file (starts with ${head}, expected "RIFF....WAVE")`);
  }
  let fmt: FmtChunk | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (body + size > bytes.length) throw new Error(`wav.ts: ${source}: fmt chunk is truncated`);
      fmt = parseFmt(view, body, size, source);
    } else if (id === "data") {
      if (!fmt) throw new Error(`wav.ts: ${source}: data chunk comes before the fmt chunk`);
      const available = Math.min(size, bytes.length - body);
      const frames = Math.floor(available / fmt.blockAlign);
      return { sampleRate: fmt.sampleRate, channels: readSamples(view, body, frames, fmt) };
    }
    at = body + size + (size & 1); // chunks are padded to an even size
  }
  throw new Error(`wav.ts: ${source}: no ${fmt ? "data" : "fmt"} chunk found`);
}

function readSamples(view: DataView, at: number, frames: number, fmt: FmtChunk): Float32Array[] {
  const out = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  const bps = fmt.bits / 8;
  for (let c = 0; c < fmt.channels; c++) {
    const ch = out[c];
    let p = at + c * bps;
    const step = fmt.blockAlign;
    if (fmt.format === FORMAT_FLOAT) {
      if (bps === 4) { for (let i = 0; i < frames; i++, p += step) ch[i] = view.getFloat32(p, true); }
      else for (let i = 0; i < frames; i++, p += step) ch[i] = view.getFloat64(p, true);
    } else if (bps === 1) {
      for (let i = 0; i < frames; i++, p += step) ch[i] = (view.getUint8(p) - 128) / 128;
    } else if (bps === 2) {
      for (let i = 0; i < frames; i++, p += step) ch[i] = view.getInt16(p, true) / 32768;
    } else if (bps === 3) {
      for (let i = 0; i < frames; i++, p += step) {
        const v = view.getUint8(p) | (view.getUint8(p + 1) << 8) | (view.getInt8(p + 2) << 16);
        ch[i] = v / 8388608;
      }
    } else {
      for (let i = 0; i < frames; i++, p += step) ch[i] = view.getInt32(p, true) / 2147483648;
    }
  }
  return out;
}

const FORMAT_BITS: Record<WavFormat, number> = { pcm16: 16, pcm24: 24, pcm32: 32, float32: 32 };

function checkWav(wav: Wav): number {
  if (!Number.isInteger(wav.sampleRate) || wav.sampleRate < 1 || wav.sampleRate > 0xffffffff) {
    throw new Error(`wav.ts: wav.sampleRate must be a positive integer, got ${wav.sampleRate}`);
  }
  if (wav.channels.length < 1 || wav.channels.length > 0xffff) {
    throw new Error(`wav.ts: wav.channels must hold 1 to 65535 channels, got ${wav.channels.length}`);
  }
  const n = wav.channels[0].length;
  wav.channels.forEach((ch, i) => {
    if (ch.length !== n) {
      throw new Error(`wav.ts: wav.channels[${i}] has ${ch.length} samples, expected ${n} like channel 0`);
    }
  });
  return n;
}

/**
 * Quantises a sample in [-1, 1] to a signed integer of `bits` bits: round(x * 2^(bits-1)), clamped.
 * The scale matches {@linkcode decodeWav}, so decode(encode(decode(file))) reproduces the samples exactly.
 * NaN is written as 0.
 */
function quantise(x: number, scale: number): number {
  if (Number.isNaN(x)) return 0;
  const v = Math.round(x * scale);
  return v >= scale ? scale - 1 : v < -scale ? -scale : v;
}

/**
 * Encodes audio as a WAV file: a 16-byte `fmt ` chunk (tag 1) for PCM, and for float32 an 18-byte `fmt `
 * (tag 3) plus a `fact` chunk as the RIFF spec asks of non-PCM data.
 * @param wav Rate and channels (all of one length). Integer formats clamp to [-1, 1).
 * @param format Sample format. @default {"pcm16"}
 * @returns The file's bytes.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { encodeWav } from "./wav.ts";
 * const bytes = encodeWav({ sampleRate: 16000, channels: [new Float32Array(10)] });
 * assert(bytes.length === 44 + 20); // 44-byte header, 10 x 2 bytes
 * ```
 */
export function encodeWav(wav: Wav, format: WavFormat = "pcm16"): Uint8Array {
  const frames = checkWav(wav);
  const bits = FORMAT_BITS[format];
  if (bits === undefined) {
    throw new Error(`wav.ts: format must be one of ${Object.keys(FORMAT_BITS).join(", ")}, got ${format}`);
  }
  const isFloat = format === "float32";
  const nCh = wav.channels.length;
  const bps = bits / 8;
  const blockAlign = nCh * bps;
  const dataSize = frames * blockAlign;
  const fmtSize = isFloat ? 18 : 16;
  const factSize = isFloat ? 12 : 0;
  const headerSize = 12 + 8 + fmtSize + factSize + 8;
  const riffSize = headerSize - 8 + dataSize + (dataSize & 1);
  if (riffSize > 0xffffffff) {
    throw new Error(`wav.ts: ${dataSize} bytes of samples exceed the 4 GiB RIFF limit`);
  }
  const out = new Uint8Array(headerSize + dataSize + (dataSize & 1));
  const view = new DataView(out.buffer);
  const put4 = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put4(0, "RIFF");
  view.setUint32(4, riffSize, true);
  put4(8, "WAVE");
  put4(12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, isFloat ? FORMAT_FLOAT : FORMAT_PCM, true);
  view.setUint16(22, nCh, true);
  view.setUint32(24, wav.sampleRate, true);
  view.setUint32(28, wav.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bits, true);
  let at = 36;
  if (isFloat) {
    view.setUint16(36, 0, true); // cbSize
    put4(38, "fact");
    view.setUint32(42, 4, true);
    view.setUint32(46, frames, true);
    at = 50;
  }
  put4(at, "data");
  view.setUint32(at + 4, dataSize, true);
  at += 8;
  for (let c = 0; c < nCh; c++) {
    const ch = wav.channels[c];
    let p = at + c * bps;
    if (isFloat) {
      for (let i = 0; i < frames; i++, p += blockAlign) view.setFloat32(p, ch[i], true);
    } else if (bps === 2) {
      for (let i = 0; i < frames; i++, p += blockAlign) view.setInt16(p, quantise(ch[i], 32768), true);
    } else if (bps === 3) {
      for (let i = 0; i < frames; i++, p += blockAlign) {
        const v = quantise(ch[i], 8388608);
        out[p] = v & 0xff;
        out[p + 1] = (v >> 8) & 0xff;
        out[p + 2] = (v >> 16) & 0xff;
      }
    } else {
      for (let i = 0; i < frames; i++, p += blockAlign) view.setInt32(p, quantise(ch[i], 2147483648), true);
    }
  }
  return out;
}

/**
 * Reads and decodes a WAV file.
 * @param path File path.
 * @returns The decoded audio.
 */
export async function readWav(path: string): Promise<Wav> {
  return decodeWav(await Deno.readFile(path), path);
}

/**
 * Encodes and writes a WAV file atomically (temporary file, then rename); parent folders are created.
 * @param path Destination.
 * @param wav Audio to write.
 * @param format Sample format. @default {"pcm16"}
 */
export async function writeWav(path: string, wav: Wav, format: WavFormat = "pcm16"): Promise<void> {
  await writeFileAtomic(path, encodeWav(wav, format));
}

/**
 * Mixes all channels to one: the per-sample mean of the channels.
 * @param wav Audio with one or more channels of equal length.
 * @returns A new Float32Array (a copy even for mono input).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { toMono } from "./wav.ts";
 * const m = toMono({ sampleRate: 1, channels: [new Float32Array([1, 0]), new Float32Array([0, 0])] });
 * assert(m[0] === 0.5 && m[1] === 0);
 * ```
 */
export function toMono(wav: Wav): Float32Array {
  const n = checkWav(wav);
  const nCh = wav.channels.length;
  if (nCh === 1) return new Float32Array(wav.channels[0]);
  const acc = new Float64Array(n);
  for (const ch of wav.channels) for (let i = 0; i < n; i++) acc[i] += ch[i];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = acc[i] / nCh;
  return out;
}

/** Options of {@linkcode resample}. */
export interface ResampleOptions {
  /** Cutoff as a fraction of the lower of the two Nyquist frequencies. @default {0.95} */
  readonly rolloff?: number;
  /** Half-length of the filter, in zero crossings of the sinc at the cutoff. @default {32} */
  readonly zeroCrossings?: number;
  /** Kaiser window shape; 10 gives a stop band near -100 dB. @default {10} */
  readonly beta?: number;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for x <= 30). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Most polyphase filters tabulated; ratios needing more interpolate linearly between neighbouring phases. */
const MAX_PHASES = 2048;

/**
 * Band-limited resampling by windowed-sinc interpolation (Kaiser window), as in Smith's "Digital Audio
 * Resampling" and the `resampy`/libsamplerate family:
 * y[n] = sum_k x[k] h(n * from/to - k), h(t) = fc sinc(fc t) w(t), fc = rolloff * min(1, to/from), in input
 * samples. The cutoff sits at `rolloff` times the lower Nyquist frequency, so downsampling removes what
 * would alias. Each polyphase filter is normalised to unit sum, so a constant signal stays exactly constant.
 * Samples beyond the ends count as zero (edge effects span about `zeroCrossings` output samples).
 * For integer rates the filter bank is exact (one filter per phase of to/gcd); past 2048 phases or for
 * fractional rates, filters are interpolated linearly between 2048 tabulated phases.
 * @param samples Input signal at `fromRate`.
 * @param fromRate Input rate (Hz, > 0).
 * @param toRate Output rate (Hz, > 0).
 * @param options Filter design.
 * @returns ceil(samples.length * toRate / fromRate) samples at `toRate`; a copy of the input when the
 *   rates are equal.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { resample } from "./wav.ts";
 * const y = resample(new Float32Array(441).fill(0.25), 44100, 16000);
 * assert(y.length === 160 && Math.abs(y[80] - 0.25) < 1e-6);
 * ```
 */
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  for (const [name, r] of [["fromRate", fromRate], ["toRate", toRate]] as const) {
    if (!(r > 0) || !Number.isFinite(r)) throw new Error(`wav.ts: resample ${name} must be > 0, got ${r}`);
  }
  if (fromRate === toRate) return new Float32Array(samples);
  const rolloff = options.rolloff ?? 0.95;
  const zc = options.zeroCrossings ?? 32;
  const beta = options.beta ?? 10;
  if (!(rolloff > 0 && rolloff <= 1)) {
    throw new Error(`wav.ts: resample rolloff must be in (0, 1], got ${rolloff}`);
  }
  if (!(zc >= 1)) throw new Error(`wav.ts: resample zeroCrossings must be >= 1, got ${zc}`);

  const exact = Number.isInteger(fromRate) && Number.isInteger(toRate) &&
    toRate / gcd(fromRate, toRate) <= MAX_PHASES;
  const g = exact ? gcd(fromRate, toRate) : 1;
  const up = exact ? toRate / g : 0; // L: output step is M/L input samples
  const down = exact ? fromRate / g : 0; // M
  const phases = exact ? up : MAX_PHASES;

  const fc = rolloff * Math.min(1, toRate / fromRate);
  const halfWidth = zc / fc; // in input samples
  const K = Math.ceil(halfWidth);
  const taps = 2 * K; // taps at offsets m = -K+1 .. K from floor(position)
  const i0Beta = besselI0(beta);
  const nTables = exact ? phases : phases + 1;
  const bank = new Float64Array(nTables * taps);
  for (let p = 0; p < nTables; p++) {
    const phi = p / phases;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const t = phi - (j - K + 1); // distance from the output position to input sample floor(pos) + m
      let h = 0;
      if (Math.abs(t) < halfWidth) {
        const r = t / halfWidth;
        const x = Math.PI * fc * t;
        const sinc = x === 0 ? 1 : Math.sin(x) / x;
        h = fc * sinc * besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta;
      }
      bank[p * taps + j] = h;
      sum += h;
    }
    for (let j = 0; j < taps; j++) bank[p * taps + j] /= sum;
  }

  const nIn = samples.length;
  const nOut = Math.ceil((nIn * toRate) / fromRate - 1e-9);
  const out = new Float32Array(nOut);
  const ratio = fromRate / toRate;
  for (let n = 0; n < nOut; n++) {
    let base: number;
    let p0: number;
    let a = 0;
    if (exact) {
      const num = n * down;
      base = Math.floor(num / up);
      p0 = num - base * up;
    } else {
      const pos = n * ratio;
      base = Math.floor(pos);
      const pf = (pos - base) * phases;
      p0 = Math.min(Math.floor(pf), phases - 1);
      a = pf - p0;
    }
    const first = base - K + 1;
    const jLo = Math.max(0, -first);
    const jHi = Math.min(taps, nIn - first);
    let acc = 0;
    const o0 = p0 * taps;
    if (a === 0) {
      for (let j = jLo; j < jHi; j++) acc += samples[first + j] * bank[o0 + j];
    } else {
      const o1 = o0 + taps;
      for (let j = jLo; j < jHi; j++) {
        acc += samples[first + j] * ((1 - a) * bank[o0 + j] + a * bank[o1 + j]);
      }
    }
    out[n] = acc;
  }
  return out;
}

/**
 * Reads a WAV file, mixes it to mono (channel mean) and resamples it to 16 kHz, the rate of the speech
 * feature extractors (DeepSpeech, Wav2Vec, HuBERT).
 * @param path WAV file.
 * @returns Mono samples at 16000 Hz.
 */
export async function readMono16k(path: string): Promise<Float32Array> {
  const wav = await readWav(path);
  return resample(toMono(wav), wav.sampleRate, 16000);
}
