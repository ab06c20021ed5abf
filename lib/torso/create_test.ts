import { assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backend/backend.ts";
import { countParams } from "../nn/module.ts";
import { DEMO } from "../config/presets.ts";
import { override } from "../config/config.ts";
import { validateConfig } from "../config/validate.ts";
import {
  DEFORM3D_DEFAULTS,
  IMAGE2D_DEFAULTS,
  NO_TORSO,
  type TorsoConfig,
  torsoConfigProblems,
} from "./config.ts";
import { createTorso } from "./create.ts";
import { Deform3dTorso, DeformationField3d } from "./deformation_field.ts";
import { POSE_CODE_DIM } from "./pose_code.ts";
import { Torso2d } from "./torso2d.ts";

await initBackend({ log: null });

Deno.test("createTorso builds each kind with the config's sizes", () => {
  const none = createTorso(NO_TORSO, POSE_CODE_DIM);
  assertEquals([none.kind, none.module, none.deformPoints, none.layerBehind], [
    "none",
    null,
    undefined,
    undefined,
  ]);
  const d = createTorso(DEFORM3D_DEFAULTS, POSE_CODE_DIM, { seed: 4 });
  assertEquals(d.kind, "deform3d");
  if (!(d instanceof Deform3dTorso)) throw new Error("a deform3d config must build a Deform3dTorso");
  assertEquals(d.module instanceof DeformationField3d, true);
  assertEquals(d.config, DEFORM3D_DEFAULTS);
  // PE(x): 3 (1 + 12) = 39, PE(p): 6 (1 + 8) = 54; l0f 39x64+64, l0c 54x64, l1, l2 64x64+64, out 64x3+3.
  assertEquals(countParams(d.module), 2560 + 3456 + 2 * 4160 + 195);
  const i = createTorso(IMAGE2D_DEFAULTS, POSE_CODE_DIM, { name: "body" });
  assertEquals(i.module instanceof Torso2d, true);
  assertEquals(
    [...i.module!.params.keys()].every((k) => k.startsWith("body.deform.") || k.startsWith("body.color.")),
    true,
  );
  // PE(u): 2 (1 + 16) = 34; per MLP: l0f 34x32+32, l0c 54x32, l1 32x32+32; out 32x2+2 (offset), 32x4+4 (colour).
  assertEquals(countParams(i.module!), 2 * (1120 + 1728 + 1056) + 66 + 132);
  d.module.dispose();
  i.module!.dispose();
});

Deno.test("createTorso seeds the weights and rejects bad configs", () => {
  const a = createTorso(IMAGE2D_DEFAULTS, 6, { seed: 9, name: "sa" });
  const b = createTorso(IMAGE2D_DEFAULTS, 6, { seed: 9, name: "sb" });
  assertEquals(
    [...a.module!.params.values()].map((v) => Array.from(v.dataSync())),
    [...b.module!.params.values()].map((v) => Array.from(v.dataSync())),
  );
  a.module!.dispose();
  b.module!.dispose();
  assertThrows(
    () => createTorso({ ...DEFORM3D_DEFAULTS, weighting: "mask" } as unknown as TorsoConfig, 6),
    Error,
    "weighting",
  );
  assertThrows(() => createTorso({ ...IMAGE2D_DEFAULTS, width: 0 }, 6), Error, "width");
  assertThrows(() => createTorso(IMAGE2D_DEFAULTS, 0), Error, "poseDim");
  assertThrows(() => createTorso({ kind: "mesh" } as unknown as TorsoConfig, 6), Error, "unknown torso kind");
});

Deno.test('createTorso: motion "rigid" adds the pose MLP; validation names torso.motion; the demo override', () => {
  const r = createTorso({ ...DEFORM3D_DEFAULTS, motion: "rigid" }, POSE_CODE_DIM, { seed: 4 });
  if (!(r instanceof Deform3dTorso)) throw new Error("a deform3d config must build a Deform3dTorso");
  assertEquals(r.module.motion, "rigid");
  // As the default's count with a 4-column output (64x4+4), plus rigid.l0 54x64+64 and rigid.out 64x6+6.
  assertEquals(countParams(r.module), 2560 + 3456 + 2 * 4160 + 260 + 3520 + 390);
  r.module.dispose();
  const o = createTorso(DEFORM3D_DEFAULTS, POSE_CODE_DIM, { seed: 4 });
  assertEquals((o as Deform3dTorso).module.motion, "offset");
  o.module!.dispose();
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, motion: "spin" } as unknown as TorsoConfig), [
    'torso.motion must be "offset" or "rigid" (absent: "offset"): got "spin"',
  ]);
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, motion: "offset" }), []);
  assertThrows(
    () => createTorso({ ...DEFORM3D_DEFAULTS, motion: 1 } as unknown as TorsoConfig, 6),
    Error,
    "torso.motion",
  );
  // The demo preset with the rigid motion (the presets carry no `motion`: an optional field of override()).
  const demoRigid = override(DEMO, { torso: { motion: "rigid" } });
  assertEquals(demoRigid.torso, { ...DEMO.torso, motion: "rigid" });
  validateConfig(demoRigid);
});

Deno.test("createTorso: torso.poseMap builds the linear map; validation names a bad value and a poseMap without motion rigid", () => {
  const r = createTorso({ ...DEFORM3D_DEFAULTS, motion: "rigid", poseMap: "linear" }, POSE_CODE_DIM, {
    seed: 4,
  });
  if (!(r instanceof Deform3dTorso)) throw new Error("a deform3d config must build a Deform3dTorso");
  assertEquals(r.module.poseMap, "linear");
  // The rigid count above without the pose MLP (3520 + 390), with the linear map 6x6+6.
  assertEquals(countParams(r.module), 2560 + 3456 + 2 * 4160 + 260 + 42);
  r.module.dispose();
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, motion: "rigid", poseMap: "cubic" as never }), [
    'torso.poseMap must be "mlp", "linear", "linear+mlp" or "quadratic" (absent: "mlp"): got "cubic"',
  ]);
  assertEquals(torsoConfigProblems({ ...DEFORM3D_DEFAULTS, poseMap: "linear" }), [
    'torso.poseMap applies to motion "rigid" only: got motion undefined',
  ]);
  const demo = override(DEMO, { torso: { motion: "rigid", poseMap: "linear+mlp" } });
  validateConfig(demo);
});
