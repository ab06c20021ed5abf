/**
 * Where a model's error is: the squared error of rendered frames split by ground-truth parsing region,
 * so the largest share can be attacked first (and training frames can be compared with held-out ones:
 * a region that is bad on both is under-trained; bad on held-out only, it does not generalise).
 * @module
 */

/** One region of an error budget. */
export interface RegionBudget {
  /** Share of the pixels, in [0, 1]. */
  readonly pixelShare: number;
  /** Share of the summed squared error, in [0, 1]. */
  readonly errorShare: number;
  /** PSNR over the region's pixels (dB, peak 1). */
  readonly psnr: number;
}

/** Accumulates squared error per region over frames; read the result with {@linkcode ErrorBudget.result}. */
export class ErrorBudget {
  private readonly sse: Float64Array;
  private readonly count: Float64Array;

  /**
   * @param regions Region name -> the parsing class ids it holds (a class in no region is not counted).
   * @example
   * ```ts
   * import { assertAlmostEquals, assertEquals } from "@std/assert";
   * import { ErrorBudget } from "./error_budget.ts";
   * const b = new ErrorBudget({ background: [0], person: [1] });
   * // Two pixels: background exact, person off by 0.1 in every channel.
   * b.add(Float32Array.of(0, 0, 0, 0.1, 0.1, 0.1), new Float32Array(6), Uint8Array.of(0, 1));
   * const r = b.result();
   * assertEquals([r.person.pixelShare, r.person.errorShare], [0.5, 1]);
   * assertAlmostEquals(r.person.psnr, 20, 1e-5); // -10 log10(0.01), 0.1 in float32
   * ```
   */
  constructor(readonly regions: Readonly<Record<string, readonly number[]>>) {
    const n = Object.keys(regions).length;
    this.sse = new Float64Array(n);
    this.count = new Float64Array(n);
  }

  /**
   * Adds one frame.
   * @param pred Rendered RGB in [0, 1], HWC.
   * @param gt Ground-truth RGB, same layout.
   * @param labels Ground-truth class per pixel.
   */
  add(pred: Float32Array, gt: Float32Array, labels: Uint8Array): void {
    if (pred.length !== gt.length || pred.length !== labels.length * 3) {
      throw new Error(
        `ErrorBudget.add: rgb lengths ${pred.length} and ${gt.length} must be 3 x the ${labels.length} labels`,
      );
    }
    const names = Object.keys(this.regions);
    const regionOf = new Int16Array(256).fill(-1);
    names.forEach((name, r) => {
      for (const c of this.regions[name]) regionOf[c] = r;
    });
    for (let i = 0; i < labels.length; i++) {
      const r = regionOf[labels[i]];
      if (r < 0) continue;
      const a = pred[3 * i] - gt[3 * i],
        b = pred[3 * i + 1] - gt[3 * i + 1],
        c = pred[3 * i + 2] - gt[3 * i + 2];
      this.sse[r] += a * a + b * b + c * c;
      this.count[r] += 3;
    }
  }

  /** The budget so far, by region name (regions with no pixel are left out). */
  result(): Record<string, RegionBudget> {
    const totalSse = this.sse.reduce((s, v) => s + v, 0);
    const totalCount = this.count.reduce((s, v) => s + v, 0);
    const out: Record<string, RegionBudget> = {};
    Object.keys(this.regions).forEach((name, r) => {
      if (this.count[r] === 0) return;
      out[name] = {
        pixelShare: this.count[r] / totalCount,
        errorShare: totalSse > 0 ? this.sse[r] / totalSse : 0,
        psnr: -10 * Math.log10(this.sse[r] / this.count[r]),
      };
    });
    return out;
  }
}

/** The regions of the 11-class SSP-NeRF palette used by error budgets. */
export const SSP11_BUDGET_REGIONS: Readonly<Record<string, readonly number[]>> = {
  background: [0],
  face: [1, 4, 5],
  eyes: [2, 3],
  mouth: [6, 7],
  hair: [10],
  neck: [8],
  torso: [9],
};
