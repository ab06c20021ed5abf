/**
 * The webgpu backend computes what the wasm backend computes: each scenario of tools/gpu_check.ts runs in
 * a `deno run` subprocess per backend (one tfjs backend per process) and every output (values and
 * gradients) must agree to a relative 1e-4 (max |webgpu - wasm| / max |wasm| per output), with the
 * tensor count flat across two runs on both backends.
 *
 * Without a WebGPU adapter these tests FAIL, naming the packages to install (on Debian:
 * mesa-vulkan-drivers libvulkan1 give a software Vulkan device, lavapipe, enough for correctness). Set
 * SSP_ALLOW_NO_GPU=1 to ignore them instead on a machine that cannot have one; the reason is printed.
 */
import { assert, assertEquals } from "@std/assert";
import { describeGpuAdapter, VULKAN_PACKAGES } from "../lib/backend/mod.ts";
import {
  compareClassMaps,
  compareResults,
  PARITY_TOLERANCE as TOLERANCE,
  runScenarioProcess,
  type ScenarioResult,
} from "../tools/gpu_check.ts";

/**
 * The Trainer's step reads its loss terms, per-ray errors and occupancy densities asynchronously on webgpu
 * (a synchronous read of a GPU tensor throws in Deno), so the trainer scenarios run here like the others.
 */
const TRAINER_READBACKS_ASYNC = true;

const adapter = await describeGpuAdapter();
const allowNoGpu = Deno.env.get("SSP_ALLOW_NO_GPU") === "1";
if (!adapter && allowNoGpu) {
  console.error(
    `webgpu parity tests ignored: no WebGPU adapter and SSP_ALLOW_NO_GPU=1 (install ${VULKAN_PACKAGES} to run them)`,
  );
}

async function parity(scenario: string): Promise<void> {
  if (!adapter) {
    throw new Error(
      `no WebGPU adapter on this machine: install ${VULKAN_PACKAGES} (Debian/Ubuntu: a software Vulkan ` +
        `device is enough), or set SSP_ALLOW_NO_GPU=1 to ignore the webgpu parity tests`,
    );
  }
  const gpu: ScenarioResult = await runScenarioProcess(scenario, "webgpu");
  const ref: ScenarioResult = await runScenarioProcess(scenario, "wasm");
  assert(gpu.adapter, `${scenario}: the webgpu subprocess reported no adapter`);
  const cmp = compareResults(gpu, ref);
  assert(cmp.length > 0, `${scenario}: no outputs`);
  const bad = cmp.filter((c) => !(c.maxRelDiff <= TOLERANCE));
  assertEquals(
    bad.map((c) => `${c.output}: ${c.maxRelDiff.toExponential(2)}`),
    [],
    `${scenario}: outputs differ by more than ${TOLERANCE} (relative) between webgpu and wasm`,
  );
  // Class maps are argmaxes: a near-tie may flip a pixel, so they must agree almost everywhere.
  for (const c of compareClassMaps(gpu, ref)) {
    assert(
      c.agreement >= MIN_CLASS_AGREEMENT,
      `${scenario}: ${c.output} agrees on ${(100 * c.agreement).toFixed(2)} % of ${c.size} pixels`,
    );
  }
  console.error(
    `${scenario}: max relative difference ${
      cmp.map((c) => `${c.output} ${c.maxRelDiff.toExponential(2)}`).join(", ")
    }${compareClassMaps(gpu, ref).map((c) => `, ${c.output} agreement ${c.agreement}`).join("")}`,
  );
  assertEquals(gpu.tensorCounts[1], gpu.tensorCounts[0], `${scenario}: tensors leak on webgpu`);
  assertEquals(ref.tensorCounts[1], ref.tensorCounts[0], `${scenario}: tensors leak on wasm`);
}

const ignore = !adapter && allowNoGpu;

/** Least fraction of pixels whose class (parsing argmax) must be the same on both backends. */
const MIN_CLASS_AGREEMENT = 0.999;

Deno.test({
  name: "webgpu = wasm: grid lookup, positional encodings, matMulT/addRows with their gradients",
  ignore,
  fn: () => parity("kernels"),
});

Deno.test({
  name: "webgpu = wasm: tiny preset's field (MLP): outputs, every parameter gradient, an Adam step",
  ignore,
  fn: () => parity("field:tiny"),
});

Deno.test({
  name: "webgpu = wasm: triplane preset's field (grid): outputs, every parameter gradient, an Adam step",
  ignore,
  fn: () => parity("field:triplane"),
});

Deno.test({
  name: "webgpu = wasm: tiny preset's frame render (importance samples on the device, 3-D torso deformation)",
  ignore,
  fn: () => parity("render:tiny"),
});

Deno.test({
  name: "webgpu = wasm: triplane preset's frame render (render grid built on the device, aligned skipping)",
  ignore,
  fn: () => parity("render:triplane"),
});

for (const preset of ["tiny", "triplane"]) {
  Deno.test({
    name: `webgpu = wasm: ${preset} preset, one Trainer step and one frame render`,
    // See TRAINER_READBACKS_ASYNC: today the step throws on webgpu at its first synchronous read.
    ignore: ignore || !TRAINER_READBACKS_ASYNC,
    fn: () => parity(`trainer:${preset}`),
  });
}
