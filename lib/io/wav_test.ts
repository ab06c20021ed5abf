import { assert, assertAlmostEquals, assertEquals, assertLess, assertThrows } from "@std/assert";
import { decodeWav, encodeWav, readMono16k, readWav, resample, toMono, writeWav } from "./wav.ts";
import type { Wav, WavFormat } from "./types.ts";

function sine(freq: number, rate: number, n: number, amp = 0.5, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test("wav: hand-built 16-bit PCM header and samples decode to known values", () => {
  // RIFF header written byte by byte: mono, 8000 Hz, 16 bit, samples 0, 16384, -32768, 32767.
  const b = new Uint8Array(44 + 8);
  const v = new DataView(b.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => (b[at + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 36 + 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 8000, true);
  v.setUint32(28, 16000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, 8, true);
  [0, 16384, -32768, 32767].forEach((s, i) => v.setInt16(44 + 2 * i, s, true));
  const wav = decodeWav(b);
  assertEquals(wav.sampleRate, 8000);
  assertEquals(Array.from(wav.channels[0]), [0, 0.5, -1, 32767 / 32768]);
  // The encoder writes the same 44-byte header for the same audio.
  assertEquals(encodeWav(wav, "pcm16"), b);
});

Deno.test("wav: round trips in every format, stereo and odd rates", () => {
  const formats: [WavFormat, number][] = [["pcm16", 2 ** -15], ["pcm24", 2 ** -23], ["pcm32", 1e-9], [
    "float32",
    0,
  ]];
  for (const [format, tol] of formats) {
    for (const rate of [8000, 11025, 22051, 44100]) {
      for (const nCh of [1, 2, 3]) {
        const channels = Array.from({ length: nCh }, (_, c) => sine(100 * (c + 1), rate, 37, 0.9, c));
        const wav: Wav = { sampleRate: rate, channels };
        const back = decodeWav(encodeWav(wav, format), `${format}`);
        assertEquals(back.sampleRate, rate);
        assertEquals(back.channels.length, nCh);
        for (let c = 0; c < nCh; c++) {
          assertLess(maxAbsDiff(back.channels[c], channels[c]), tol + 1e-12, `${format} ${rate} ch${c}`);
        }
        // Decoded values are exact grid points: a second round trip changes nothing.
        const again = decodeWav(encodeWav(back, format));
        assertEquals(again.channels, back.channels);
      }
    }
  }
});

Deno.test("wav: integer formats clamp out-of-range samples and write NaN as 0", () => {
  const wav = { sampleRate: 8000, channels: [new Float32Array([2, -3, NaN, 1])] };
  for (const f of ["pcm16", "pcm24", "pcm32"] as const) {
    const back = decodeWav(encodeWav(wav, f)).channels[0];
    assertAlmostEquals(back[0], 1, 1e-4);
    if (f !== "pcm32") assertLess(back[0], 1); // (2^31 - 1) / 2^31 rounds to 1 in float32
    assertEquals(back[1], -1);
    assertEquals(back[2], 0);
  }
});

/** WAVE_FORMAT_EXTENSIBLE header (40-byte fmt) plus a LIST chunk before the data, as ffmpeg writes. */
function extensibleWav(
  bits: number,
  subFormat: number,
  nCh: number,
  rate: number,
  data: Uint8Array,
): Uint8Array {
  const list = new Uint8Array([..."LIST"].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 65, 66, 67, 0]));
  const out = new Uint8Array(12 + 48 + list.length + 8 + data.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  ascii(0, "RIFF");
  v.setUint32(4, 0xffffffff, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 40, true);
  v.setUint16(20, 0xfffe, true);
  v.setUint16(22, nCh, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * nCh * bits / 8, true);
  v.setUint16(32, nCh * bits / 8, true);
  v.setUint16(34, bits, true);
  v.setUint16(36, 22, true);
  v.setUint16(38, bits, true);
  v.setUint32(40, 3, true);
  v.setUint16(44, subFormat, true); // GUID 0000000X-0000-0010-8000-00aa00389b71
  out.set([0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71], 46);
  out.set(list, 60); // odd-sized chunk (3 bytes) plus its pad byte
  ascii(60 + list.length, "data");
  v.setUint32(60 + list.length + 4, 0xffffffff, true); // streaming writers leave the size unknown
  out.set(data, 60 + list.length + 8);
  return out;
}

Deno.test("wav: WAVE_FORMAT_EXTENSIBLE float and 24-bit, unknown chunks skipped, open-ended data", () => {
  const f = new Float32Array([0.25, -0.5, 0.75, 1.5]); // 2 frames of stereo float
  const w = decodeWav(extensibleWav(32, 3, 2, 48000, new Uint8Array(f.buffer)), "ext.wav");
  assertEquals(w.sampleRate, 48000);
  assertEquals(Array.from(w.channels[0]), [0.25, 0.75]);
  assertEquals(Array.from(w.channels[1]), [-0.5, 1.5]);
  // 24-bit PCM, mono: 0x400000 = 0.5, 0x800000 = -1, and a dangling half frame that is dropped.
  const pcm = new Uint8Array([0, 0, 0x40, 0, 0, 0x80, 0xff]);
  const w24 = decodeWav(extensibleWav(24, 1, 1, 16000, pcm));
  assertEquals(Array.from(w24.channels[0]), [0.5, -1]);
});

Deno.test("wav: bad input names the source and the problem", () => {
  assertThrows(
    () => decodeWav(new TextEncoder().encode("hello world!!"), "x.wav"),
    Error,
    "x.wav: not a RIFF/WAVE",
  );
  const good = encodeWav({ sampleRate: 8000, channels: [new Float32Array(4)] });
  const noData = good.slice(0, 36);
  assertThrows(() => decodeWav(noData, "n.wav"), Error, "n.wav: no data chunk");
  const badFormat = good.slice();
  badFormat[20] = 2; // ADPCM
  assertThrows(() => decodeWav(badFormat, "a.wav"), Error, "a.wav: fmt format tag 2 is not supported");
  const badBits = good.slice();
  badBits[34] = 12;
  assertThrows(() => decodeWav(badBits, "b.wav"), Error, "bitsPerSample 12");
  assertThrows(
    () => encodeWav({ sampleRate: 8000, channels: [new Float32Array(2), new Float32Array(3)] }),
    Error,
    "channels[1] has 3 samples",
  );
  assertThrows(() => encodeWav({ sampleRate: 0, channels: [new Float32Array(2)] }), Error, "sampleRate");
});

Deno.test("wav: toMono is the channel mean", () => {
  const m = toMono({
    sampleRate: 1,
    channels: [new Float32Array([1, 0.5]), new Float32Array([0, 0.5]), new Float32Array([-1, 0.5])],
  });
  assertEquals(Array.from(m), [0, 0.5]);
});

Deno.test("resample: identity at equal rates, constant preserved, length ceil(n * to / from)", () => {
  const x = sine(440, 16000, 100);
  const same = resample(x, 16000, 16000);
  assertEquals(same, x);
  assert(same !== x, "a copy");
  const c = resample(new Float32Array(1000).fill(0.3), 48000, 16000);
  assertEquals(c.length, 334);
  for (let i = 40; i < 290; i++) assertAlmostEquals(c[i], 0.3, 1e-6);
  assertEquals(resample(new Float32Array(7), 3, 2).length, 5);
});

Deno.test("resample: 440 Hz at 44.1 kHz to 16 kHz matches the analytic sine", () => {
  const x = sine(440, 44100, 44100 / 5);
  const y = resample(x, 44100, 16000);
  assertEquals(y.length, 3200);
  const ref = sine(440, 16000, 3200);
  let err = 0;
  for (let i = 64; i < 3200 - 64; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
  assertLess(err, 1e-4);
});

Deno.test("resample: upsampling 16 kHz to 48 kHz and the fractional-phase path agree with the sine", () => {
  const y = resample(sine(1000, 16000, 1600), 16000, 48000);
  const ref = sine(1000, 48000, 4800);
  let err = 0;
  for (let i = 200; i < 4600; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
  assertLess(err, 1e-4);
  // 44100 -> 16001 needs 16001 phases: the interpolated filter bank must still track the sine.
  const z = resample(sine(440, 44100, 8820), 44100, 16001);
  let err2 = 0;
  for (let i = 100; i < z.length - 100; i++) {
    err2 = Math.max(err2, Math.abs(z[i] - 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16001)));
  }
  assertLess(err2, 1e-4);
});

Deno.test("resample: a 10 kHz tone is removed when going to 16 kHz (no alias at 6 kHz)", () => {
  const y = resample(sine(10000, 44100, 8820, 1), 44100, 16000);
  let peak = 0;
  for (let i = 100; i < y.length - 100; i++) peak = Math.max(peak, Math.abs(y[i]));
  assertLess(peak, 1e-3); // below -60 dB
  // A 7 kHz tone (inside the band) passes nearly unchanged.
  const p = resample(sine(7000, 44100, 8820, 1), 44100, 16000);
  let pass = 0;
  for (let i = 100; i < p.length - 100; i++) pass = Math.max(pass, Math.abs(p[i]));
  assertAlmostEquals(pass, 1, 0.02);
});

Deno.test("wav: writeWav / readWav / readMono16k through a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const n = 4410;
    const wav = { sampleRate: 44100, channels: [sine(440, 44100, n), sine(440, 44100, n)] };
    await writeWav(`${dir}/sub/a.wav`, wav, "float32");
    const back = await readWav(`${dir}/sub/a.wav`);
    assertEquals(back.channels, wav.channels);
    const mono = await readMono16k(`${dir}/sub/a.wav`);
    assertEquals(mono.length, 1600);
    assertAlmostEquals(mono[800], 0.5 * Math.sin((2 * Math.PI * 440 * 800) / 16000), 1e-4);
    assertEquals([...Deno.readDirSync(`${dir}/sub`)].map((e) => e.name), ["a.wav"]); // no temp file left
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
