/**
 * The trainer's one-thread step on the CPU backends is bit for bit what it was before the webgpu step
 * packed its read-backs (lib/train/trainer.ts `enqueueStep`): golden values recorded with the previous
 * code (commit efced42), for four steps of TINY on a tiny dataset, with and without empty-space skipping
 * (the occupancy hook), compared exactly: every loss term, the semantic sampler's statistics and a hash of
 * every parameter's bits.
 */
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "@std/assert";
import { initBackend } from "../backend/mod.ts";
import { override, type SspNerfConfig, TINY } from "../config/mod.ts";
import { loadDataset } from "../data/mod.ts";
import { writeTinyDataset } from "../data/tiny_dataset.ts";
import { Trainer } from "./trainer.ts";

await initBackend({ log: null });

/** What the golden values hold for one configuration. */
export interface GoldenRun {
  readonly losses: Record<string, number>[];
  readonly ema: (number | null)[];
  readonly counts: number[];
  /** FNV-1a of every parameter's float32 bits, in parameter order. */
  readonly paramsHash: number;
}

/** The two configurations. */
export const GOLDEN_CONFIGS: Record<string, SspNerfConfig> = {
  tiny: TINY,
  occupancy: override(
    TINY,
    { points: { occupancy: { enabled: true, resolution: 8, updateEvery: 2 } } } as never,
  ),
};

/** Four trainStep calls of a configuration on the 16 x 16 tiny dataset. */
export async function goldenRun(config: SspNerfConfig): Promise<GoldenRun> {
  const dir = await Deno.makeTempDir({ prefix: "ssp-golden-" });
  try {
    await writeTinyDataset(dir, { frames: 12, width: 16, height: 16, audioDim: 13 });
    const trainer = Trainer.create(await loadDataset(dir), config);
    try {
      const losses = [];
      for (let i = 0; i < 4; i++) losses.push({ ...(await trainer.trainStep()).losses });
      let h = 2166136261;
      for (const v of trainer.model.params.values()) {
        const f = v.dataSync() as Float32Array;
        for (const x of new Uint32Array(f.buffer, f.byteOffset, f.length)) {
          h = Math.imul(h ^ x, 16777619) >>> 0;
        }
      }
      const s = trainer.semanticSampler()!.state();
      return { losses, ema: [...s.ema], counts: [...s.counts], paramsHash: h };
    } finally {
      trainer.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const GOLDEN: Record<string, GoldenRun> = {
  "tiny": {
    "losses": [
      {
        "rgb_fine": 0.24110077321529388,
        "rgb_coarse": 0.24121178686618805,
        "semantic": 4.396761894226074,
        "semantic_coarse": 4.4016571044921875,
        "deformation": 0,
        "total": 1.362154483795166,
      },
      {
        "rgb_fine": 0.22988517582416534,
        "rgb_coarse": 0.22995366156101227,
        "semantic": 4.167248249053955,
        "semantic_coarse": 4.165220737457275,
        "deformation": 0.0008593243546783924,
        "total": 1.2930943965911865,
      },
      {
        "rgb_fine": 0.211260125041008,
        "rgb_coarse": 0.2111790031194687,
        "semantic": 4.141659259796143,
        "semantic_coarse": 4.136591911315918,
        "deformation": 0.0009661612566560507,
        "total": 1.2502739429473877,
      },
      {
        "rgb_fine": 0.21128849685192108,
        "rgb_coarse": 0.2113037109375,
        "semantic": 4.071827411651611,
        "semantic_coarse": 4.068023204803467,
        "deformation": 0.0017497050575911999,
        "total": 1.236594796180725,
      },
    ],
    "ema": [
      0.5849959504395724,
      0.769608734279871,
      0.6831360852271319,
      0.7285974383751551,
      0.6780598738074304,
      0.7073686140030624,
      0.703781839410464,
      0.734835814267397,
      0.7100109236786764,
      0.7359727821896475,
      0.7058124096850555,
    ],
    "counts": [
      21,
      24,
      24,
      24,
      21,
      24,
      24,
      24,
      24,
      23,
      23,
    ],
    "paramsHash": 1885834811,
  },
  "occupancy": {
    "losses": [
      {
        "rgb_fine": 0.23645538091659546,
        "rgb_coarse": 0.2364838868379593,
        "semantic": 5.550103664398193,
        "semantic_coarse": 5.554609298706055,
        "deformation": 0,
        "total": 1.5834105014801025,
      },
      {
        "rgb_fine": 0.23415973782539368,
        "rgb_coarse": 0.2347790151834488,
        "semantic": 4.659163951873779,
        "semantic_coarse": 4.635873317718506,
        "deformation": 0.00010836196452146396,
        "total": 1.398443579673767,
      },
      {
        "rgb_fine": 0.2608570158481598,
        "rgb_coarse": 0.26075971126556396,
        "semantic": 4.605807304382324,
        "semantic_coarse": 4.60215425491333,
        "deformation": 0.00030072894878685474,
        "total": 1.4424158334732056,
      },
      {
        "rgb_fine": 0.25352126359939575,
        "rgb_coarse": 0.25357499718666077,
        "semantic": 4.596460819244385,
        "semantic_coarse": 4.586328506469727,
        "deformation": 0.0005314538720995188,
        "total": 1.4253805875778198,
      },
    ],
    "ema": [
      0.5857349357008934,
      1.0659261828660964,
      0.65073831230402,
      0.5606957459449768,
      0.5186302125453949,
      0.8272721295754114,
      0.6139082193374634,
      1.0533216820657254,
      0.8076390099525452,
      0.550463182926178,
      0.7244321133693059,
    ],
    "counts": [
      4,
      9,
      5,
      6,
      3,
      7,
      3,
      6,
      3,
      6,
      8,
    ],
    "paramsHash": 2640765138,
  },
};

for (const [name, config] of Object.entries(GOLDEN_CONFIGS)) {
  Deno.test(`trainer on ${tf.getBackend()}: ${name}, four steps bit for bit as before the packed webgpu read`, async () => {
    assertEquals(await goldenRun(config), GOLDEN[name]);
  });
}
