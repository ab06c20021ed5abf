import { assert, assertEquals, assertLess } from "@std/assert";
import type { Image } from "../io/types.ts";
import { estimateBackground, personMask, personPrior } from "./background.ts";
import { projectModel } from "./pose_fit.ts";
import { MEAN_FACE_68 } from "./template.ts";

const W = 48, H = 40;
/** A horizontal ramp background with a dark 10x10 "person" square at column x0. */
function scene(x0: number): { frame: Image; mask: Uint8Array } {
  const data = new Uint8Array(W * H * 3), mask = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x, inside = x >= x0 && x < x0 + 10 && y >= 15 && y < 25;
      data.fill(inside ? 20 : 100 + x, 3 * p, 3 * p + 3);
      mask[p] = inside ? 1 : 0;
    }
  }
  return { frame: { width: W, height: H, channels: 3, data }, mask };
}

Deno.test("estimateBackground: median of the uncovered frames; never-seen pixels inpainted smoothly", () => {
  const moving = [0, 12, 24, 36].map(scene);
  const bg = estimateBackground(moving.map((s) => s.frame), moving.map((s) => s.mask));
  assertEquals(bg.inpaintedFraction, 0);
  for (let x = 0; x < W; x++) assertEquals(bg.image.data[3 * (20 * W + x)], 100 + x);
  // A person that never moves: its square is inpainted from the ramp around it.
  const still = [scene(19), scene(19)];
  const bg2 = estimateBackground(still.map((s) => s.frame), still.map((s) => s.mask));
  assertLess(Math.abs(bg2.inpaintedFraction - 100 / (W * H)), 1e-9);
  assertLess(Math.abs(bg2.image.data[3 * (20 * W + 24)] - 124), 4);
});

Deno.test("personMask: the pixels that differ from the background, one silhouette", () => {
  const { frame, mask } = scene(20);
  const bg = scene(100).frame; // no person inside the image
  const m = personMask(frame, bg, { include: mask, openRadius: 1 });
  assertEquals(m, mask);
});

Deno.test("personPrior covers the face and the region below it, not the top corners", () => {
  const lms = projectModel(MEAN_FACE_68, { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], trans: [0, 0.3, -6] }, {
    focal: 150,
    cx: 64,
    cy: 64,
  });
  const m = personPrior(lms, { width: 128, height: 128 });
  assert(m[Math.round(lms[61]) * 128 + Math.round(lms[60])]); // nose tip
  assert(m[127 * 128 + 64]); // bottom centre
  assert(!m[0] && !m[127]);
});
