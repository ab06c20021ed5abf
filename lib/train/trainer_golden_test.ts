/**
 * The trainer's one-thread step on the CPU backends is bit for bit what it was before the webgpu step
 * packed its read-backs (lib/train/trainer.ts `enqueueStep`): golden values recorded with the previous
 * code (commit efced42), for four steps of TINY on a tiny dataset, with and without empty-space skipping
 * (the occupancy hook), compared exactly: every loss term, the semantic sampler's statistics and a hash of
 * every parameter's bits. Re-recorded once since, when `positionalEncoding` on wasm took the values of
 * `positionalEncodingJs` (double-angle recurrence) instead of tfjs' sin/cos kernels: the encodings of the
 * torso probe's and the deformed points changed in the last bits (the first loss terms by ~1e-7).
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
        "rgb_fine": 0.24110080301761627,
        "rgb_coarse": 0.24121181666851044,
        "semantic": 4.396761894226074,
        "semantic_coarse": 4.4016571044921875,
        "deformation": 0,
        "total": 1.3621546030044556,
      },
      {
        "rgb_fine": 0.22988517582416534,
        "rgb_coarse": 0.22995366156101227,
        "semantic": 4.167248249053955,
        "semantic_coarse": 4.165220737457275,
        "deformation": 0.0008593244128860533,
        "total": 1.2930943965911865,
      },
      {
        "rgb_fine": 0.2112600952386856,
        "rgb_coarse": 0.2111790031194687,
        "semantic": 4.141659259796143,
        "semantic_coarse": 4.136592388153076,
        "deformation": 0.0009661613730713725,
        "total": 1.2502739429473877,
      },
      {
        "rgb_fine": 0.21128849685192108,
        "rgb_coarse": 0.2113037109375,
        "semantic": 4.071826934814453,
        "semantic_coarse": 4.068023204803467,
        "deformation": 0.0017497048247605562,
        "total": 1.236594796180725,
      },
    ],
    "ema": [
      0.5849959500432016,
      0.7696087123652301,
      0.683136083389322,
      0.7285974374910195,
      0.6780599006295205,
      0.7073685673773289,
      0.7037818716168405,
      0.7348357935498159,
      0.7100109395732483,
      0.7359727826217811,
      0.7058123998771111,
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
    "paramsHash": 1899538299,
  },
  "occupancy": {
    "losses": [
      {
        "rgb_fine": 0.23645538091659546,
        "rgb_coarse": 0.2364838868379593,
        "semantic": 5.550104141235352,
        "semantic_coarse": 5.554609298706055,
        "deformation": 0,
        "total": 1.583410620689392,
      },
      {
        "rgb_fine": 0.23415972292423248,
        "rgb_coarse": 0.2347790151834488,
        "semantic": 4.659163951873779,
        "semantic_coarse": 4.635873317718506,
        "deformation": 0.00010836195724550635,
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
        "rgb_coarse": 0.2535749673843384,
        "semantic": 4.596460819244385,
        "semantic_coarse": 4.586328029632568,
        "deformation": 0.000531453755684197,
        "total": 1.4253804683685303,
      },
    ],
    "ema": [
      0.585734928548336,
      1.0659261630773544,
      0.6507383391261101,
      0.5606957238912583,
      0.5186301589012147,
      0.8272721403042476,
      0.6139082193374634,
      1.0533216776251795,
      0.8076391232013703,
      0.5504631721973419,
      0.724432001709938,
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
    "paramsHash": 2267088874,
  },
};

for (const [name, config] of Object.entries(GOLDEN_CONFIGS)) {
  Deno.test(`trainer on ${tf.getBackend()}: ${name}, four steps bit for bit as before the packed webgpu read`, async () => {
    assertEquals(await goldenRun(config), GOLDEN[name]);
  });
}
