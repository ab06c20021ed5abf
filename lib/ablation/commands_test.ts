import { assertEquals } from "@std/assert";
import { ablationCommands, shellQuote } from "./commands.ts";

Deno.test("shellQuote: a POSIX shell gives back every word exactly, quotes and spaces included", async () => {
  const words = [
    "w/o parsing branch",
    "2-D image torso (RAD-NeRF style)",
    "it's",
    'a"b',
    "$HOME",
    "plain",
    "*",
  ];
  const line = ["printf", "%s\\n", ...words].map(shellQuote).join(" ");
  const out = await new Deno.Command("sh", { args: ["-c", line], stdout: "piped" }).output();
  assertEquals(new TextDecoder().decode(out.stdout).split("\n").slice(0, -1), words);
});

Deno.test("ablationCommands: rows outer, seeds inner, shared flags after, undefined flags left out", () => {
  const lines = ablationCommands(["run"], ["a b", "c"], [1, 2], {
    out: "/x y",
    seconds: undefined,
    steps: 5,
  });
  assertEquals(lines, [
    "run --row 'a b' --seed 1 --out '/x y' --steps 5",
    "run --row 'a b' --seed 2 --out '/x y' --steps 5",
    "run --row c --seed 1 --out '/x y' --steps 5",
    "run --row c --seed 2 --out '/x y' --steps 5",
  ]);
});
