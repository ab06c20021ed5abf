/**
 * Loading `@vladmandic/face-api` offline, on the project's one tfjs instance.
 *
 * face-api's CommonJS wasm build (`dist/face-api.node-wasm.js`) `require`s `@tensorflow/tfjs` and
 * `@tensorflow/tfjs-backend-wasm`, which resolve to the 4.22 packages the import map pins, so it shares
 * the engine (and the backend) that {@linkcode initBackend} started. {@linkcode loadFaceApi} checks that
 * and fails loudly otherwise: two engines would mean two backends and tensors that cannot be mixed.
 * Weights come from the package's own `model/` folder, read with `Deno.readFile` (no fetch, no network).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { currentBackend, initBackend } from "../backend/backend.ts";

/** The face-api module (its wasm build). */
export type FaceApi = typeof import("@vladmandic/face-api/dist/face-api.node-wasm.js");

/** Weight files shipped in face-api's `model/` folder that this toolkit uses. */
export type FaceApiModel = "tiny_face_detector_model" | "ssd_mobilenetv1_model" | "face_landmark_68_model";

let loaded: Promise<FaceApi> | undefined;

/**
 * Folder of the installed face-api package (a `file:` URL ending in `/`), found through the import map
 * with `import.meta.resolve`, so nothing depends on where node_modules is.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { faceApiFolder } from "./faceapi.ts";
 * assert(faceApiFolder().href.endsWith("/face-api/"));
 * ```
 */
export function faceApiFolder(): URL {
  // The package's "main" (dist/face-api.node.js) is never loaded here: it only locates the folder.
  return new URL("../", import.meta.resolve("@vladmandic/face-api"));
}

/**
 * Imports face-api once (later calls share the promise), after starting the tfjs backend if nothing
 * started one yet, and checks that it uses this project's tfjs engine.
 * @returns The face-api module.
 * @throws When face-api resolved a second copy of tfjs.
 */
export function loadFaceApi(): Promise<FaceApi> {
  loaded ??= (async () => {
    if (!currentBackend()) await initBackend({ log: null });
    const faceapi: FaceApi = await import("@vladmandic/face-api/dist/face-api.node-wasm.js");
    const theirs = faceapi.tf as unknown as typeof tf;
    if (theirs.engine() !== tf.engine() || theirs.Tensor !== tf.Tensor) {
      throw new Error(
        `face-api loaded its own copy of tfjs (version ${
          JSON.stringify(faceapi.tf.version)
        }): expected the ` +
          `project's @tensorflow/tfjs ${tf.version_core} from the import map, shared by both`,
      );
    }
    return faceapi;
  })();
  loaded.catch(() => loaded = undefined);
  return loaded;
}

/**
 * Reads one model's `<name>-weights_manifest.json` and shards from face-api's `model/` folder and
 * decodes them with `tf.io.weightsLoaderFactory`.
 * @param name Model file stem.
 * @returns Tensors by weight name (the caller owns them; `net.loadFromWeightMap` takes them over).
 */
export async function readFaceApiWeights(name: FaceApiModel): Promise<tf.NamedTensorMap> {
  const folder = new URL("model/", faceApiFolder());
  const manifestUrl = new URL(`${name}-weights_manifest.json`, folder);
  let manifest: tf.io.WeightsManifestConfig;
  try {
    manifest = JSON.parse(await Deno.readTextFile(manifestUrl));
  } catch (e) {
    throw new Error(
      `face-api weights manifest ${manifestUrl.pathname}: cannot read it (${(e as Error).message})`,
    );
  }
  const load = tf.io.weightsLoaderFactory((paths: string[]) =>
    Promise.all(paths.map(async (p) => {
      const bytes = await Deno.readFile(p);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }))
  );
  // The loader joins prefix and shard name with "/", so the prefix is the folder path without one.
  return await load(manifest, folder.pathname.replace(/\/$/, ""));
}
