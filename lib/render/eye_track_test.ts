import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { blinkOpenness, DEFAULT_BLINK_SECONDS, parseEyeTrackSpec, resolveEyeTrack } from "./eye_track.ts";

Deno.test("parseEyeTrackSpec: every form", () => {
  assertEquals(parseEyeTrackSpec("dataset"), { kind: "dataset" });
  assertEquals(parseEyeTrackSpec("open"), { kind: "constant", value: 1 });
  assertEquals(parseEyeTrackSpec("closed"), { kind: "constant", value: 0 });
  assertEquals(parseEyeTrackSpec("0.3"), { kind: "constant", value: 0.3 });
  assertEquals(parseEyeTrackSpec("1"), { kind: "constant", value: 1 });
  assertEquals(parseEyeTrackSpec("blink:4"), { kind: "blink", period: 4, duration: DEFAULT_BLINK_SECONDS });
  assertEquals(parseEyeTrackSpec("blink:2.5,0.3"), { kind: "blink", period: 2.5, duration: 0.3 });
});

Deno.test("parseEyeTrackSpec: clear errors naming --eyes and the expectation", () => {
  const cases: [string, string][] = [
    ["1.5", "must be in [0, 1]"],
    ["-0.2", "must be in [0, 1]"],
    ["shut", "--eyes must be dataset, open, closed"],
    ["", "--eyes must be"],
    ["blink:", "the period must be seconds > 0"],
    ["blink:0", "the period must be seconds > 0"],
    ["blink:x", "the period must be seconds > 0"],
    ["blink:2,3", "the duration must be seconds in (0, period = 2]"],
    ["blink:2,0", "the duration must be"],
    ["blink:2,", "the duration must be"],
  ];
  for (const [text, msg] of cases) assertThrows(() => parseEyeTrackSpec(text), Error, msg, text);
});

Deno.test("blinkOpenness: open outside the blink, shut at its middle, symmetric, in [0, 1]", () => {
  // period 2 s, duration 0.4 s: the blink spans [0.8, 1.2] in every period.
  assertEquals(blinkOpenness(0.5, 2, 0.4), 1);
  assertEquals(blinkOpenness(0.8, 2, 0.4), 1);
  assertAlmostEquals(blinkOpenness(1, 2, 0.4), 0, 1e-12);
  assertAlmostEquals(blinkOpenness(3, 2, 0.4), 0, 1e-12);
  assertAlmostEquals(blinkOpenness(0.9, 2, 0.4), 0.5, 1e-12); // 1 - sin^2(pi/4)
  assertAlmostEquals(blinkOpenness(0.9, 2, 0.4), blinkOpenness(1.1, 2, 0.4), 1e-12);
  for (let t = 0; t < 4; t += 0.01) {
    const v = blinkOpenness(t, 2, 0.4);
    assert(v >= 0 && v <= 1);
  }
});

Deno.test("resolveEyeTrack: constants, a blink schedule at 25 fps, the dataset's track back and forth", () => {
  assertEquals(resolveEyeTrack({ kind: "constant", value: 0 }, [], 3, 25), [0, 0, 0]);
  const blink = resolveEyeTrack({ kind: "blink", period: 1, duration: 0.2 }, [], 50, 25);
  assertEquals(blink.length, 50);
  // Shut at t = 0.5 s and 1.5 s (frames 12.5 and 37.5: the two frames around each are the lowest).
  const closed = blink.map((v, i) => [v, i]).filter(([v]) => v < 0.5).map(([, i]) => i);
  assertEquals(closed, [12, 13, 37, 38]);
  assertEquals(blink.filter((v) => v < 1).length, 8); // frames strictly inside each blink (0.4 s, 0.6 s): 4 of them
  assertEquals(resolveEyeTrack({ kind: "dataset" }, [1, 0.2, 0.9], 6, 25), [1, 0.2, 0.9, 0.2, 1, 0.2]);
  assertThrows(
    () => resolveEyeTrack({ kind: "dataset" }, [1, undefined], 4, 25, "data/x"),
    Error,
    "--eyes dataset: data/x has no eye openness on frame 1",
  );
  assertThrows(() => resolveEyeTrack({ kind: "dataset" }, [], 4, 25, "data/x"), Error, "on any frame");
});
