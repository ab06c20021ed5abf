/**
 * Neural-network building blocks: a matMul with a wasm-friendly gradient, layers (Linear, Mlp, Conv1d as
 * unfold + matMul), activations, initialisers, parameter collections and checkpoint serialisation, and the
 * seeded RNG.
 * @module
 */
export * from "./rng.ts";
export * from "./matmul.ts";
export * from "./activation.ts";
export * from "./init.ts";
export * from "./module.ts";
export * from "./linear.ts";
export * from "./mlp.ts";
export * from "./conv1d.ts";
export * from "./serialize.ts";
