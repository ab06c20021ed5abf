import { assertEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { image } from "./image_view.ts";
import { displayBundle, type MimeBundle } from "./mime.ts";
import { type DisplayFunction, kernelDisplay, show } from "./show.ts";
import { table } from "./table.ts";

Deno.test("show: sends the object's own bundle, raw, and settles only after the display has been sent", async () => {
  const sent: { bundle: MimeBundle; raw: boolean; at: number }[] = [];
  let clock = 0;
  // A display that takes a while to send, as the kernel's does (it awaits the IOPub write).
  const slow: DisplayFunction = async (bundle, options) => {
    await new Promise((r) => setTimeout(r, 20));
    sent.push({ bundle, raw: options.raw, at: ++clock });
  };
  const t = table([{ row: "full", psnr: 31.5 }], { caption: "c" });
  const red = image({ rgb: new Float32Array([1, 0, 0]), width: 1, height: 1 });
  await show(t, { display: slow, settleMs: 0 });
  assertEquals(sent.length, 1, "show resolved before its display was sent");
  await show(red, { display: slow, settleMs: 0 });
  await show("plain words", { display: slow, settleMs: 0 });
  assertEquals(sent.map((s) => s.at), [1, 2, 3]);
  assertEquals(sent[0].bundle, displayBundle(t));
  assertEquals(sent[1].bundle, displayBundle(red));
  assertEquals(sent[2].bundle, { "text/plain": "plain words" });
  assertEquals(sent.map((s) => s.raw), [true, true, true]);
});

Deno.test("show: waits settleMs after the display before it resolves", async () => {
  // The display starts a 5 ms timer; timers fire in deadline order, so a 30 ms settle outlasts it.
  const timerAfter = async (settleMs: number) => {
    let fired = false;
    const display: DisplayFunction = () => {
      setTimeout(() => fired = true, 5);
      return Promise.resolve();
    };
    await show("x", { display, settleMs });
    const result = fired;
    await new Promise((r) => setTimeout(r, 10)); // let the timer end before the test does
    return result;
  };
  assertEquals(await timerAfter(30), true);
  assertEquals(await timerAfter(0), false);
});

Deno.test("show: a display error reaches the cell", async () => {
  const broken: DisplayFunction = () => Promise.reject(new Error("iopub closed"));
  await assertRejects(() => show("x", { display: broken }), Error, "iopub closed");
});

Deno.test("show: values that are not display objects fail with what was expected", async () => {
  for (
    const [v, what] of [[42, "number"], [undefined, "undefined"], [null, "null"], [[1], "an array"], [
      {},
      "object",
    ]]
  ) {
    await assertRejects(
      () => show(v, { display: () => Promise.resolve() }),
      TypeError,
      `or a string: got ${what}`,
    );
  }
});

Deno.test("show: outside the Deno kernel there is no display, and showing is a no-op", async () => {
  assertStrictEquals(kernelDisplay(), null); // deno test is not `deno jupyter`
  await show(table([{ a: 1 }]));
  await show("text", { display: null });
});
