/**
 * Renders frames of the synthetic portrait by ray casting: colour from 2 x 2 supersampled rays per pixel,
 * the parsing class from the ray through the pixel's centre, and the 68 landmarks.
 * @module
 */
import type { Image } from "../io/types.ts";
import { type FrameBody, frameBody, type FrameParams } from "./body.ts";
import { castRay, newHit } from "./cast.ts";
import { frameLandmarks } from "./landmarks.ts";
import type { PortraitScene } from "./scene.ts";
import { backgroundColor, shade } from "./shading.ts";

/** Options of {@linkcode renderFrame} and {@linkcode renderBackground}. */
export interface RenderOptions {
  /** Colour rays per pixel along each axis (1 or 2). @default {2} */
  readonly supersample?: 1 | 2;
}

/** A rendered frame and its ground truth. */
export interface RenderedFrame {
  /** RGB image, height x width x 3. */
  readonly rgb: Image;
  /** SSPNERF11 class id per pixel, row-major, width * height. */
  readonly parsing: Uint8Array;
  /** 68 x 2 landmark pixel coordinates, iBUG order; pixel (u, v)'s centre is (u + 0.5, v + 0.5). */
  readonly landmarks: Float32Array;
  /** 68 flags: 1 where the landmark is seen, 0 where the head hides it (self-occlusion). */
  readonly landmarkVisible: Uint8Array;
  /** The frame's solids (for further queries). */
  readonly body: FrameBody;
}

function offsets(ss: number): number[] {
  if (ss !== 1 && ss !== 2) throw new Error(`render.ts: supersample must be 1 or 2: got ${ss}`);
  return ss === 1 ? [0.5] : [0.25, 0.75];
}

/**
 * Renders one frame. The camera sits at the origin looking along -z; the ray of image point (x, y) (pixel
 * (u, v) has its centre at (u + 0.5, v + 0.5)) has direction ((x - cx) / f, -(y - cy) / f, -1). Rays that
 * miss the body take the background plane's colour, exactly as in {@linkcode renderBackground}.
 * @param scene The portrait and camera.
 * @param frame Head pose, torso pose, mouth opening.
 * @param options Supersampling.
 * @returns Image, parsing map, landmarks.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { portraitScene, renderFrame } from "./mod.ts";
 * const scene = portraitScene({ width: 32, height: 32 });
 * const rest = { euler: [0, 0, 0], trans: scene.headRest } as const;
 * const torso = { euler: [0, 0, 0], trans: scene.torsoRest } as const;
 * const f = renderFrame(scene, { head: rest, torso, mouthOpen: 0 });
 * assertEquals(f.parsing[0], 0); // a corner shows the background
 * assertEquals(f.parsing[16 * 32 + 16], 1); // the image centre shows the face (skin)
 * ```
 */
export function renderFrame(
  scene: PortraitScene,
  frame: FrameParams,
  options: RenderOptions = {},
): RenderedFrame {
  const { width: W, height: H, focal: f, cx, cy } = scene;
  const subs = offsets(options.supersample ?? 2);
  const body = frameBody(scene, frame);
  const data = new Uint8Array(W * H * 3);
  const parsing = new Uint8Array(W * H);
  const hit = newHit();
  const o = [0, 0, 0], d = [0, 0, -1];
  const col = new Float64Array(3), acc = new Float64Array(3);
  const bgZ = scene.backgroundDepth;
  const nSub = subs.length * subs.length;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      d[0] = (u + 0.5 - cx) / f;
      d[1] = -(v + 0.5 - cy) / f;
      castRay(body, o, d, hit);
      parsing[v * W + u] = hit.cls;
      acc.fill(0);
      for (const sv of subs) {
        for (const su of subs) {
          d[0] = (u + su - cx) / f;
          d[1] = -(v + sv - cy) / f;
          if (castRay(body, o, d, hit)) shade(scene, body, hit, col);
          else backgroundColor(d[0] * bgZ, d[1] * bgZ, col, scene.background);
          acc[0] += col[0];
          acc[1] += col[1];
          acc[2] += col[2];
        }
      }
      const i = 3 * (v * W + u);
      for (let k = 0; k < 3; k++) data[i + k] = Math.round(255 * Math.min(1, Math.max(0, acc[k] / nSub)));
    }
  }
  const lm = frameLandmarks(scene, body);
  return {
    rgb: { width: W, height: H, channels: 3, data },
    parsing,
    landmarks: lm.pixels,
    landmarkVisible: lm.visible,
    body,
  };
}

/**
 * Renders the background plane alone (the dataset's `bc.jpg`), with the same supersampling as frames.
 * @param scene The portrait and camera.
 * @param options Supersampling.
 * @returns RGB image.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { portraitScene, renderBackground } from "./mod.ts";
 * const bg = renderBackground(portraitScene({ width: 16, height: 16 }));
 * assertEquals(bg.data.length, 16 * 16 * 3);
 * ```
 */
export function renderBackground(scene: PortraitScene, options: RenderOptions = {}): Image {
  const { width: W, height: H, focal: f, cx, cy } = scene;
  const subs = offsets(options.supersample ?? 2);
  const nSub = subs.length * subs.length;
  const data = new Uint8Array(W * H * 3);
  const col = new Float64Array(3);
  const bgZ = scene.backgroundDepth;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      let r = 0, g = 0, b = 0;
      for (const sv of subs) {
        for (const su of subs) {
          backgroundColor(((u + su - cx) / f) * bgZ, (-(v + sv - cy) / f) * bgZ, col, scene.background);
          r += col[0];
          g += col[1];
          b += col[2];
        }
      }
      const i = 3 * (v * W + u);
      data[i] = Math.round(255 * Math.min(1, Math.max(0, r / nSub)));
      data[i + 1] = Math.round(255 * Math.min(1, Math.max(0, g / nSub)));
      data[i + 2] = Math.round(255 * Math.min(1, Math.max(0, b / nSub)));
    }
  }
  return { width: W, height: H, channels: 3, data };
}
