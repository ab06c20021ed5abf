/**
 * Worker entry of {@linkcode ParallelRenderer} (lib/render/parallel_render.ts): its own tfjs wasm instance
 * and a copy of the model's weights; renders chunks it claims from a counter shared with the other
 * threads, and posts each chunk back (buffers transferred). Not meant to be imported.
 *
 * Messages in: `init` (setup + parameters), `params` (new weights), `render` (frames, chunk ranges, the
 * shared counter, an optional empty-space skipping state). Out: `ready`, `chunk`, `done`, `error`.
 * @module
 */
import { initBackend } from "../backend/mod.ts";
import { loadParams, type ParamEntry } from "../nn/mod.ts";
import type { SspNerfModel } from "../model/ssp_model.ts";
import { renderChunk } from "./chunks.ts";
import { type FrameCodes, type FrameRenderSetup, modelForSetup } from "./scene_setup.ts";
import { skipSpaceFromState, type SkipSpaceState } from "./skip_space.ts";

/** A message to the worker. */
export type ToRenderWorker =
  | {
    readonly type: "init";
    readonly setup: FrameRenderSetup;
    readonly manifest: ParamEntry[];
    readonly data: Float32Array;
  }
  | { readonly type: "params"; readonly manifest: ParamEntry[]; readonly data: Float32Array }
  | {
    readonly type: "render";
    readonly job: number;
    readonly frames: readonly FrameCodes[];
    readonly chunks: readonly (readonly [number, number])[];
    /** Int32Array over a SharedArrayBuffer: [0] is the next task to claim (task = frame * chunks + chunk). */
    readonly counter: Int32Array;
    readonly skip: SkipSpaceState | null;
    /** Another camera / background / chunk size for this job (same model configuration). */
    readonly setup?: FrameRenderSetup;
  };

/** A message from the worker. */
export type FromRenderWorker =
  | { readonly type: "ready" }
  | {
    readonly type: "chunk";
    readonly job: number;
    readonly task: number;
    readonly rgb: Float32Array;
    readonly depth: Float32Array;
    readonly accumulation: Float32Array;
    readonly parsing?: Uint8Array;
  }
  | { readonly type: "done"; readonly job: number; readonly chunks: number }
  | { readonly type: "error"; readonly message: string };

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToRenderWorker>) => void) | null;
  postMessage(message: FromRenderWorker, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let model: SspNerfModel | undefined;
let setup: FrameRenderSetup | undefined;
let chain: Promise<void> = Promise.resolve();

async function handle(msg: ToRenderWorker): Promise<void> {
  switch (msg.type) {
    case "init": {
      await initBackend({ log: null });
      setup = msg.setup;
      model?.dispose();
      model = modelForSetup(setup);
      loadParams(model.params, msg.manifest, msg.data, "render worker init");
      scope.postMessage({ type: "ready" });
      return;
    }
    case "params": {
      if (!model) throw new Error("render worker: params before init");
      loadParams(model.params, msg.manifest, msg.data, "render worker params");
      return;
    }
    case "render": {
      if (!model || !setup) throw new Error("render worker: render before init");
      const skip = msg.skip ? skipSpaceFromState(msg.skip) : undefined;
      const jobSetup = msg.setup ?? setup;
      const per = msg.chunks.length, total = per * msg.frames.length;
      let done = 0;
      for (let task = Atomics.add(msg.counter, 0, 1); task < total; task = Atomics.add(msg.counter, 0, 1)) {
        const [start, n] = msg.chunks[task % per];
        const c = renderChunk(model, jobSetup, msg.frames[Math.floor(task / per)], start, n, skip);
        const transfer = [c.rgb.buffer, c.depth.buffer, c.accumulation.buffer] as ArrayBuffer[];
        if (c.parsing) transfer.push(c.parsing.buffer as ArrayBuffer);
        scope.postMessage({
          type: "chunk",
          job: msg.job,
          task,
          rgb: c.rgb,
          depth: c.depth,
          accumulation: c.accumulation,
          parsing: c.parsing,
        }, transfer);
        done++;
      }
      scope.postMessage({ type: "done", job: msg.job, chunks: done });
      return;
    }
  }
}

scope.onmessage = (e: MessageEvent<ToRenderWorker>) => {
  chain = chain.then(() => handle(e.data)).catch((err) => {
    scope.postMessage({
      type: "error",
      message: err instanceof Error ? `${err.message}\n${err.stack ?? ""}` : String(err),
    });
  });
};
