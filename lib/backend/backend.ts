/**
 * Choosing and starting the TensorFlow.js backend.
 *
 * The default is the WebAssembly backend (SIMD): on this project's 2-core CPUs a 1024x1024 matMul takes
 * ~50-75 ms there against ~2.1 s on the pure-JS `cpu` backend. Its `.wasm` binaries are loaded from the
 * installed npm package (resolved through the import map), never from a CDN, so it works offline.
 * tfjs turns wasm threads off under Node-compatible runtimes, so wasm runs one thread here.
 *
 * `webgpu` runs tfjs on a GPU through the runtime's WebGPU (`navigator.gpu`, built into Deno). Its package
 * is imported only when it is chosen: importing it registers the backend with a higher priority than wasm,
 * so it would silently become the default of every process. The adapter is logged; a software adapter
 * (e.g. Mesa's lavapipe, "llvmpipe", which WebGPU reports as a fallback adapter) computes correctly but
 * is no faster than a CPU, and `requireGpu` refuses it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** The backends this toolkit knows how to start. */
export type BackendName = "wasm" | "webgpu" | "cpu";

/** All backend names, in the order the CLIs list them. */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "webgpu", "cpu"];

/** Options of {@linkcode initBackend}. */
export interface BackendOptions {
  /** Backend to start. wasm and cpu fall back to each other when they fail to start (the reason is
   * reported); webgpu falls back to wasm unless `requireGpu` is set.
   * @default {"wasm"} */
  readonly backend?: BackendName;
  /** Former name of `backend` (kept for existing callers); `backend` wins when both are given. */
  readonly preferred?: BackendName;
  /** Refuse to run anywhere but on a hardware GPU: with `backend: "webgpu"`, a missing adapter or a
   * fallback (software) adapter throws instead of falling back; with another backend it throws at once.
   * @default {false} */
  readonly requireGpu?: boolean;
  /** On webgpu, use only tfjs' tiled matMul program (`WEBGPU_MATMUL_PROGRAM_TYPE` 3), so that a run repeats
   * bit for bit: tfjs-backend-webgpu 4.22 otherwise splits the inner sum of a matMul with a small output
   * and a long inner dimension (a weight gradient over many points) across workgroups that add with float
   * atomics in whatever order they finish. false gives tfjs' default choice (perhaps faster on some GPUs).
   * @default {true} */
  readonly deterministic?: boolean;
  /** Where the message naming the backend goes; `null` keeps quiet.
   * @default {console.error} */
  readonly log?: ((message: string) => void) | null;
}

/** The WebGPU adapter tfjs runs on (fields of the WebGPU `GPUAdapterInfo`, empty when not reported). */
export interface GpuAdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A fallback adapter is a software implementation (e.g. lavapipe): correct, but CPU speed. */
  readonly isFallbackAdapter: boolean;
}

/** What {@linkcode initBackend} started. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Human-readable description, e.g. "wasm (SIMD, 1 thread)". */
  readonly description: string;
  /** Why the requested backend was not used, when it was not. */
  readonly fallbackReason?: string;
  /** The adapter, when the backend is webgpu. */
  readonly adapter?: GpuAdapterDescription;
}

/** Debian packages that give a Vulkan driver (a software one, lavapipe, on a machine without a GPU). */
export const VULKAN_PACKAGES = "mesa-vulkan-drivers libvulkan1";

let current: BackendInfo | undefined;

/** Folder URL (with trailing slash) holding the tfjs wasm binaries of the installed package. */
export function wasmBinaryFolder(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  return new URL("./", entry).href;
}

/** The minimal part of the WebGPU API used here (the DOM typings are not part of Deno's default lib). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<
    | {
      info?: Partial<GpuAdapterDescription>;
      isFallbackAdapter?: boolean;
    }
    | null
  >;
}

/**
 * Asks the runtime for the WebGPU adapter tfjs' webgpu backend will use (same power preference) and
 * describes it; undefined when there is no WebGPU or no adapter.
 * @returns The adapter's description, or undefined.
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { describeGpuAdapter } from "./backend.ts";
 * const adapter = await describeGpuAdapter();
 * assert(adapter === undefined || typeof adapter.isFallbackAdapter === "boolean");
 * ```
 */
export async function describeGpuAdapter(): Promise<GpuAdapterDescription | undefined> {
  const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return undefined;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return undefined;
  const info = adapter.info ?? {};
  return {
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
    device: String(info.device ?? ""),
    description: String(info.description ?? ""),
    // Deno 2.9 reports the flag on adapter.info; the WebGPU spec had it on the adapter itself.
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
  };
}

/** One line naming an adapter, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) [fallback adapter]". */
export function adapterLabel(adapter: GpuAdapterDescription): string {
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device]
    .filter((s) => s).join(" ") ||
    "unnamed adapter";
  return `${name}${adapter.isFallbackAdapter ? " [fallback adapter: software, CPU speed]" : ""}`;
}

/** tfjs-backend-webgpu's `MatMulProgramType.MatMulPackedProgram` (the tiled program, no atomics). */
const WEBGPU_MATMUL_PACKED = 3;

async function startWebGpu(requireGpu: boolean, deterministic: boolean): Promise<GpuAdapterDescription> {
  const adapter = await describeGpuAdapter();
  if (!adapter) {
    const hasApi = (globalThis.navigator as unknown as { gpu?: unknown } | undefined)?.gpu !== undefined;
    throw new Error(
      hasApi
        ? `no WebGPU adapter: this machine has no Vulkan/Metal/D3D12 driver that WebGPU can use ` +
          `(on Debian/Ubuntu: apt-get install ${VULKAN_PACKAGES}; on an NVIDIA machine also the NVIDIA ` +
          `Vulkan driver; check with vulkaninfo --summary)`
        : "this runtime has no WebGPU (navigator.gpu is undefined)",
    );
  }
  if (requireGpu && adapter.isFallbackAdapter) {
    throw new Error(
      `--require-gpu: the only WebGPU adapter is a fallback (software) one, ${adapterLabel(adapter)}; ` +
        `install the GPU's Vulkan driver (check with vulkaninfo --summary) or drop --require-gpu`,
    );
  }
  // Registers the "webgpu" backend factory (priority 3, above wasm): loaded only now, and the backend is
  // then chosen explicitly below, so a process that never asks for webgpu never starts it.
  await import("@tensorflow/tfjs-backend-webgpu");
  // Tensors up to 1000 elements whose data is on the CPU would run on the CPU backend: keep every op on
  // the GPU so a run (and the parity tests) measure what they claim to.
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  if (deterministic) tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", WEBGPU_MATMUL_PACKED);
  return adapter;
}

/** What {@linkcode shareDataOnWasm}'s kernels use of tfjs' wasm backend (public methods of BackendWasm). */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/**
 * Makes tfjs' Identity (and a Cast to the tensor's own dtype) share the input's data on wasm, as its cpu
 * backend does and as wasm's own Reshape does, instead of copying it. tfjs clones every tensor that an
 * op's gradient keeps (`saveTensorsForBackwardMode`, `customGrad`'s save), so each recorded op copied its
 * inputs: ~30 clones of [32768, 96] activations per step of the MLP preset. Tensors are immutable and wasm
 * kernels only write their outputs, so sharing is safe; a buffer is freed when its last tensor is.
 */
function shareDataOnWasm(): void {
  const identity = tf.getKernel("Identity", "wasm"), cast = tf.getKernel("Cast", "wasm");
  if (!identity || !cast || (identity as { shared?: boolean }).shared) return;
  const share = (x: tf.TensorInfo, backend: unknown): tf.TensorInfo => {
    (backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    ...identity,
    shared: true,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      return x.dtype === "string" ? identity.kernelFunc(args) : share(x, args.backend);
    },
  } as tf.KernelConfig);
  tf.unregisterKernel("Cast", "wasm");
  tf.registerKernel({
    ...cast,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      return x.dtype === args.attrs?.dtype && x.dtype !== "string"
        ? share(x, args.backend)
        : cast.kernelFunc(args);
    },
  });
}

async function tryStart(
  name: BackendName,
  requireGpu: boolean,
  deterministic = true,
): Promise<GpuAdapterDescription | undefined> {
  let adapter: GpuAdapterDescription | undefined;
  if (name === "wasm") setWasmPaths(wasmBinaryFolder());
  if (name === "webgpu") adapter = await startWebGpu(requireGpu, deterministic);
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend("${name}") returned false`);
  await tf.ready();
  if (name === "wasm") shareDataOnWasm();
  return adapter;
}

function describe(name: BackendName, adapter?: GpuAdapterDescription): string {
  if (name === "cpu") return "cpu (pure JavaScript, slow: ~1 GFLOP/s)";
  if (name === "webgpu") return `webgpu (${adapter ? adapterLabel(adapter) : "unknown adapter"})`;
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "SIMD" : "no SIMD";
  const threads = tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "multi-thread" : "1 thread";
  return `wasm (${simd}, ${threads})`;
}

/**
 * Starts the tfjs backend once per process (later calls return the first result unless another backend
 * is asked for) and reports which one is in use.
 * @param options Backend, GPU requirement and logger.
 * @returns The backend in use (with the adapter on webgpu).
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { initBackend } from "./backend.ts";
 * const info = await initBackend({ backend: "wasm", log: null });
 * assert(info.name === "wasm" || info.name === "cpu");
 * ```
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? options.preferred ?? "wasm";
  if (!BACKEND_NAMES.includes(wanted)) {
    throw new Error(`backend must be one of ${BACKEND_NAMES.join(", ")}: got ${wanted}`);
  }
  const requireGpu = options.requireGpu ?? false;
  const log = options.log === undefined ? (m: string) => console.error(m) : options.log;
  if (requireGpu && wanted !== "webgpu") {
    throw new Error(`--require-gpu needs the webgpu backend: got ${wanted} (use --backend webgpu)`);
  }
  if (current && current.name === wanted && (!requireGpu || !current.adapter?.isFallbackAdapter)) {
    return current;
  }
  let fallbackReason: string | undefined;
  let name: BackendName = wanted;
  let adapter: GpuAdapterDescription | undefined;
  try {
    adapter = await tryStart(wanted, requireGpu, options.deterministic ?? true);
  } catch (e) {
    // A GPU that was required is never replaced by the CPU.
    if (requireGpu) throw e;
    fallbackReason = `${wanted} backend failed to start: ${e instanceof Error ? e.message : e}`;
    name = wanted === "wasm" ? "cpu" : "wasm";
    await tryStart(name, false);
  }
  current = { name, description: describe(name, adapter), fallbackReason, adapter };
  if (log) {
    log(`tfjs backend: ${current.description}${fallbackReason ? ` (fallback: ${fallbackReason})` : ""}`);
  }
  return current;
}

/** The backend started by {@linkcode initBackend}, or undefined before it ran. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}
