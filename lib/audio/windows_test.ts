import { assertEquals, assertThrows } from "@std/assert";
import { mfcc } from "./features.ts";
import { computeAudioFeatures, validateAudioFeatures, windowFeatures } from "./windows.ts";

const SR = 16000;

function noise(n: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

Deno.test("windows are centred on (i + 0.5)/fps with 10 ms steps centred at t/100 + 12.5 ms", () => {
  // Feature value = its step index, so each window shows which steps it took.
  const T = 60;
  const f = { data: Float32Array.from({ length: T }, (_, t) => t), numSteps: T, dim: 1 };
  const w = windowFeatures(f, 100, 12, { stepOffset: 0.0125 });
  assertEquals(w.shape, [12, 16, 1]);
  // Frame i centre (i + 0.5) * 40 ms = step 4i + 2 - 1.25 = 4i + 0.75; window starts at
  // floor(4i + 0.75 - 7.5 + 0.5) = 4i - 7, so its middle (4i + 0.5) is 0.25 step from the centre.
  for (let i = 0; i < 12; i++) {
    const got = Array.from(w.data.subarray(i * 16, (i + 1) * 16));
    const want = Array.from({ length: 16 }, (_, k) => Math.min(T - 1, Math.max(0, 4 * i - 7 + k)));
    assertEquals(got, want, `frame ${i}`);
  }
});

Deno.test("windowFeatures copies whole D-vectors and replicates the edges", () => {
  const f = { data: Float32Array.from([1, 10, 2, 20, 3, 30]), numSteps: 3, dim: 2 };
  const w = windowFeatures(f, 100, 1, { window: 4, fps: 50 }); // centre 0.01 s = step 1 -> steps 0..3
  assertEquals(Array.from(w.data), [1, 10, 2, 20, 3, 30, 3, 30]);
});

Deno.test("computeAudioFeatures equals mfcc windowed by hand, for both kinds", () => {
  const x = noise(SR); // 1 s = 99 MFCC steps, 25 frames
  const a = computeAudioFeatures(x, SR, 25);
  assertEquals(a.shape, [25, 16, 13]);
  const m = mfcc(x, SR);
  for (const i of [0, 12, 24]) {
    for (let k = 0; k < 16; k++) {
      const t = Math.min(98, Math.max(0, 4 * i - 7 + k));
      assertEquals(
        Array.from(a.data.subarray((i * 16 + k) * 13, (i * 16 + k + 1) * 13)),
        Array.from(m.data.subarray(t * 13, (t + 1) * 13)),
      );
    }
  }
  assertEquals(computeAudioFeatures(x, SR, 25, { kind: "logmel" }).shape, [25, 16, 26]);
  assertEquals(
    computeAudioFeatures(x, SR, 50, { kind: "logmel", fps: 50, numFilters: 40, window: 8 }).shape,
    [50, 8, 40],
  );
});

Deno.test("computeAudioFeatures allows audio one frame short, not more", () => {
  const x = noise(SR);
  assertEquals(computeAudioFeatures(x, SR, 26).shape[0], 26); // needs 1.04 s, has 1.00 s
  assertThrows(
    () => computeAudioFeatures(x, SR, 27),
    Error,
    "windows.ts: audio lasts 1.000 s but 27 frames at 25 fps need 1.080 s",
  );
  assertThrows(() => computeAudioFeatures(x, SR, 0), Error, "numFrames");
});

Deno.test("validateAudioFeatures takes D from the data and names the file in errors", () => {
  for (const d of [29, 44, 32, 1024, 13]) {
    assertEquals(validateAudioFeatures([10, 16, d], 10, "aud.npy").dim, d);
  }
  assertEquals(validateAudioFeatures([12, 16, 29], 10, "aud.npy").rows, 12);
  assertThrows(
    () => validateAudioFeatures([3, 29], 3, "aud.npy"),
    Error,
    "aud.npy: audio features must be [N, 16, D]: got [3, 29]",
  );
  assertThrows(
    () => validateAudioFeatures([3, 8, 29], 3, "x/aud.npy"),
    Error,
    "x/aud.npy: audio features must have a window of 16",
  );
  assertThrows(
    () => validateAudioFeatures([9, 16, 29], 10, "aud.npy"),
    Error,
    "aud.npy: audio features have 9 rows but the dataset has 10 frames",
  );
  assertThrows(() => validateAudioFeatures([9, 16, 0], 9, "aud.npy"), Error, "D >= 1");
});
