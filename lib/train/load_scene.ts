/**
 * A scene from a training run's checkpoint, for rendering and evaluation: the model's weights, its step
 * and the training occupancy grid; no optimizer (its moments in the checkpoint are not read).
 * @module
 */
import { upgradeConfig } from "../config/upgrade.ts";
import type { Dataset } from "../data/mod.ts";
import { loadParams } from "../nn/mod.ts";
import { OccupancyGrid } from "../sampling/mod.ts";
import { Scene } from "../render/scene.ts";
import { checkFrameCodeFrames, type CheckpointMeta, firstNonFinite, readCheckpoint } from "./checkpoint.ts";

/**
 * Builds the scene of a checkpoint on a dataset (the one it was trained on, or one with the same audio
 * features and classes) and loads the trained weights into it.
 * @param path The checkpoint: a run folder or its checkpoint.json.
 * @param dataset The dataset (cameras, background, audio width, palette).
 * The checkpoint.json and its .bin are read as one unit (a run may be writing the folder), and a
 * parameter holding NaN or Inf is refused by name (a diverged run), before any tensor is made.
 * @returns The scene (dispose it) and the checkpoint's metadata.
 */
export async function loadScene(
  path: string,
  dataset: Dataset,
): Promise<{ readonly scene: Scene; readonly meta: CheckpointMeta }> {
  const { meta, jsonPath, binPath, data } = await readCheckpoint(path);
  const config = upgradeConfig(meta.config, jsonPath);
  const dsAud = dataset.audio?.shape[2];
  if (meta.dataset.audioFeatureDim !== dsAud) {
    throw new Error(
      `checkpoint ${jsonPath} was trained on audio features of width ${meta.dataset.audioFeatureDim}; ` +
        `the dataset ${dataset.root} has ${dsAud === undefined ? "no aud.npy" : `width ${dsAud}`}`,
    );
  }
  if (config.parsing.enabled && meta.dataset.numClasses !== dataset.numClasses) {
    throw new Error(
      `checkpoint ${jsonPath} parses ${meta.dataset.numClasses} classes; the dataset ${dataset.root} has ${dataset.numClasses}`,
    );
  }
  const params = data.subarray(0, meta.optimizerOffset);
  const bad = firstNonFinite(meta.params, params);
  if (bad) {
    throw new Error(
      `checkpoint ${binPath} (step ${meta.step}): parameter ${bad}: the run had diverged when it was saved; ` +
        `use an earlier checkpoint or train again (lower train.lr)`,
    );
  }
  const scene = Scene.create(dataset, config);
  try {
    checkFrameCodeFrames(meta, jsonPath, scene.setup.trainImgIds);
    loadParams(scene.model.params, meta.params, params, binPath);
    scene.step = meta.state.step;
    if (scene.occupancy && meta.state.grid) scene.occupancy = OccupancyGrid.fromState(meta.state.grid);
    scene.weightsChanged();
    return { scene, meta };
  } catch (e) {
    scene.dispose();
    throw e;
  }
}
