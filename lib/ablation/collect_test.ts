import { assertEquals, assertThrows } from "@std/assert";
import { studyDataset } from "./collect.ts";

Deno.test("studyDataset: the runs' one dataset, the one given, or an error naming each dataset and a run of it", () => {
  const runs = [
    { data: "/a/fixtures/p", runDir: "runs/x" },
    { data: "/a/fixtures/p", runDir: "runs/y" },
  ];
  assertEquals(studyDataset(runs), "/a/fixtures/p");
  assertEquals(studyDataset(runs, "fixtures/p"), "fixtures/p");
  const mixed = [...runs, { data: "/b/fixtures/p", runDir: "runs/z" }];
  assertThrows(
    () => studyDataset(mixed),
    Error,
    "the runs were trained on 2 datasets: /a/fixtures/p (runs/x), /b/fixtures/p (runs/z); name the study's dataset with --data",
  );
  assertEquals(studyDataset(mixed, "fixtures/p"), "fixtures/p");
});
