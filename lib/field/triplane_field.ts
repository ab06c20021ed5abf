/**
 * A tri-plane grid radiance field (after ER-NeRF, Li et al. 2023; tri-planes as in EG3D / K-Planes;
 * multi-resolution hashed tables as in instant-ngp, Müller et al. 2022), with SSP-NeRF's parsing head.
 *
 * features = triplaneLookup(x): [n, 3 L F] from three axis-aligned feature planes (xy, yz, xz) at L
 * resolutions (see `grid_lookup.ts`). A small density MLP reads [features, audio code]:
 *
 *   h_1 = relu(features W_f + a W_a + b_1),  h_{k+1} = relu(h_k W_k + b_k),  k < H,
 *   sigma = softplus(h_H w_sigma + b_sigma - 1),  geo = h_H,
 *
 * where the concat [features, a] @ W is split into features @ W_f + a @ W_a, so a code shared by all
 * points ([1, A]) costs one broadcast row (as in the MLP field). The geometry feature geo (the density
 * head's last hidden layer; the grid features themselves when H = 0, in which case the audio code enters
 * the sigma layer only) feeds a colour head, [geo, PE(d)] -> colorWidth (ReLU) -> sigmoid RGB, and, when
 * the parsing branch is on, a linear layer to K semantic logits. The audio code thus conditions density
 * directly and colour and parsing through geo.
 *
 * Grid tables start uniform in +-1e-4 (instant-ngp), so the field starts near-constant and the grid
 * learns the detail; they usually want a larger learning rate than the heads (`gridLrScale`), and
 * {@linkcode TriplaneField.gridParams} names them for the trainer.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TriplaneFieldConfig } from "../config/config.ts";
import { addRows, createRng, Linear, namedVariable } from "../nn/mod.ts";
import { type GridLevel, gridLevels } from "./grid_levels.ts";
import { triplaneLookup } from "./grid_lookup.ts";
import { triplaneFeatureDim } from "./triplane_layout.ts";
import type { FieldDims, FieldInputs, FieldOutputs, RadianceField } from "./mlp_field.ts";

/** A grid table: [rows, featuresPerLevel]. */
export type GridTable = tf.Variable<tf.Rank.R2>;

/** Half-width of the uniform initial grid features (instant-ngp: 1e-4). */
export const GRID_INIT_SCALE = 1e-4;

/**
 * The tri-plane field. Parameter keys: grid tables `${name}.plane${p}.level${l}` (p = 0 xy, 1 yz, 2 xz;
 * l = 0 coarsest; shape [tableSize_l, F]); density head `${name}.density.l0.grid`, `${name}.density.l0.aud`
 * (no bias; present when audDim > 0), `${name}.density.l0.attention` (with `codeAttention`),
 * `${name}.density.l${k}` (k >= 1), `${name}.sigma`; colour head
 * `${name}.color.geo`, `${name}.color.dir` (when dirDim > 0), `${name}.rgb`; parsing `${name}.semantic`
 * (when numClasses > 0). Each Linear has `.w` and `.b` suffixes. With hiddenLayers 0 the first layer is
 * the sigma layer itself: `${name}.sigma.grid` and `${name}.sigma.aud`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { assertEquals } from "@std/assert";
 * import { TriplaneField } from "./triplane_field.ts";
 * const config = {
 *   kind: "triplane", levels: 2, baseResolution: 4, maxResolution: 8, featuresPerLevel: 2, log2HashSize: 6,
 *   hiddenWidth: 16, hiddenLayers: 1, colorWidth: 8, gridLrScale: 10,
 *   dirFreqs: 0, viewDirs: false, separateFine: false,
 * } as const;
 * const field = new TriplaneField("f", config, { posDim: 0, dirDim: 0, audDim: 4, numClasses: 3 }, 1);
 * const out = field.apply({ xyz: tf.zeros([5, 3]), aud: tf.ones([1, 4]) });
 * assertEquals(out.sigma.shape, [5]);
 * assertEquals(out.rgb.shape, [5, 3]);
 * assertEquals(out.semanticLogits?.shape, [5, 3]);
 * assertEquals(field.gridParams()[0], "f.plane0.level0");
 * tf.dispose(out as unknown as tf.Tensor[]);
 * field.dispose();
 * ```
 */
export class TriplaneField implements RadianceField {
  readonly params: Map<string, tf.Variable>;
  /** Level geometry (resolution, table rows, hashed or dense), coarsest first. */
  readonly levels: readonly GridLevel[];
  /** Grid tables, plane-major: index p L + l; table (p, l) is [levels[l].tableSize, featuresPerLevel]. */
  readonly tables: readonly GridTable[];
  /** Width of the lookup output, 3 L F. */
  readonly featureDim: number;
  private readonly tableKeys: readonly string[];
  private readonly firstGrid: Linear;
  private readonly firstAud: Linear | null;
  private readonly attention: Linear | null;
  private readonly hidden: readonly Linear[];
  private readonly sigmaHead: Linear | null;
  private readonly colorGeo: Linear;
  private readonly colorDir: Linear | null;
  private readonly colorPose: Linear | null;
  private readonly rgbHead: Linear;
  private readonly semHead: Linear | null;

  /**
   * @param name Prefix of the parameter keys, e.g. "coarse".
   * @param config Grid sizes, head widths and the grid learning-rate scale.
   * @param dims Input/output sizes from the data (posDim is ignored: the grid reads raw xyz).
   * @param seed Initialisation seed (tables and layers).
   */
  constructor(
    readonly name: string,
    readonly config: TriplaneFieldConfig,
    readonly dims: FieldDims,
    seed: number,
  ) {
    const { featuresPerLevel: F, hiddenWidth, hiddenLayers, colorWidth } = config;
    if (!Number.isInteger(F) || F < 1) {
      throw new Error(`${name}: featuresPerLevel must be an integer >= 1: got ${F}`);
    }
    if (!Number.isInteger(hiddenLayers) || hiddenLayers < 0) {
      throw new Error(`${name}: hiddenLayers must be an integer >= 0: got ${hiddenLayers}`);
    }
    this.levels = gridLevels(config);
    const L = this.levels.length;
    this.featureDim = triplaneFeatureDim(L, F);
    const params = new Map<string, tf.Variable>();
    const rng = createRng(seed);
    const tables: GridTable[] = [];
    const keys: string[] = [];
    for (let p = 0; p < 3; p++) {
      for (let l = 0; l < L; l++) {
        const rows = this.levels[l].tableSize;
        const values = new Float32Array(rows * F);
        for (let q = 0; q < values.length; q++) values[q] = GRID_INIT_SCALE * (2 * rng.next() - 1);
        const key = `${name}.plane${p}.level${l}`;
        const v = tf.tidy(() => namedVariable(key, tf.tensor2d(values, [rows, F]))) as GridTable;
        tables.push(v);
        keys.push(key);
        params.set(key, v);
      }
    }
    this.tables = tables;
    this.tableKeys = keys;

    let s = seed + 1;
    const lin = (n: string, i: number, o: number, bias = true, init: "he" | "glorot" = "he") => {
      const layer = new Linear(`${name}.${n}`, i, o, { bias, init, seed: s++ });
      for (const [k, v] of layer.params) params.set(k, v);
      return layer;
    };
    const first = hiddenLayers > 0 ? "density.l0" : "sigma";
    const firstOut = hiddenLayers > 0 ? hiddenWidth : 1;
    const firstInit = hiddenLayers > 0 ? "he" : "glorot";
    this.firstGrid = lin(`${first}.grid`, this.featureDim, firstOut, true, firstInit);
    this.firstAud = dims.audDim > 0 ? lin(`${first}.aud`, dims.audDim, firstOut, false, firstInit) : null;
    // Created last so that turning it on leaves every other parameter's initialisation as it was.
    let attention: Linear | null = null;
    this.hidden = Array.from(
      { length: Math.max(0, hiddenLayers - 1) },
      (_, k) => lin(`density.l${k + 1}`, hiddenWidth, hiddenWidth),
    );
    this.sigmaHead = hiddenLayers > 0 ? lin("sigma", hiddenWidth, 1, true, "glorot") : null;
    const geoDim = hiddenLayers > 0 ? hiddenWidth : this.featureDim;
    this.colorGeo = lin("color.geo", geoDim, colorWidth);
    this.colorDir = dims.dirDim > 0 ? lin("color.dir", dims.dirDim, colorWidth, false) : null;
    this.rgbHead = lin("rgb", colorWidth, 3, true, "glorot");
    this.semHead = dims.numClasses > 0 ? lin("semantic", geoDim, dims.numClasses, true, "glorot") : null;
    if (config.codeAttention && dims.audDim > 0) {
      attention = lin(`${first}.attention`, this.featureDim, dims.audDim, true, "glorot");
    }
    this.attention = attention;
    // Also created last, and zero: turning it on changes nothing at the start.
    this.colorPose = (dims.poseDim ?? 0) > 0 ? lin("color.pose", dims.poseDim!, colorWidth, false) : null;
    if (this.colorPose) tf.tidy(() => this.colorPose!.w.assign(tf.zerosLike(this.colorPose!.w)));
    this.params = params;
  }

  /**
   * Keys of the grid tables in `params` (pattern `${name}.plane${p}.level${l}`, p = 0 xy, 1 yz, 2 xz), so a
   * trainer can give them `config.gridLrScale` times the learning rate.
   * @returns 3 L keys, plane-major.
   */
  gridParams(): string[] {
    return [...this.tableKeys];
  }

  /**
   * Density, colour and parsing logits at raw positions.
   * @param inputs `xyz` [n, 3] in about [-1, 1]^3 (clamped to the box by the lookup); `aud` [1 or n, audDim]
   *   when dims.audDim > 0; `dir` [n, dirDim] when dims.dirDim > 0; `pos` is ignored.
   * @returns sigma [n] >= 0, rgb [n, 3] in (0, 1), semanticLogits [n, K] when dims.numClasses > 0.
   */
  apply(inputs: FieldInputs): FieldOutputs {
    const { xyz, dir, aud } = inputs;
    if (!xyz || xyz.rank !== 2 || xyz.shape[1] !== 3) {
      throw new Error(`${this.name}: positions xyz must be [n, 3]: got ${xyz ? `[${xyz.shape}]` : "none"}`);
    }
    const n = xyz.shape[0];
    if (
      this.dims.audDim > 0 &&
      (!aud || aud.rank !== 2 || aud.shape[1] !== this.dims.audDim ||
        (aud.shape[0] !== 1 && aud.shape[0] !== n))
    ) {
      throw new Error(
        `${this.name}: audio code must be [1 or ${n}, ${this.dims.audDim}]: got ${
          aud ? `[${aud.shape}]` : "none"
        }`,
      );
    }
    if (
      this.dims.dirDim > 0 &&
      (!dir || dir.rank !== 2 || dir.shape[0] !== n || dir.shape[1] !== this.dims.dirDim)
    ) {
      throw new Error(
        `${this.name}: encoded directions must be [${n}, ${this.dims.dirDim}]: got ${
          dir ? `[${dir.shape}]` : "none"
        }`,
      );
    }
    return tf.tidy(() => {
      const features = triplaneLookup(xyz, this.tables, this.levels);
      let z = this.firstGrid.apply(features);
      if (this.firstAud && aud) {
        // Region attention: each point's own mix of the code's channels, [n, A] = sigmoid(.) * [1 or n, A].
        z = this.attention
          ? tf.add(z, this.firstAud.apply(tf.mul(tf.sigmoid(this.attention.apply(features)), aud)))
          : addRows(z, this.firstAud.apply(aud));
      }
      let geo: tf.Tensor2D;
      let raw: tf.Tensor2D;
      if (this.sigmaHead) {
        geo = tf.relu(z);
        for (const layer of this.hidden) geo = tf.relu(layer.apply(geo));
        raw = this.sigmaHead.apply(geo);
      } else {
        geo = features;
        raw = z;
      }
      const sigma = tf.reshape(tf.softplus(tf.sub(raw, 1)), [n]) as tf.Tensor1D;
      let c = this.colorGeo.apply(geo);
      if (this.colorDir && dir) c = tf.add(c, this.colorDir.apply(dir));
      if (this.colorPose) {
        const pose = inputs.pose;
        if (!pose || pose.rank !== 2 || pose.shape[0] !== 1 || pose.shape[1] !== this.dims.poseDim) {
          throw new Error(
            `${this.name}: pose code must be [1, ${this.dims.poseDim}] (field.poseColor): got ${
              pose ? `[${pose.shape}]` : "none"
            }`,
          );
        }
        c = addRows(c, this.colorPose.apply(pose));
      }
      const rgb = tf.sigmoid(this.rgbHead.apply(tf.relu(c)));
      const out: FieldOutputs = this.semHead
        ? { sigma, rgb, semanticLogits: this.semHead.apply(geo) }
        : { sigma, rgb };
      return out as unknown as tf.TensorContainerObject;
    }) as unknown as FieldOutputs;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
