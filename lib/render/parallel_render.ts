/**
 * Rendering frames on several threads. tfjs' wasm backend runs one thread here, so the
 * second core is used by Web Workers, each with its own tfjs wasm instance and a copy of the weights
 * (sent once as one Float32Array, `serializeParams`). The chunks of all requested frames form one task
 * list; every thread, the calling one included, claims the next task from a counter in a
 * SharedArrayBuffer (`Atomics.add`), so a thread slowed by other load simply takes fewer chunks. Chunk
 * boundaries are those of `Scene.renderFrame`, and each chunk runs the same operations on the same
 * wasm build, so the frames are bit-identical to a single-thread render (tested).
 *
 * ```ts ignore
 * const frames = await renderFramesParallel(scene, dataset.val.slice(0, 4), { workers: 1 });
 * ```
 * @module
 */
import type { FrameMeta } from "../data/mod.ts";
import { serializeParams } from "../nn/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { renderChunk } from "./chunks.ts";
import { chunkRanges, emptyFrame, type RenderedFrame, writeChunk } from "./frame.ts";
import type { FromRenderWorker, ToRenderWorker } from "./render_worker.ts";
import { datasetFrameAudio, type Scene } from "./scene.ts";
import { type FrameCodes, type FrameRenderSetup, setupParses } from "./scene_setup.ts";
import { type SkipSpace, skipSpaceState } from "./skip_space.ts";

/** Options of {@linkcode ParallelRenderer.create}. */
export interface ParallelRenderOptions {
  /** Worker threads, each with its own tfjs wasm instance and weights.
   * @default {1} */
  readonly workers?: number;
  /** Whether the calling thread renders chunks too (false leaves it free, e.g. to keep training).
   * @default {true} */
  readonly mainThread?: boolean;
}

/** Options of {@linkcode ParallelRenderer.render}. */
export interface RenderJobOptions {
  /** Empty-space skipping (its grid is sent to the workers with the job). */
  readonly skip?: SkipSpace;
  /** Camera, background and chunk size of this job (the model configuration must stay the same).
   * @default {the renderer's setup} */
  readonly setup?: FrameRenderSetup;
}

/** Chunks rendered by each thread in the last `render` call. */
export interface ParallelRenderStats {
  readonly mainChunks: number;
  readonly workerChunks: readonly number[];
}

interface WorkerHandle {
  readonly worker: Worker;
  onMessage?: (msg: FromRenderWorker) => void;
}

/**
 * A pool of render workers holding a copy of a model. Create with {@linkcode ParallelRenderer.create};
 * call {@linkcode ParallelRenderer.setParams} after the model's weights change; `dispose()` terminates
 * the workers (also done on any error).
 */
export class ParallelRenderer {
  private failure: Error | undefined;
  private job = 0;
  private disposed = false;
  /** Chunks per thread in the last render. */
  lastStats: ParallelRenderStats = { mainChunks: 0, workerChunks: [] };

  private constructor(
    private readonly model: SspNerfModel,
    readonly setup: FrameRenderSetup,
    private readonly workers: WorkerHandle[],
    private readonly mainThread: boolean,
  ) {}

  /**
   * Starts the workers and sends them the setup and the model's current weights.
   * @param model The model (the calling thread renders with it; the workers get a copy of its weights).
   * @param setup Camera, background, bounds (see `Scene.setup`).
   * @param options Number of workers, whether this thread renders too.
   */
  static async create(
    model: SspNerfModel,
    setup: FrameRenderSetup,
    options: ParallelRenderOptions = {},
  ): Promise<ParallelRenderer> {
    const count = options.workers ?? 1;
    const mainThread = options.mainThread ?? true;
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`workers must be an integer >= 0: got ${count}`);
    }
    if (count === 0 && !mainThread) {
      throw new Error("no thread would render: workers is 0 and mainThread false");
    }
    const handles: WorkerHandle[] = [];
    const { manifest, data } = serializeParams(model.params);
    try {
      for (let i = 0; i < count; i++) {
        const worker = new Worker(new URL("./render_worker.ts", import.meta.url).href, { type: "module" });
        const h: WorkerHandle = { worker };
        worker.onmessage = (e: MessageEvent<FromRenderWorker>) => h.onMessage?.(e.data);
        worker.onerror = (e: ErrorEvent) => {
          e.preventDefault();
          h.onMessage?.({ type: "error", message: `render worker crashed: ${e.message}` });
        };
        handles.push(h);
      }
      await Promise.all(handles.map((h) =>
        new Promise<void>((resolve, reject) => {
          h.onMessage = (msg) => msg.type === "ready" ? resolve() : reject(new Error(messageText(msg)));
          const init: ToRenderWorker = { type: "init", setup, manifest, data: data.slice() };
          h.worker.postMessage(init, [init.data.buffer as ArrayBuffer]);
        })
      ));
    } catch (e) {
      for (const h of handles) h.worker.terminate();
      throw e;
    }
    for (const h of handles) h.onMessage = undefined;
    return new ParallelRenderer(model, setup, handles, mainThread);
  }

  /** Number of threads that render (workers plus this one when it takes part). */
  get threads(): number {
    return this.workers.length + (this.mainThread ? 1 : 0);
  }

  /** Sends the model's current weights to every worker (after training steps). */
  setParams(): void {
    this.check();
    const { manifest, data } = serializeParams(this.model.params);
    for (const h of this.workers) {
      const msg: ToRenderWorker = { type: "params", manifest, data: data.slice() };
      h.worker.postMessage(msg, [msg.data.buffer as ArrayBuffer]);
    }
  }

  /**
   * Renders frames, all threads sharing their chunks.
   * @param frames The frames' poses and codes (see `Scene.frameCodes`).
   * @param options `skip`: empty-space skipping (its grid is sent to the workers with the job);
   *   `setup`: another camera, background or chunk size for this job (same model configuration).
   * @returns The frames, in order.
   */
  async render(frames: readonly FrameCodes[], options: RenderJobOptions = {}): Promise<RenderedFrame[]> {
    this.check();
    const setup = options.setup ?? this.setup;
    const skip = options.skip;
    const chunks = chunkRanges(setup.intrinsics.width * setup.intrinsics.height, setup.config.render.chunk);
    const per = chunks.length, total = per * frames.length;
    const { width, height } = setup.intrinsics;
    const out = frames.map(() => emptyFrame(width, height, setupParses(setup)));
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const job = ++this.job;
    const workerChunks = this.workers.map(() => 0);
    const finished = this.workers.map((h, i) =>
      new Promise<void>((resolve, reject) => {
        h.onMessage = (msg) => {
          if (msg.type === "chunk" && msg.job === job) {
            writeChunk(out[Math.floor(msg.task / per)], {
              ...msg,
              start: chunks[msg.task % per][0],
              raysRendered: 0,
              samplesEvaluated: 0,
            });
            workerChunks[i]++;
          } else if (msg.type === "done" && msg.job === job) {
            resolve();
          } else if (msg.type === "error") {
            reject(new Error(messageText(msg)));
          }
        };
      })
    );
    const state = skip ? skipSpaceState(skip) : null;
    for (const h of this.workers) {
      const msg: ToRenderWorker = {
        type: "render",
        job,
        frames,
        chunks,
        counter,
        skip: state,
        setup: options.setup ? setup : undefined,
      };
      h.worker.postMessage(msg);
    }
    let mainChunks = 0;
    try {
      if (this.mainThread) {
        for (let task = Atomics.add(counter, 0, 1); task < total; task = Atomics.add(counter, 0, 1)) {
          const [start, n] = chunks[task % per];
          writeChunk(
            out[Math.floor(task / per)],
            renderChunk(this.model, setup, frames[Math.floor(task / per)], start, n, skip),
          );
          mainChunks++;
        }
      }
      await Promise.all(finished);
    } catch (e) {
      this.failure = e instanceof Error ? e : new Error(String(e));
      this.dispose();
      throw this.failure;
    } finally {
      for (const h of this.workers) h.onMessage = undefined;
    }
    this.lastStats = { mainChunks, workerChunks };
    return out;
  }

  /** Terminates the workers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const h of this.workers) h.worker.terminate();
  }

  private check(): void {
    if (this.failure) throw new Error(`the parallel renderer failed earlier: ${this.failure.message}`);
    if (this.disposed) throw new Error("the parallel renderer was disposed");
  }
}

function messageText(msg: FromRenderWorker): string {
  return msg.type === "error" ? msg.message : `render worker: unexpected message ${msg.type}`;
}

/**
 * Renders dataset frames (each with its own pose and audio) with a scene's model on `workers` worker
 * threads plus this one; equal, bit for bit, to `scene.renderDatasetFrame` on each frame.
 * @param scene The scene (model, setup, dataset).
 * @param frames Frames to render.
 * @param options Worker count; `skip`: empty-space skipping, by default the scene's own
 *   (`scene.renderSkip()`), `null` for none.
 * @returns The rendered frames, in order.
 */
export async function renderFramesParallel(
  scene: Scene,
  frames: readonly FrameMeta[],
  options: ParallelRenderOptions & { readonly skip?: SkipSpace | null } = {},
): Promise<RenderedFrame[]> {
  const skip = options.skip === undefined ? scene.renderSkip() : options.skip ?? undefined;
  const codes = frames.map((f) => scene.frameCodes(f.c2w, datasetFrameAudio(scene.dataset, f)));
  const renderer = await ParallelRenderer.create(scene.model, scene.setup, options);
  try {
    return await renderer.render(codes, { skip });
  } finally {
    renderer.dispose();
  }
}
